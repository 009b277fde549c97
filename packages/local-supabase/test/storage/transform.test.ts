// Image transformations through supabase.storage: /render/image/{authenticated,public,sign} with width, height,
// resize, quality and format, and signed URLs carrying a transform — each with the same access rule as its download.
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { anonClient, bucketName, newFolder, newStorageUser, serviceClient, SHARED_BUCKET } from "./fixtures.ts";

/** A 40×20 PNG: two colours side by side, so crops and stretches are visible in the size. */
const wide = (): Promise<Buffer> =>
  sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toBuffer();

const sizeOf = async (blob: Blob | ArrayBuffer) => {
  const m = await sharp(Buffer.from(blob instanceof Blob ? await blob.arrayBuffer() : blob)).metadata();
  return { width: m.width, height: m.height, format: m.format };
};

async function bucketWithImage(isPublic: boolean) {
  const storage = serviceClient().storage;
  const id = bucketName("img");
  const created = await storage.createBucket(id, { public: isPublic });
  if (created.error) throw created.error;
  const path = `pics/${randomUUID()}.png`;
  const up = await storage.from(id).upload(path, await wide(), { contentType: "image/png" });
  if (up.error) throw up.error;
  return { id, path, files: storage.from(id) };
}

describe("image transformations", () => {
  it("renders an authenticated download at the asked size; cover crops, contain fits, fill stretches", async () => {
    const { files, path } = await bucketWithImage(false);
    const cover = await files.download(path, { transform: { width: 10, height: 10 } });
    expect(cover.error).toBeNull();
    expect(await sizeOf(cover.data!)).toMatchObject({ width: 10, height: 10, format: "png" });
    const contain = await files.download(path, { transform: { width: 10, height: 10, resize: "contain" } });
    expect(await sizeOf(contain.data!)).toMatchObject({ width: 10, height: 5 });
    const fill = await files.download(path, { transform: { width: 10, height: 10, resize: "fill" } });
    expect(await sizeOf(fill.data!)).toMatchObject({ width: 10, height: 10 });
    const onlyWidth = await files.download(path, { transform: { width: 20 } });
    expect(await sizeOf(onlyWidth.data!)).toMatchObject({ width: 20, height: 10 });
  });

  it("renders the current bytes after an object is replaced", async () => {
    const { files, path } = await bucketWithImage(false);
    expect(await sizeOf((await files.download(path, { transform: { width: 30 } })).data!)).toMatchObject({
      width: 30,
      height: 15,
    });
    const square = await sharp({ create: { width: 60, height: 60, channels: 3, background: "white" } })
      .png()
      .toBuffer();
    expect((await files.update(path, square, { contentType: "image/png" })).error).toBeNull();
    expect(await sizeOf((await files.download(path, { transform: { width: 30 } })).data!)).toMatchObject({
      width: 30,
      height: 30,
    });
  });

  it("never enlarges, and answers Storage's headers with X-Transformations", async () => {
    const { id, path } = await bucketWithImage(false);
    const res = await fetch(
      `${stackEnv.url}/storage/v1/render/image/authenticated/${id}/${path}?width=400&height=100&quality=50`,
      {
        headers: { authorization: `Bearer ${stackEnv.serviceRoleKey}`, apikey: stackEnv.anonKey },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-transformations")).toBe("height:100,width:400,resizing_type:fill,quality:50");
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await sizeOf(await res.arrayBuffer())).toMatchObject({ width: 40, height: 20 });
  });

  it("converts to WebP when the client accepts it, keeps the source with format=origin, and honours format=webp", async () => {
    const { id, path } = await bucketWithImage(true);
    const url = `${stackEnv.url}/storage/v1/render/image/public/${id}/${path}?width=8`;
    const webp = await fetch(url, { headers: { accept: "image/avif,image/webp,*/*" } });
    expect(webp.headers.get("content-type")).toBe("image/webp");
    expect((await sizeOf(await webp.arrayBuffer())).format).toBe("webp");
    const origin = await fetch(`${url}&format=origin`, { headers: { accept: "image/webp" } });
    expect(origin.headers.get("content-type")).toBe("image/png");
    const asked = await fetch(`${url}&format=webp`);
    expect(asked.headers.get("content-type")).toBe("image/webp");
  });

  it("renders public URLs of public buckets only", async () => {
    const pub = await bucketWithImage(true);
    const { data } = anonClient()
      .storage.from(pub.id)
      .getPublicUrl(pub.path, { transform: { width: 4, height: 4 } });
    expect(data.publicUrl).toContain("/render/image/public/");
    const res = await fetch(data.publicUrl);
    expect(res.status).toBe(200);
    expect(await sizeOf(await res.arrayBuffer())).toMatchObject({ width: 4, height: 4 });
    const priv = await bucketWithImage(false);
    const refused = await fetch(`${stackEnv.url}/storage/v1/render/image/public/${priv.id}/${priv.path}?width=4`);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ statusCode: "404", error: "Bucket not found" });
  });

  it("signs a transform into a signed URL that renders until it expires", async () => {
    const { files, path } = await bucketWithImage(false);
    const signed = await files.createSignedUrl(path, 60, { transform: { width: 6, height: 6, resize: "contain" } });
    expect(signed.error).toBeNull();
    expect(signed.data!.signedUrl).toContain("/render/image/sign/");
    const res = await fetch(signed.data!.signedUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("expires")).not.toBeNull();
    expect(res.headers.get("x-transformations")).toBe("height:6,width:6,resizing_type:fit");
    expect(await sizeOf(await res.arrayBuffer())).toMatchObject({ width: 6, height: 3 });
    // The token names its object: it does not open another one.
    const other = signed.data!.signedUrl.replace(path, `${path}.other`);
    expect((await fetch(other)).status).toBe(400);
  });

  it("refuses invalid options as Storage validates them, and a source that is not an image", async () => {
    const { id, path, files } = await bucketWithImage(false);
    const auth = { authorization: `Bearer ${stackEnv.serviceRoleKey}`, apikey: stackEnv.anonKey };
    const low = await fetch(`${stackEnv.url}/storage/v1/render/image/authenticated/${id}/${path}?width=5&quality=10`, {
      headers: auth,
    });
    expect(low.status).toBe(400);
    expect(await low.json()).toMatchObject({ statusCode: "400", message: "querystring/quality must be >= 20" });
    const mode = await fetch(
      `${stackEnv.url}/storage/v1/render/image/authenticated/${id}/${path}?width=5&resize=squash`,
      { headers: auth },
    );
    expect(await mode.json()).toMatchObject({
      message: "querystring/resize must be equal to one of the allowed values",
    });
    await files.upload("notes.txt", "not an image", { contentType: "text/plain" });
    const text = await files.download("notes.txt", { transform: { width: 5 } });
    expect(text.error).toMatchObject({ message: "The source image is invalid or unsupported for rendering" });
  });
});

