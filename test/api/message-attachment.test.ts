// End to end with the official client: upload an image, send a message pointing at it (REST RPC), and a
// second member fetches the message and the bytes; a stranger can do neither. Once sent, the object is
// immutable for everyone (upsert, update, move), only its uploader deletes it, and the message then shows
// the attachment as removed.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { parleyOf } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";
import { newConversation, newStorageUser, objectRow, pngBytes } from "./fixtures.ts";

describe("a message with an attachment", () => {
  it("is sent by one member and read, bytes included, by another; a stranger gets neither", async () => {
    const [alice, bob, mallory] = [await newStorageUser(), await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice, bob]);
    const path = `${conversation}/${randomUUID()}.png`;
    const bytes = pngBytes(512);

    const up = await alice.client.storage.from("parley-attachments").upload(path, bytes, { contentType: "image/png" });
    expect(up.error).toBeNull();
    const sent = await parleyOf(alice.client).rpc("send_message", {
      conversation_id: conversation,
      kind: "image",
      attachment: { path, width: 8, height: 8 },
    });
    expect(sent.error).toBeNull();
    // send_message takes size and mime type from what Storage recorded.
    expect(sent.data).toMatchObject({
      kind: "image",
      attachment: { bucket: "parley-attachments", path, size: 512, mime_type: "image/png" },
    });

    const read = await parleyOf(bob.client)
      .from("messages")
      .select("attachment")
      .eq("conversation_id", conversation)
      .single();
    expect(read.error).toBeNull();
    const attachment = read.data!.attachment as { bucket: string; path: string };
    const down = await bob.client.storage.from(attachment.bucket).download(attachment.path);
    expect(down.error).toBeNull();
    expect(new Uint8Array(await down.data!.arrayBuffer())).toEqual(bytes);

    const spy = await parleyOf(mallory.client).from("messages").select("id").eq("conversation_id", conversation);
    expect(spy.data).toEqual([]);
    expect((await mallory.client.storage.from("parley-attachments").download(path)).error).toMatchObject({
      message: "Object not found",
    });
  });
});

/** Alice uploads a 70-byte png into a conversation with Bob and sends it; returns what the tests need. */
async function sentImage() {
  const [alice, bob] = [await newStorageUser(), await newStorageUser()];
  const conversation = await newConversation([alice, bob]);
  const path = `${conversation}/${randomUUID()}.png`;
  const bytes = pngBytes(70);
  expect(
    (await alice.client.storage.from("parley-attachments").upload(path, bytes, { contentType: "image/png" })).error,
  ).toBeNull();
  const sent = await parleyOf(alice.client)
    .rpc("send_message", { conversation_id: conversation, kind: "image", attachment: { path } })
    .single<{ id: string }>();
  expect(sent.error).toBeNull();
  return { alice, bob, conversation, path, bytes, messageId: sent.data!.id };
}

async function messageOf(client: Parameters<typeof parleyOf>[0], id: string) {
  const { data, error } = await parleyOf(client)
    .from("messages")
    .select("attachment, edited_at, deleted_at")
    .eq("id", id)
    .single();
  expect(error).toBeNull();
  return data as { attachment: Record<string, unknown>; edited_at: string | null; deleted_at: string | null };
}

