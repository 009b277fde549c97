// The streaming multipart/form-data reader on bodies as fetch's FormData encodes them (what storage-js
// uploads send), cut into chunks at every position so delimiters split across reads are found.
import { describe, expect, it } from "vitest";
import { StorageError } from "./errors.ts";
import { boundaryOf, readMultipart, type FilePart } from "./multipart.ts";

/** A body that arrives in the given pieces. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

/** Bytes and boundary of a real multipart body, as fetch encodes `form`. */
async function encode(form: FormData): Promise<{ bytes: Uint8Array; boundary: string }> {
  const req = new Request("http://localhost/", { method: "POST", body: form });
  const boundary = boundaryOf(req.headers.get("content-type") ?? "");
  if (!boundary) throw new Error("no boundary");
  return { bytes: new Uint8Array(await req.arrayBuffer()), boundary };
}

interface Read {
  found: boolean;
  fields: Array<[string, string]>;
  file?: FilePart;
  bytes: Buffer;
}

async function read(chunks: Uint8Array[], boundary: string): Promise<Read> {
  const fields: Array<[string, string]> = [];
  const received: Buffer[] = [];
  let file: FilePart | undefined;
  const found = await readMultipart(streamOf(chunks), boundary, {
    field: (name, value) => void fields.push([name, value]),
    file: async (part) => {
      file = part;
      return async (chunk) => void received.push(Buffer.from(chunk));
    },
  });
  return { found, fields, ...(file ? { file } : {}), bytes: Buffer.concat(received) };
}

/** Binary content with CR, LF and dashes in it, the bytes a naive splitter gets wrong. */
const content = new Uint8Array([0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x41, 0x2d]);

describe("boundaryOf", () => {
  it("reads a quoted or bare boundary parameter", () => {
    expect(boundaryOf('multipart/form-data; boundary="a b:c"')).toBe("a b:c");
    expect(boundaryOf("multipart/form-data;boundary=----x123; charset=utf-8")).toBe("----x123");
    expect(boundaryOf("multipart/form-data")).toBeUndefined();
  });
});

describe("readMultipart", () => {
  it("gives the fields before the file, then the file's exact bytes, however the body is cut", async () => {
    const form = new FormData();
    form.append("cacheControl", "3600");
    form.append("metadata", JSON.stringify({ a: "é" }));
    form.append("", new Blob([content], { type: "image/png" }), "photo 1.png");
    const { bytes, boundary } = await encode(form);
    for (let cut = 1; cut < bytes.length; cut++) {
      const out = await read([bytes.subarray(0, cut), bytes.subarray(cut)], boundary);
      expect(out, `cut at ${cut}`).toEqual({
        found: true,
        fields: [
          ["cacheControl", "3600"],
          ["metadata", '{"a":"é"}'],
        ],
        file: { fieldName: "", filename: "photo 1.png", mimeType: "image/png" },
        bytes: Buffer.from(content),
      });
    }
  });

  it("reads a body that arrives one byte at a time", async () => {
    const form = new FormData();
    form.append("file", new Blob([content]), "a.bin");
    const { bytes, boundary } = await encode(form);
    const out = await read(
      [...bytes].map((b) => new Uint8Array([b])),
      boundary,
    );
    expect(out.bytes).toEqual(Buffer.from(content));
    expect(out.file).toEqual({ fieldName: "file", filename: "a.bin", mimeType: "application/octet-stream" });
  });

  it("keeps only the first file: later parts are read and dropped", async () => {
    const form = new FormData();
    form.append("first", new Blob(["one"], { type: "text/plain" }), "1.txt");
    form.append("after", "ignored");
    form.append("second", new Blob(["two"]), "2.txt");
    const { bytes, boundary } = await encode(form);
    const out = await read([bytes], boundary);
    expect(out).toMatchObject({ found: true, fields: [], file: { filename: "1.txt" } });
    expect(out.bytes.toString()).toBe("one");
  });

  it("answers false for a form without a file part", async () => {
    const form = new FormData();
    form.append("only", "a field");
    const { bytes, boundary } = await encode(form);
    expect(await read([bytes], boundary)).toEqual({
      found: false,
      fields: [["only", "a field"]],
      bytes: Buffer.alloc(0),
    });
  });

  it("takes an escaped quote in the filename and text/plain when the part has no type", async () => {
    const body = [
      "--XyZ",
      'Content-Disposition: form-data; name="file"; filename="say \\"hi\\".txt"',
      "",
      "hello",
      "--XyZ--",
      "",
    ].join("\r\n");
    const out = await read([Buffer.from(body)], "XyZ");
    expect(out.file).toEqual({ fieldName: "file", filename: 'say "hi".txt', mimeType: "text/plain" });
    expect(out.bytes.toString()).toBe("hello");
  });

  it("refuses a body cut off before its closing delimiter, as Storage does", async () => {
    const form = new FormData();
    form.append("file", new Blob([content]), "a.bin");
    const { bytes, boundary } = await encode(form);
    const error = await read([bytes.subarray(0, bytes.length - 10)], boundary).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ status: 400, code: "InvalidRequest", message: "Unexpected end of form" });
  });
});
