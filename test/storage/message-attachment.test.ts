// End to end with the official client: upload an image, send a message pointing at it (REST RPC), and a
// second member fetches the message and the bytes; a stranger can do neither.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parleyOf } from "../support/clients.ts";
import { newConversation, newStorageUser, pngBytes } from "./fixtures.ts";

describe("a message with an attachment", () => {
  it("is sent by one member and read, bytes included, by another; a stranger gets neither", async () => {
    const [alice, bob, mallory] = [await newStorageUser(), await newStorageUser(), await newStorageUser()];
    const conversation = await newConversation([alice, bob]);
    const path = `${conversation}/${randomUUID()}.png`;
    const bytes = pngBytes(512);

    const up = await alice.client.storage.from("parley-attachments").upload(path, bytes, { contentType: "image/png" });
    expect(up.error).toBeNull();
    const sent = await parleyOf(alice.client).rpc("send_message", { conversation_id: conversation, kind: "image", attachment: { path, width: 8, height: 8 } });
    expect(sent.error).toBeNull();
    // send_message takes size and mime type from what Storage recorded.
    expect(sent.data).toMatchObject({ kind: "image", attachment: { bucket: "parley-attachments", path, size: 512, mime_type: "image/png" } });

    const read = await parleyOf(bob.client).from("messages").select("attachment").eq("conversation_id", conversation).single();
    expect(read.error).toBeNull();
    const attachment = read.data!.attachment as { bucket: string; path: string };
    const down = await bob.client.storage.from(attachment.bucket).download(attachment.path);
    expect(down.error).toBeNull();
    expect(new Uint8Array(await down.data!.arrayBuffer())).toEqual(bytes);

    const spy = await parleyOf(mallory.client).from("messages").select("id").eq("conversation_id", conversation);
    expect(spy.data).toEqual([]);
    expect((await mallory.client.storage.from("parley-attachments").download(path)).error).toMatchObject({ message: "Object not found" });
  });
});