describe("a sent attachment is immutable", () => {
  it("another member can neither upsert over it, update, move nor remove it: bytes, owner and message stay", async () => {
    const { alice, bob, path, bytes, messageId } = await sentImage();
    const files = bob.client.storage.from("parley-attachments");
    const before = await objectRow("parley-attachments", path);

    const upsert = await files.upload(path, pngBytes(90), { contentType: "image/png", upsert: true });
    expect(upsert.error).toMatchObject({ message: "new row violates row-level security policy", statusCode: "403" });
    const update = await files.update(path, pngBytes(90), { contentType: "image/png" });
    expect(update.error).toMatchObject({ statusCode: "403" });
    const move = await files.move(path, `${path}.moved.png`);
    expect(move.error).toMatchObject({ message: "Object not found" });
    expect((await files.remove([path])).data).toEqual([]);

    const after = await objectRow("parley-attachments", path);
    expect(after).toMatchObject({ owner_id: alice.id, version: before!.version, metadata: before!.metadata });
    const down = await bob.client.storage.from("parley-attachments").download(path);
    expect(new Uint8Array(await down.data!.arrayBuffer())).toEqual(bytes);
    expect((await messageOf(bob.client, messageId)).attachment).toMatchObject({
      path,
      size: 70,
      mime_type: "image/png",
    });
  });

  it("its own sender cannot swap it for 11 MB of application/octet-stream, nor move it", async () => {
    const { alice, path, bytes, messageId } = await sentImage();
    const files = alice.client.storage.from("parley-attachments");
    const big = new Uint8Array(11 * 1024 * 1024);

    const upsert = await files.upload(path, big, { contentType: "application/octet-stream", upsert: true });
    expect(upsert.error).toMatchObject({
      statusCode: "403",
      message: expect.stringContaining("belongs to a sent message"),
    });
    const update = await files.update(path, big, { contentType: "application/octet-stream" });
    expect(update.error).toMatchObject({
      statusCode: "403",
      message: expect.stringContaining("belongs to a sent message"),
    });
    const move = await files.move(path, `${path}.moved.png`);
    expect(move.error).toMatchObject({
      statusCode: "403",
      message: expect.stringContaining("belongs to a sent message"),
    });

    expect((await objectRow("parley-attachments", path))!.metadata).toMatchObject({ size: 70, mimetype: "image/png" });
    const down = await files.download(path);
    expect(new Uint8Array(await down.data!.arrayBuffer())).toEqual(bytes);
    expect((await messageOf(alice.client, messageId)).attachment).toMatchObject({ size: 70, mime_type: "image/png" });
  });

  it("its uploader may delete it: the message then shows the attachment as removed, and nothing can take its place", async () => {
    const { alice, bob, path, messageId } = await sentImage();
    const removed = await alice.client.storage.from("parley-attachments").remove([path]);
    expect(removed.error).toBeNull();
    expect(removed.data!.map((o) => o.name)).toEqual([path]);
    expect(await objectRow("parley-attachments", path)).toBeUndefined();

    const seen = await messageOf(bob.client, messageId);
    expect(seen.deleted_at).toBeNull();
    expect(seen.edited_at).not.toBeNull();
    expect(seen.attachment).toMatchObject({ path, size: 70, mime_type: "image/png", removed_at: expect.any(String) });
    expect((await bob.client.storage.from("parley-attachments").download(path)).error).toMatchObject({
      message: "Object not found",
    });

    const again = await alice.client.storage
      .from("parley-attachments")
      .upload(path, new Uint8Array(11 * 1024 * 1024), { contentType: "application/octet-stream" });
    expect(again.error).toMatchObject({
      statusCode: "403",
      message: expect.stringContaining("belongs to a sent message"),
    });
    const other = `${path}.other.bin`;
    expect(
      (
        await alice.client.storage
          .from("parley-attachments")
          .upload(other, new Uint8Array(100), { contentType: "application/octet-stream" })
      ).error,
    ).toBeNull();
    const moved = await alice.client.storage.from("parley-attachments").move(other, path);
    expect(moved.error).toMatchObject({
      statusCode: "403",
      message: expect.stringContaining("belongs to a sent message"),
    });
    const copied = await alice.client.storage.from("parley-attachments").copy(other, path);
    expect(copied.error).toMatchObject({
      statusCode: "403",
      message: expect.stringContaining("belongs to a sent message"),
    });
    expect(await objectRow("parley-attachments", path)).toBeUndefined();
  });

  it("a send racing a re-upload: whichever commits first, the message never describes bytes other than those stored", async () => {
    const [alice, bob] = [await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice, bob]);
    const upload = async () => {
      const path = `${conversation}/${randomUUID()}.png`;
      expect(
        (await alice.client.storage.from("parley-attachments").upload(path, pngBytes(70), { contentType: "image/png" }))
          .error,
      ).toBeNull();
      return path;
    };
    // The superuser write with which Storage completes an upsert (src/storage/uploader.ts completeUpload).
    const completeUpsert = (c: pg.Client, path: string) =>
      c.query(
        `update storage.objects set metadata = '{"size": 11534336, "mimetype": "application/octet-stream"}', version = gen_random_uuid()::text
                where bucket_id = 'parley-attachments' and name = $1`,
        [path],
      );
    const [first, second, monitor] = [
      new pg.Client(stackEnv.dbUrl),
      new pg.Client(stackEnv.dbUrl),
      new pg.Client(stackEnv.dbUrl),
    ];
    await Promise.all([first.connect(), second.connect(), monitor.connect()]);
    const firstPid = Number((await first.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid);
    // Resolves once another backend waits for a lock `first` holds: the racing statement is queued behind it.
    const blockedBehindFirst = async () => {
      const waiting = async () =>
        (
          await monitor.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
            [firstPid],
          )
        ).rows[0]!.n > 0;
      await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(true);
    };
    try {
      // The send commits first: the upsert waits for it, then is refused.
      const p1 = await upload();
      await first.query("begin");
      await first.query(
        `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
        [JSON.stringify({ sub: alice.id, role: "authenticated" })],
      );
      await first.query(`select parley.send_message($1, null, 'image', jsonb_build_object('path', $2::text))`, [
        conversation,
        p1,
      ]);
      const racing = completeUpsert(second, p1).then(
        () => "written",
        (e: { hint?: string }) => e.hint,
      );
      await blockedBehindFirst();
      await first.query("commit");
      expect(await racing).toBe("attachment_immutable");
      expect((await objectRow("parley-attachments", p1))!.metadata).toMatchObject({ size: 70, mimetype: "image/png" });

      // The upsert commits first: the send waits for it, then judges what is stored now.
      const p2 = await upload();
      await first.query("begin");
      await completeUpsert(first, p2);
      // (.then starts the request now: a supabase-js builder sends nothing until it is awaited.)
      const sending = parleyOf(alice.client)
        .rpc("send_message", { conversation_id: conversation, kind: "image", attachment: { path: p2 } })
        .then((r) => r);
      await blockedBehindFirst();
      await first.query("commit");
      const sent = await sending;
      expect(sent.error).toMatchObject({ hint: "attachment_mime_not_allowed" });
    } finally {
      await Promise.all([first.end(), second.end(), monitor.end()]);
    }
  });
});
