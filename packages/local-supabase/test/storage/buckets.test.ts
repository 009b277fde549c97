// Bucket administration through supabase.storage with the service key, and the limits a bucket enforces.
import { describe, expect, it } from "vitest";
import { bucketName, clientWithToken, newStorageUser, objectRow, serviceClient } from "./fixtures.ts";

describe("buckets", () => {
  it("creates a bucket and reads it back with Storage's bucket fields", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("create");
    const created = await storage.createBucket(id, {
      public: false,
      fileSizeLimit: "1mb",
      allowedMimeTypes: ["image/*"],
    });
    expect(created).toEqual({ data: { name: id }, error: null });

    const got = await storage.getBucket(id);
    expect(got.error).toBeNull();
    expect(Object.keys(got.data!).sort()).toEqual(
      ["allowed_mime_types", "created_at", "file_size_limit", "id", "name", "owner", "public", "updated_at"].sort(),
    );
    expect(got.data).toMatchObject({
      id,
      name: id,
      public: false,
      file_size_limit: 1000000,
      allowed_mime_types: ["image/*"],
    });
    expect(got.data!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("lists buckets, filtered by search", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("listme");
    await storage.createBucket(id);
    const all = await storage.listBuckets();
    expect(all.data!.map((b) => b.id)).toContain(id);
    const found = await storage.listBuckets({ search: id });
    expect(found.data!.map((b) => b.id)).toEqual([id]);
  });

  it("refuses a second bucket with the same id as a duplicate", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("dup");
    await storage.createBucket(id);
    const again = await storage.createBucket(id);
    expect(again.error).toMatchObject({ message: "The resource already exists", statusCode: "409", status: 400 });
  });

  it("refuses an invalid bucket name and an unparsable size", async () => {
    const storage = serviceClient().storage;
    expect((await storage.createBucket(" spaced ")).error).toMatchObject({
      message: "Bucket name invalid",
      statusCode: "400",
    });
    expect(
      (await storage.createBucket(bucketName("size"), { public: false, fileSizeLimit: "ten megs" })).error,
    ).toMatchObject({
      message: "Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B",
    });
  });

  it("does not let a signed-in user create a bucket (no bucket policy allows it)", async () => {
    const user = await newStorageUser();
    const res = await user.client.storage.createBucket(bucketName("user"));
    expect(res.error).toMatchObject({
      message: "new row violates row-level security policy",
      statusCode: "403",
      status: 400,
    });
  });

  it("updates a bucket's public flag and limits", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("upd");
    await storage.createBucket(id);
    const updated = await storage.updateBucket(id, {
      public: true,
      fileSizeLimit: 2048,
      allowedMimeTypes: ["text/plain"],
    });
    expect(updated).toEqual({ data: { message: "Successfully updated" }, error: null });
    expect((await storage.getBucket(id)).data).toMatchObject({
      public: true,
      file_size_limit: 2048,
      allowed_mime_types: ["text/plain"],
    });
  });

  it("answers Bucket not found for a bucket that does not exist", async () => {
    const storage = serviceClient().storage;
    expect((await storage.getBucket(bucketName("nope"))).error).toMatchObject({
      message: "Bucket not found",
      statusCode: "404",
      status: 400,
    });
    expect((await storage.updateBucket(bucketName("nope"), { public: true })).error).toMatchObject({
      message: "Bucket not found",
    });
    expect((await storage.deleteBucket(bucketName("nope"))).error).toMatchObject({ message: "Bucket not found" });
  });

  it("refuses to delete a bucket that still holds objects, and deletes it once emptied", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("del");
    await storage.createBucket(id);
    expect((await storage.from(id).upload("a/b.txt", "hello")).error).toBeNull();

    const refused = await storage.deleteBucket(id);
    expect(refused.error).toMatchObject({ message: "The bucket you tried to delete is not empty", statusCode: "409" });

    const emptied = await storage.emptyBucket(id);
    expect(emptied).toEqual({
      data: { message: "Empty bucket has been queued. Completion may take up to an hour." },
      error: null,
    });
    expect(await objectRow(id, "a/b.txt")).toBeUndefined();
    expect(await storage.deleteBucket(id)).toEqual({ data: { message: "Successfully deleted" }, error: null });
    expect((await storage.getBucket(id)).error).toMatchObject({ message: "Bucket not found" });
  });

  it("lets only the service role empty a bucket (HTTP 403)", async () => {
    const id = bucketName("noempty");
    await serviceClient().storage.createBucket(id);
    const user = await newStorageUser();
    const res = await user.client.storage.emptyBucket(id);
    expect(res.error).toMatchObject({ message: "Access denied: Invalid role", statusCode: "403", status: 403 });
  });

  it("refuses a request whose JWT does not verify, as Storage's AccessDenied", async () => {
    const res = await clientWithToken("not-a-jwt").storage.listBuckets();
    expect(res.error).toMatchObject({ message: "Invalid Compact JWS", statusCode: "403", status: 400 });
  });
});

describe("bucket limits", () => {
  it("refuses an upload over the bucket's file_size_limit with EntityTooLarge, keeping nothing", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("small");
    await storage.createBucket(id, { public: false, fileSizeLimit: 100 });
    const big = await storage
      .from(id)
      .upload("big.bin", new Blob([new Uint8Array(101)], { type: "application/octet-stream" }));
    expect(big.error).toMatchObject({
      message: "The object exceeded the maximum allowed size",
      statusCode: "413",
      status: 400,
    });
    expect(await objectRow(id, "big.bin")).toBeUndefined();
    const fits = await storage
      .from(id)
      .upload("fits.bin", new Blob([new Uint8Array(100)], { type: "application/octet-stream" }));
    expect(fits.error).toBeNull();
  });

  it("refuses an oversize raw-body upload from its Content-Length", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("smallraw");
    await storage.createBucket(id, { public: false, fileSizeLimit: 10 });
    const big = await storage.from(id).upload("big.txt", "x".repeat(11));
    expect(big.error).toMatchObject({ message: "The object exceeded the maximum allowed size", statusCode: "413" });
    expect(await objectRow(id, "big.txt")).toBeUndefined();
  });

  it("matches allowed_mime_types with wildcards like image/*", async () => {
    const storage = serviceClient().storage;
    const id = bucketName("mime");
    await storage.createBucket(id, { public: false, allowedMimeTypes: ["image/*", "application/pdf"] });
    const files = storage.from(id);
    expect((await files.upload("a.webp", new Blob(["x"], { type: "image/webp" }))).error).toBeNull();
    expect((await files.upload("b.pdf", new Blob(["x"], { type: "application/pdf" }))).error).toBeNull();
    const refused = await files.upload("c.mp4", new Blob(["x"], { type: "video/mp4" }));
    expect(refused.error).toMatchObject({
      message: "mime type video/mp4 is not supported",
      statusCode: "415",
      status: 400,
    });
  });

  it("refuses a bucket limit above the global [storage] file_size_limit", async () => {
    const res = await serviceClient().storage.createBucket(bucketName("huge"), { public: false, fileSizeLimit: "1gb" });
    expect(res.error).toMatchObject({ message: "The object exceeded the maximum allowed size", statusCode: "413" });
  });
});
