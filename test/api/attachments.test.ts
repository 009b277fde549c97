// Message attachments in the `parley-attachments` bucket, through supabase.storage: the RLS policies on
// storage.objects decide who reads, lists and writes under a conversation's folder.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, newConversation, newStorageUser, objectRow, pngBytes } from "./fixtures.ts";

const BUCKET = "parley-attachments";

describe("parley-attachments bucket", () => {
  it("lets a member upload an image into their conversation's folder and another member download it", async () => {
    const [alice, bob] = [await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice, bob]);
    const path = `${conversation}/${randomUUID()}.png`;
    const bytes = pngBytes(300);

    const up = await alice.client.storage.from(BUCKET).upload(path, new Blob([bytes], { type: "image/png" }));
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ path, fullPath: `${BUCKET}/${path}` });
    expect(up.data!.id).toMatch(/^[0-9a-f-]{36}$/);

    const down = await bob.client.storage.from(BUCKET).download(path);
    expect(down.error).toBeNull();
    expect(down.data!.type).toBe("image/png");
    expect(new Uint8Array(await down.data!.arrayBuffer())).toEqual(bytes);
  });

  it("records the uploader as owner and the file's metadata on the object row", async () => {
    const alice = await newStorageUser();
    const conversation = await newConversation([alice]);
    const path = `${conversation}/${randomUUID()}.png`;
    const up = await alice.client.storage
      .from(BUCKET)
      .upload(path, new Blob([pngBytes(100)], { type: "image/png" }), { cacheControl: "60" });
    expect(up.error).toBeNull();

    const row = await objectRow(BUCKET, path);
    expect(row).toMatchObject({ owner: alice.id, owner_id: alice.id });
    expect(row!.metadata).toMatchObject({
      size: 100,
      mimetype: "image/png",
      cacheControl: "max-age=60",
      contentLength: 100,
      httpStatusCode: 200,
    });
    expect((row!.metadata as { eTag: string }).eTag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("does not let a non-member read an attachment", async () => {
    const [alice, mallory] = [await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice]);
    const path = `${conversation}/${randomUUID()}.png`;
    expect(
      (await alice.client.storage.from(BUCKET).upload(path, new Blob([pngBytes()], { type: "image/png" }))).error,
    ).toBeNull();

    const down = await mallory.client.storage.from(BUCKET).download(path);
    expect(down.data).toBeNull();
    expect(down.error).toMatchObject({ message: "Object not found", statusCode: "404", status: 400 });
  });

  it("does not let a non-member list a conversation's folder", async () => {
    const [alice, mallory] = [await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice]);
    expect(
      (
        await alice.client.storage
          .from(BUCKET)
          .upload(`${conversation}/a.png`, new Blob([pngBytes()], { type: "image/png" }))
      ).error,
    ).toBeNull();

    const mine = await alice.client.storage.from(BUCKET).list(conversation);
    expect(mine.data!.map((o) => o.name)).toEqual(["a.png"]);
    const theirs = await mallory.client.storage.from(BUCKET).list(conversation);
    expect(theirs.error).toBeNull();
    expect(theirs.data).toEqual([]);
  });

  it("refuses a non-member's upload into the folder with Storage's RLS error, keeping nothing", async () => {
    const [alice, mallory] = [await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice]);
    const path = `${conversation}/${randomUUID()}.png`;

    const up = await mallory.client.storage.from(BUCKET).upload(path, new Blob([pngBytes()], { type: "image/png" }));
    expect(up.data).toBeNull();
    expect(up.error).toMatchObject({
      message: "new row violates row-level security policy",
      statusCode: "403",
      status: 400,
    });
    expect(await objectRow(BUCKET, path)).toBeUndefined();
  });

  it("refuses an attachment whose mime type the bucket does not allow, before keeping it", async () => {
    const alice = await newStorageUser();
    const conversation = await newConversation([alice]);
    const path = `${conversation}/${randomUUID()}.html`;

    const up = await alice.client.storage.from(BUCKET).upload(path, new Blob(["<p>hi</p>"], { type: "text/html" }));
    expect(up.error).toMatchObject({ message: "mime type text/html is not supported", statusCode: "415", status: 400 });
    expect(await objectRow(BUCKET, path)).toBeUndefined();
  });

  it("replaces an attachment on upsert and refuses a plain re-upload as a duplicate", async () => {
    const alice = await newStorageUser();
    const conversation = await newConversation([alice]);
    const path = `${conversation}/${randomUUID()}.png`;
    const files = alice.client.storage.from(BUCKET);
    expect((await files.upload(path, new Blob([pngBytes(10)], { type: "image/png" }))).error).toBeNull();

    const again = await files.upload(path, new Blob([pngBytes(20)], { type: "image/png" }));
    expect(again.error).toMatchObject({ message: "The resource already exists", statusCode: "409", status: 400 });

    const replaced = await files.upload(path, new Blob([pngBytes(30)], { type: "image/png" }), { upsert: true });
    expect(replaced.error).toBeNull();
    const down = await files.download(path);
    expect(down.data!.size).toBe(30);
    expect((await objectRow(BUCKET, path))!.metadata).toMatchObject({ size: 30 });
  });

  it("removes an attachment's row and bytes for its uploader", async () => {
    const alice = await newStorageUser();
    const conversation = await newConversation([alice]);
    const path = `${conversation}/${randomUUID()}.png`;
    const files = alice.client.storage.from(BUCKET);
    expect((await files.upload(path, new Blob([pngBytes()], { type: "image/png" }))).error).toBeNull();
    const before = await objectRow(BUCKET, path);

    const removed = await files.remove([path]);
    expect(removed.error).toBeNull();
    expect(removed.data!.map((o) => o.name)).toEqual([path]);
    expect(await objectRow(BUCKET, path)).toBeUndefined();

    // Put the row back behind Storage's back: the bytes must be gone, so the download finds no asset.
    await db().query(
      "insert into storage.objects (id, bucket_id, name, owner, owner_id, metadata, version) values ($1, $2, $3, $4, $5, $6, $7)",
      [before!.id, BUCKET, path, alice.id, alice.id, before!.metadata, before!.version],
    );
    const down = await files.download(path);
    expect(down.error).toMatchObject({ message: "The resource was not found", statusCode: "404" });
  });

  it("does not let another member remove an attachment they did not upload", async () => {
    const [alice, bob] = [await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice, bob]);
    const path = `${conversation}/${randomUUID()}.png`;
    expect(
      (await alice.client.storage.from(BUCKET).upload(path, new Blob([pngBytes()], { type: "image/png" }))).error,
    ).toBeNull();

    const removed = await bob.client.storage.from(BUCKET).remove([path]);
    expect(removed.error).toBeNull();
    expect(removed.data).toEqual([]);
    expect(await objectRow(BUCKET, path)).toBeDefined();
    expect((await bob.client.storage.from(BUCKET).download(path)).error).toBeNull();
  });
});
