// TUS resumable uploads at /storage/v1/upload/resumable. supabase-js has no TUS client (apps use
// tus-js-client or Uppy), so these requests speak the TUS 1.0.0 protocol with fetch; the result is
// read back with supabase.storage.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { newFolder, newStorageUser, objectRow, pngBytes, type StorageUser, SHARED_BUCKET } from "./fixtures.ts";

const ENDPOINT = () => `${stackEnv.url}/storage/v1/upload/resumable`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

function headers(user: StorageUser, extra: Record<string, string> = {}): Record<string, string> {
  return { apikey: stackEnv.anonKey, authorization: `Bearer ${user.token}`, "tus-resumable": "1.0.0", ...extra };
}

async function createUpload(
  user: StorageUser,
  bucket: string,
  name: string,
  size: number,
  contentType = "image/png",
): Promise<Response> {
  return fetch(ENDPOINT(), {
    method: "POST",
    headers: headers(user, {
      "upload-length": String(size),
      "upload-metadata": `bucketName ${b64(bucket)},objectName ${b64(name)},contentType ${b64(contentType)},cacheControl ${b64("3600")}`,
    }),
  });
}

async function patch(
  user: StorageUser,
  location: string,
  offset: number,
  chunk: Uint8Array<ArrayBuffer>,
): Promise<Response> {
  return fetch(location, {
    method: "PATCH",
    headers: headers(user, { "upload-offset": String(offset), "content-type": "application/offset+octet-stream" }),
    body: chunk,
  });
}

describe("resumable uploads (TUS)", () => {
  it("uploads an attachment in chunks, resumes from the server's offset, and commits it like any upload", async () => {
    const [alice, bob] = [await newStorageUser(), await newStorageUser()];
    const folder = await newFolder([alice, bob]);
    const path = `${folder}/${randomUUID()}.png`;
    const bytes = pngBytes(3000);

    const created = await createUpload(alice, SHARED_BUCKET, path, bytes.length);
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    expect(location).toContain("/storage/v1/upload/resumable/");

    expect((await patch(alice, location, 0, bytes.slice(0, 1000))).status).toBe(204);
    // As after a dropped connection: ask where to resume.
    const head = await fetch(location, { method: "HEAD", headers: headers(alice) });
    expect(head.headers.get("upload-offset")).toBe("1000");
    expect(head.headers.get("upload-length")).toBe("3000");
    expect(await objectRow(SHARED_BUCKET, path)).toBeUndefined();

    const last = await patch(alice, location, 1000, bytes.slice(1000));
    expect(last.status).toBe(204);
    expect(last.headers.get("upload-offset")).toBe("3000");

    expect(await objectRow(SHARED_BUCKET, path)).toMatchObject({
      owner_id: alice.id,
      metadata: { size: 3000, mimetype: "image/png", cacheControl: "max-age=3600" },
    });
    const down = await bob.client.storage.from(SHARED_BUCKET).download(path);
    expect(new Uint8Array(await down.data!.arrayBuffer())).toEqual(bytes);
  });

  it("refuses a patch at the wrong offset", async () => {
    const alice = await newStorageUser();
    const folder = await newFolder([alice]);
    const created = await createUpload(alice, SHARED_BUCKET, `${folder}/${randomUUID()}.png`, 100);
    const res = await patch(alice, created.headers.get("location")!, 50, pngBytes(50));
    expect(res.status).toBe(409);
  });

  it("refuses to create an upload the caller's policies refuse, or one over the size limit", async () => {
    const [alice, mallory] = [await newStorageUser(), await newStorageUser()];
    const folder = await newFolder([alice]);
    const refused = await createUpload(mallory, SHARED_BUCKET, `${folder}/x.png`, 10);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe("new row violates row-level security policy");

    // Over the bucket's 100 MiB file_size_limit, and of a type it does not allow.
    const tooBig = await createUpload(alice, SHARED_BUCKET, `${folder}/big.png`, 120 * 1024 * 1024);
    expect(tooBig.status).toBe(413);
    const wrongType = await createUpload(alice, SHARED_BUCKET, `${folder}/page.html`, 10, "text/html");
    expect(wrongType.status).toBe(415);
  });

  it("accepts a signed upload token in x-signature instead of a session (/upload/resumable/sign)", async () => {
    const alice = await newStorageUser();
    const folder = await newFolder([alice]);
    const path = `${folder}/${randomUUID()}.png`;
    const signed = await alice.client.storage.from(SHARED_BUCKET).createSignedUploadUrl(path);
    expect(signed.error).toBeNull();
    const bytes = pngBytes(500);
    const tus = (extra: Record<string, string>) => ({
      apikey: stackEnv.anonKey,
      "tus-resumable": "1.0.0",
      "x-signature": signed.data!.token,
      ...extra,
    });

    const elsewhere = await fetch(`${ENDPOINT()}/sign`, {
      method: "POST",
      headers: tus({
        "upload-length": "500",
        "upload-metadata": `bucketName ${b64(SHARED_BUCKET)},objectName ${b64(`${folder}/other.png`)},contentType ${b64("image/png")}`,
      }),
    });
    expect(elsewhere.status).toBe(400);

    const created = await fetch(`${ENDPOINT()}/sign`, {
      method: "POST",
      headers: tus({
        "upload-length": "500",
        "upload-metadata": `bucketName ${b64(SHARED_BUCKET)},objectName ${b64(path)},contentType ${b64("image/png")}`,
      }),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    expect(location).toContain("/upload/resumable/sign/");
    const done = await fetch(location, {
      method: "PATCH",
      headers: tus({ "upload-offset": "0", "content-type": "application/offset+octet-stream" }),
      body: bytes,
    });
    expect(done.status).toBe(204);
    expect(await objectRow(SHARED_BUCKET, path)).toMatchObject({ owner_id: alice.id, metadata: { size: 500 } });
  });
});
