// Object operations through supabase.storage on buckets made per test: raw and multipart uploads,
// update, info/exists, public downloads, list options, move, copy and remove.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { anonClient, bucketName, newStorageUser, objectRow, serviceClient } from "./fixtures.ts";

async function bucket(opts: { public?: boolean } = {}) {
  const storage = serviceClient().storage;
  const id = bucketName("obj");
  const created = await storage.createBucket(id, { public: opts.public ?? false });
  if (created.error) throw created.error;
  return { id, files: storage.from(id) };
}

const text = async (blob: Blob | null) => (blob ? await blob.text() : null);

describe("objects", () => {
  it("stores a raw-body upload with its content type, cache control and user metadata", async () => {
    const { id, files } = await bucket();
    const up = await files.upload("docs/readme.txt", Buffer.from("hello raw"), {
      contentType: "text/markdown",
      cacheControl: "120",
      metadata: { k: "v" },
    });
    expect(up.error).toBeNull();
    expect(await objectRow(id, "docs/readme.txt")).toMatchObject({
      metadata: { mimetype: "text/markdown", cacheControl: "max-age=120", size: 9 },
      user_metadata: { k: "v" },
    });
    const down = await files.download("docs/readme.txt");
    expect(await text(down.data)).toBe("hello raw");
    expect(down.data!.type).toBe("text/markdown");
  });

  it("replaces an object with update()", async () => {
    const { files } = await bucket();
    await files.upload("a.txt", "one");
    const updated = await files.update("a.txt", "two, longer");
    expect(updated.error).toBeNull();
    expect(await text((await files.download("a.txt")).data)).toBe("two, longer");
  });

  it("reports info() and exists() for an object", async () => {
    const { files } = await bucket();
    await files.upload("i/info.txt", "12345", { contentType: "text/plain", metadata: { tag: "x" } });
    const info = await files.info("i/info.txt");
    expect(info.error).toBeNull();
    expect(info.data).toMatchObject({
      name: "i/info.txt",
      size: 5,
      contentType: "text/plain",
      cacheControl: "max-age=3600",
      metadata: { tag: "x" },
    });
    expect(info.data!.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await files.exists("i/info.txt")).data).toBe(true);
    expect((await files.exists("i/missing.txt")).data).toBe(false);
  });

  it("serves objects of a public bucket at their public URL without a session", async () => {
    const { id, files } = await bucket({ public: true });
    await files.upload("p/hello.txt", "public bytes", { contentType: "text/plain" });
    const url = anonClient().storage.from(id).getPublicUrl("p/hello.txt").data.publicUrl;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("public bytes");
    expect(res.headers.get("cache-control")).toBe("max-age=3600");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("does not serve a private bucket's objects at a public URL", async () => {
    const { id, files } = await bucket();
    await files.upload("secret.txt", "private");
    const res = await fetch(anonClient().storage.from(id).getPublicUrl("secret.txt").data.publicUrl);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      statusCode: "404",
      error: "Bucket not found",
      message: "Bucket not found",
    });
  });

  it("serves a byte range", async () => {
    const { id, files } = await bucket({ public: true });
    await files.upload("r.txt", "0123456789");
    const res = await fetch(anonClient().storage.from(id).getPublicUrl("r.txt").data.publicUrl, {
      headers: { range: "bytes=2-5" },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await res.text()).toBe("2345");
  });

  it("lists one level under a prefix: folders and files, relative names", async () => {
    const { files } = await bucket();
    for (const p of ["f/a.txt", "f/b.txt", "f/sub/c.txt", "g/d.txt"]) await files.upload(p, "x");
    const root = await files.list();
    expect(root.data!.map((o) => [o.name, o.id === null])).toEqual([
      ["f", true],
      ["g", true],
    ]);
    const inF = await files.list("f");
    expect(inF.data!.map((o) => o.name)).toEqual(["a.txt", "b.txt", "sub"]);
    expect(inF.data![0]!.metadata).toMatchObject({ size: 1 });
    expect(inF.data![2]!.id).toBeNull();
  });

  it("pages, sorts and searches a listing", async () => {
    const { files } = await bucket();
    for (const p of ["l/apple.txt", "l/banana.txt", "l/cherry.txt", "l/avocado.txt"]) await files.upload(p, "x");
    const page = await files.list("l", { limit: 2, offset: 1, sortBy: { column: "name", order: "asc" } });
    expect(page.data!.map((o) => o.name)).toEqual(["avocado.txt", "banana.txt"]);
    const desc = await files.list("l", { sortBy: { column: "name", order: "desc" } });
    expect(desc.data!.map((o) => o.name)).toEqual(["cherry.txt", "banana.txt", "avocado.txt", "apple.txt"]);
    const search = await files.list("l", { search: "a" });
    expect(search.data!.map((o) => o.name)).toEqual(["apple.txt", "avocado.txt"]);
  });

  it("moves an object: the old key is gone, the bytes follow", async () => {
    const { id, files } = await bucket();
    await files.upload("m/from.txt", "moving");
    const moved = await files.move("m/from.txt", "m/to.txt");
    expect(moved.error).toBeNull();
    expect(moved.data).toMatchObject({ message: "Successfully moved" });
    expect(await objectRow(id, "m/from.txt")).toBeUndefined();
    expect(await text((await files.download("m/to.txt")).data)).toBe("moving");
  });

  it("refuses to move onto an existing key", async () => {
    const { files } = await bucket();
    await files.upload("x.txt", "x");
    await files.upload("y.txt", "y");
    const moved = await files.move("x.txt", "y.txt");
    expect(moved.error).toMatchObject({ message: "The resource already exists", statusCode: "409" });
    expect(await text((await files.download("x.txt")).data)).toBe("x");
  });

  it("copies an object, keeping the source", async () => {
    const { id, files } = await bucket();
    await files.upload("c/src.txt", "copy me", { contentType: "text/plain" });
    const copied = await files.copy("c/src.txt", "c/dst.txt");
    expect(copied).toEqual({ data: { path: `${id}/c/dst.txt` }, error: null });
    expect(await text((await files.download("c/src.txt")).data)).toBe("copy me");
    expect(await text((await files.download("c/dst.txt")).data)).toBe("copy me");
  });

  it("answers Object not found for a missing key", async () => {
    const { files } = await bucket();
    const down = await files.download("nope.txt");
    expect(down.error).toMatchObject({ message: "Object not found", statusCode: "404", status: 400 });
    expect((await files.move("nope.txt", "other.txt")).error).toMatchObject({ message: "Object not found" });
    expect((await files.copy("nope.txt", "other.txt")).error).toMatchObject({ message: "Object not found" });
  });

  it("removes several objects at once and returns the removed rows", async () => {
    const { id, files } = await bucket();
    await files.upload("d/1.txt", "1");
    await files.upload("d/2.txt", "2");
    const removed = await files.remove(["d/1.txt", "d/2.txt", "d/never.txt"]);
    expect(removed.error).toBeNull();
    expect(removed.data!.map((o) => o.name).sort()).toEqual(["d/1.txt", "d/2.txt"]);
    expect(await objectRow(id, "d/1.txt")).toBeUndefined();
    expect((await files.download("d/2.txt")).error).toMatchObject({ message: "Object not found" });
  });

  it("sets owner_id from the JWT sub and leaves owner empty for the service key", async () => {
    const { id, files } = await bucket();
    await files.upload("svc.txt", "s");
    expect(await objectRow(id, "svc.txt")).toMatchObject({ owner: null, owner_id: null });
    const user = await newStorageUser();
    expect((await user.client.storage.from(id).upload("u.txt", "u")).error).toMatchObject({
      message: "new row violates row-level security policy",
    });
  });

  it("refuses a key with characters Storage does not accept", async () => {
    const { files } = await bucket();
    const up = await files.upload("bad{name}.txt", "x");
    expect(up.error).toMatchObject({ message: "Invalid key: bad{name}.txt", statusCode: "400" });
  });

  it("refuses, keeping nothing, a key the local disk layout cannot hold next to another (a and a/b)", async () => {
    const { id, files } = await bucket();
    expect((await files.upload("a", "file a")).error).toBeNull();
    const nested = await files.upload("a/b", "file a/b");
    expect(nested.error).toMatchObject({ statusCode: "409" });
    expect(await objectRow(id, "a/b")).toBeUndefined();
    expect(await text((await files.download("a")).data)).toBe("file a");
  });

  it("keeps row and bytes consistent when several upserts of one key race", async () => {
    const { id, files } = await bucket();
    const bodies = Array.from({ length: 6 }, (_, i) => `version ${i} `.repeat(i + 1));
    const results = await Promise.all(bodies.map((b) => files.upload("race.txt", b, { upsert: true })));
    expect(results.every((r) => r.error === null)).toBe(true);
    const stored = await text((await files.download("race.txt")).data);
    expect(bodies).toContain(stored);
    const row = await objectRow(id, "race.txt");
    expect(row!.metadata).toMatchObject({
      size: Buffer.byteLength(stored!),
      eTag: `"${createHash("md5").update(stored!).digest("hex")}"`,
    });
  });

  it("lists with listV2, folded at '/' into folders and objects", async () => {
    const { files } = await bucket();
    for (const p of ["v/a.txt", "v/b.txt", "v/sub/c.txt", "v/sub/d.txt"]) await files.upload(p, "x");
    const res = await files.listV2({ prefix: "v/", with_delimiter: true });
    expect(res.error).toBeNull();
    expect(res.data!.folders.map((f) => f.name)).toEqual(["v/sub/"]);
    expect(res.data!.objects.map((o) => [o.name, o.key])).toEqual([
      ["v/a.txt", "a.txt"],
      ["v/b.txt", "b.txt"],
    ]);
    expect(res.data!.hasNext).toBe(false);
  });

  it("answers listV2 folder entries in Storage's shape: key, name with '/', null id, timestamps only when sorted by one", async () => {
    const { files } = await bucket();
    for (const p of ["w/sub/c.txt", "w/sub/d.txt", "w/z.txt"]) await files.upload(p, "x");
    const byName = await files.listV2({ prefix: "w/", with_delimiter: true });
    expect(byName.error).toBeNull();
    expect(byName.data!.folders).toEqual([
      {
        key: "sub",
        name: "w/sub/",
        id: null,
        updated_at: null,
        created_at: null,
        last_accessed_at: null,
        metadata: null,
      },
    ]);
    const byTime = await files.listV2({
      prefix: "w/",
      with_delimiter: true,
      sortBy: { column: "created_at", order: "asc" },
    });
    expect(byTime.error).toBeNull();
    const [folder] = byTime.data!.folders as unknown as Array<Record<string, unknown>>;
    expect(folder).toMatchObject({ key: "sub", name: "w/sub/", id: null, last_accessed_at: null, metadata: null });
    expect(typeof folder!.created_at).toBe("string");
    expect(folder!.updated_at).toBe(folder!.created_at);
    const root = await files.listV2({ with_delimiter: true });
    expect(root.data!.folders).toEqual([
      { key: "w", name: "w/", id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null },
    ]);
  });

  it("pages listV2 with its cursor until hasNext is false", async () => {
    const { files } = await bucket();
    const names = ["p/1.txt", "p/2.txt", "p/3.txt", "p/4.txt", "p/5.txt"];
    for (const p of names) await files.upload(p, "x");
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await files.listV2({ prefix: "p/", limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.error).toBeNull();
      seen.push(...res.data!.objects.map((o) => o.name));
      if (!res.data!.hasNext) break;
      cursor = res.data!.nextCursor;
    }
    expect(seen).toEqual(names);
  });
});
