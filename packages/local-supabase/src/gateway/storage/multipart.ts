// A streaming multipart/form-data reader: fields before the first file part, then that file's bytes in
// chunks, never holding the whole body (Storage reads uploads with @fastify/multipart the same way).
import { ERRORS } from "./errors.ts";

export interface FilePart {
  fieldName: string;
  filename: string;
  /** The part's media type without parameters (busboy's `mimeType`); `text/plain` when absent. */
  mimeType: string;
}

export interface MultipartHandlers {
  /** A non-file field seen before the file part. */
  field(name: string, value: string): void;
  /** The first file part begins; returns the sink its bytes go to (awaited per chunk, for backpressure). */
  file(part: FilePart): Promise<(chunk: Uint8Array) => Promise<void>>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_FIELD_BYTES = 2 * 1024 * 1024;
const MAX_FIELDS = 10;
const CRLF2 = Buffer.from("\r\n\r\n");

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

function parseHeaders(raw: string): { name?: string; filename?: string; contentType?: string } {
  const out: { name?: string; filename?: string; contentType?: string } = {};
  for (const line of raw.split("\r\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (key === "content-disposition") {
      const name = /(?:^|;)\s*name="((?:[^"\\]|\\.)*)"/i.exec(value) ?? /(?:^|;)\s*name=([^;\s]*)/i.exec(value);
      const filename =
        /(?:^|;)\s*filename="((?:[^"\\]|\\.)*)"/i.exec(value) ?? /(?:^|;)\s*filename=([^;\s]*)/i.exec(value);
      if (name) out.name = name[1]!.replace(/\\(.)/g, "$1");
      if (filename) out.filename = filename[1]!.replace(/\\(.)/g, "$1");
    } else if (key === "content-type") {
      out.contentType = value.split(";")[0]!.trim().toLowerCase();
    }
  }
  return out;
}

/**
 * Reads `body` as multipart/form-data with `boundary`. Returns whether a file part was found.
 * Parts after the first file are read and discarded.
 */
export async function readMultipart(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  handlers: MultipartHandlers,
): Promise<boolean> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter has no leading CRLF; pretend it has one so a single search finds every delimiter.
  let buf: Buffer = Buffer.from("\r\n");
  type State = "preamble" | "after-delimiter" | "headers" | "field" | "file" | "skip" | "done";
  let state = "preamble" as State;
  // `step` changes state inside a closure; read it through a function so TypeScript does not narrow it.
  const finished = (): boolean => state === "done";
  let fieldName = "";
  let fieldChunks: Buffer[] = [];
  let fieldBytes = 0;
  let fields = 0;
  let sink: ((chunk: Uint8Array) => Promise<void>) | undefined;
  let sawFile = false;

  const emitBody = async (chunk: Buffer): Promise<void> => {
    if (chunk.length === 0) return;
    if (state === "file") await sink!(chunk);
    else if (state === "field") {
      fieldBytes += chunk.length;
      if (fieldBytes > MAX_FIELD_BYTES) throw ERRORS.entityTooLarge("user_metadata");
      fieldChunks.push(chunk);
    }
  };

  const step = async (final: boolean): Promise<void> => {
    for (;;) {
      if (state === "done") return;
      if (state === "preamble" || state === "field" || state === "file" || state === "skip") {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          const keep = Math.min(buf.length, delimiter.length - 1);
          if (state !== "preamble") await emitBody(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
          if (final) throw ERRORS.noContentProvided("Unexpected end of form");
          return;
        }
        if (state !== "preamble") await emitBody(buf.subarray(0, at));
        if (state === "field") {
          handlers.field(fieldName, Buffer.concat(fieldChunks).toString("utf8"));
          fieldChunks = [];
          fieldBytes = 0;
        }
        if (state === "file") sink = undefined;
        buf = buf.subarray(at + delimiter.length);
        state = "after-delimiter";
      }
      if (state === "after-delimiter") {
        if (buf.length < 2) {
          if (final) throw ERRORS.noContentProvided("Unexpected end of form");
          return;
        }
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = "done";
          return;
        }
        const eol = buf.indexOf("\r\n");
        if (eol < 0) {
          if (final) throw ERRORS.noContentProvided("Unexpected end of form");
          return;
        }
        buf = buf.subarray(eol + 2); // transport padding, then CRLF
        state = "headers";
      }
      if (state === "headers") {
        const end = buf.indexOf(CRLF2);
        // A part with no headers at all starts right away with the blank line.
        const headerEnd = buf.subarray(0, 2).equals(Buffer.from("\r\n")) ? 0 : end;
        if (headerEnd < 0) {
          if (buf.length > MAX_HEADER_BYTES) throw ERRORS.noContentProvided("Malformed part header");
          if (final) throw ERRORS.noContentProvided("Unexpected end of form");
          return;
        }
        const headers = parseHeaders(buf.subarray(0, headerEnd).toString("utf8"));
        buf = buf.subarray(headerEnd === 0 ? 2 : headerEnd + 4);
        if (headers.filename !== undefined && !sawFile) {
          sawFile = true;
          sink = await handlers.file({
            fieldName: headers.name ?? "",
            filename: headers.filename,
            mimeType: headers.contentType ?? "text/plain",
          });
          state = "file";
        } else if (headers.filename === undefined && !sawFile && fields < MAX_FIELDS) {
          fields++;
          fieldName = headers.name ?? "";
          state = "field";
        } else {
          state = "skip";
        }
      }
    }
  };

  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf = buf.length ? Buffer.concat([buf, value]) : Buffer.from(value);
      await step(false);
      if (finished()) break;
    }
    if (!finished()) await step(true);
  } finally {
    reader.releaseLock();
  }
  return sawFile;
}