describe("image transformations of private attachments", () => {
  it("renders a member's image for another member but not for a non-member, by download or signed URL", async () => {
    const [alice, bob, mallory] = [await newStorageUser(), await newStorageUser(), await newStorageUser()];
    const folder = await newFolder([alice, bob]);
    const path = `${folder}/${randomUUID()}.png`;
    const bucket = SHARED_BUCKET;
    expect(
      (
        await alice.client.storage
          .from(bucket)
          .upload(path, new Blob([new Uint8Array(await wide())], { type: "image/png" }))
      ).error,
    ).toBeNull();

    const seen = await bob.client.storage.from(bucket).download(path, { transform: { width: 10, height: 10 } });
    expect(seen.error).toBeNull();
    expect(await sizeOf(seen.data!)).toMatchObject({ width: 10, height: 10 });

    const hidden = await mallory.client.storage.from(bucket).download(path, { transform: { width: 10, height: 10 } });
    expect(hidden.data).toBeNull();
    expect(hidden.error).toMatchObject({ message: "Object not found", statusCode: "404" });
    const unsigned = await mallory.client.storage.from(bucket).createSignedUrl(path, 60, { transform: { width: 10 } });
    expect(unsigned.data).toBeNull();
    expect(unsigned.error).toMatchObject({ message: "Object not found" });
    const anonymous = await fetch(`${stackEnv.url}/storage/v1/render/image/authenticated/${bucket}/${path}?width=10`, {
      headers: { apikey: stackEnv.anonKey },
    });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({ statusCode: "404" });
  });
});
