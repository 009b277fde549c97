// Signed download and upload URLs through supabase.storage: JWTs signed with the stack's secret that
// work without a session until they expire, and only for the object they name.
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { anonClient, newFolder, newStorageUser, objectRow, pngBytes, SHARED_BUCKET } from "./fixtures.ts";

const BUCKET = SHARED_BUCKET;

/** Resolves at the start of the next wall-clock second, so a 1-second token has its whole second ahead. */
async function startOfNextSecond(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
}

async function uploaded(): Promise<{
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
  user: Awaited<ReturnType<typeof newStorageUser>>;
}> {
  const user = await newStorageUser();
  const folder = await newFolder([user]);
  const path = `${folder}/${randomUUID()}.png`;
  const bytes = pngBytes(200);
  const up = await user.client.storage.from(BUCKET).upload(path, new Blob([bytes], { type: "image/png" }));
  if (up.error) throw up.error;
  return { path, bytes, user };
}

describe("signed URLs", () => {
  it("serves the object without a session until the URL expires, then refuses it", async () => {
    const { path, bytes, user } = await uploaded();
    await startOfNextSecond();
    // 2 s rather than 1: exp is whole seconds from a floored iat, and on a loaded machine signing plus the
    // first fetch can take most of a second; the wait past exp below is what the test is about.
    const signed = await user.client.storage.from(BUCKET).createSignedUrl(path, 2);
    expect(signed.error).toBeNull();
    const url = signed.data!.signedUrl;
    const token = new URL(url).searchParams.get("token")!;
    expect(decodeJwt(token)).toMatchObject({ url: `${BUCKET}/${path}` });

    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(bytes);

    const exp = decodeJwt(token).exp!;
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 50));
    const expired = await fetch(url);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({
      statusCode: "400",
      error: "InvalidJWT",
      message: '"exp" claim timestamp check failed',
    });
  });

  it("is a JWT signed with the stack's secret carrying url, iat and exp", async () => {
    const { path, user } = await uploaded();
    const signed = await user.client.storage.from(BUCKET).createSignedUrl(path, 60);
    const claims = decodeJwt(new URL(signed.data!.signedUrl).searchParams.get("token")!);
    expect(claims.url).toBe(`${BUCKET}/${path}`);
    expect(claims.exp! - claims.iat!).toBe(60);
  });

  it("refuses a token used for another object", async () => {
    const a = await uploaded();
    const signed = await a.user.client.storage.from(BUCKET).createSignedUrl(a.path, 60);
    const token = new URL(signed.data!.signedUrl).searchParams.get("token")!;
    const other = new URL(signed.data!.signedUrl);
    other.pathname = other.pathname.replace(/[^/]+$/, "other.png");
    other.searchParams.set("token", token);
    const res = await fetch(other);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      statusCode: "400",
      error: "InvalidSignature",
      message: "Invalid signature",
    });
  });

  it("adds a Content-Disposition when asked to download under a name", async () => {
    const { path, user } = await uploaded();
    const signed = await user.client.storage.from(BUCKET).createSignedUrl(path, 60, { download: "photo 1.png" });
    const res = await fetch(signed.data!.signedUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      "attachment; filename=photo%201.png; filename*=UTF-8''photo%201.png",
    );
    expect(res.headers.get("expires")).toBeTruthy();
  });

  it("is not issued to someone who cannot read the object", async () => {
    const { path } = await uploaded();
    const stranger = await newStorageUser();
    const signed = await stranger.client.storage.from(BUCKET).createSignedUrl(path, 60);
    expect(signed.data).toBeNull();
    expect(signed.error).toMatchObject({ message: "Object not found", statusCode: "404" });
  });

  it("signs many paths at once, with an error entry for each path the caller cannot see", async () => {
    const { path, user } = await uploaded();
    const missing = `${path.split("/")[0]}/missing.png`;
    const signed = await user.client.storage.from(BUCKET).createSignedUrls([path, missing], 60);
    expect(signed.error).toBeNull();
    expect(signed.data).toHaveLength(2);
    expect(signed.data![0]).toMatchObject({ path, error: null });
    expect(signed.data![1]).toMatchObject({
      path: missing,
      error: "Either the object does not exist or you do not have access to it",
      signedUrl: null,
    });
    const res = await fetch(signed.data![0]!.signedUrl as string);
    expect(res.status).toBe(200);
  });

  it("lets anyone holding a signed upload URL upload that one object, owned by the URL's creator", async () => {
    const user = await newStorageUser();
    const folder = await newFolder([user]);
    const path = `${folder}/${randomUUID()}.png`;
    const created = await user.client.storage.from(BUCKET).createSignedUploadUrl(path);
    expect(created.error).toBeNull();
    expect(created.data!.path).toBe(path);

    const up = await anonClient()
      .storage.from(BUCKET)
      .uploadToSignedUrl(path, created.data!.token, new Blob([pngBytes(50)], { type: "image/png" }));
    expect(up.error).toBeNull();
    expect(up.data!.fullPath).toBe(`${BUCKET}/${path}`);
    expect(await objectRow(BUCKET, path)).toMatchObject({ owner_id: user.id });
    const again = await anonClient()
      .storage.from(BUCKET)
      .uploadToSignedUrl(path, created.data!.token, new Blob([pngBytes(50)], { type: "image/png" }));
    expect(again.error).toMatchObject({ message: "The resource already exists", statusCode: "409" });
  });

  it("is not issued for an upload the caller's policies refuse", async () => {
    const user = await newStorageUser();
    const folder = await newFolder([user]);
    const stranger = await newStorageUser();
    const created = await stranger.client.storage.from(BUCKET).createSignedUploadUrl(`${folder}/x.png`);
    expect(created.data).toBeNull();
    expect(created.error).toMatchObject({ message: "new row violates row-level security policy", statusCode: "403" });
  });
});
