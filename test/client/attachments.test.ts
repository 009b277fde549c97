// The SDK's attachments end to end: bytes into Storage under the conversation, a message pointing at them.
import { describe, expect, it } from "vitest";
import { ATTACHMENTS_BUCKET } from "../../client/index.ts";
import { newParleyUser, refusal } from "./parley.ts";

// A 1×1 transparent PNG.
const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64"));

describe("client SDK: attachments", () => {
  it("an image sent by one member is downloaded byte for byte by the other, and a stranger gets nothing", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = await ann.parley.attachments.send(conversation.id, "image", { data: PNG, contentType: "image/png", name: "dot.png", width: 1, height: 1, body: "a dot" });
    expect(sent).toMatchObject({ kind: "image", body: "a dot" });
    expect(sent.attachment).toMatchObject({ mime_type: "image/png", size: PNG.length, name: "dot.png", width: 1 });
    expect(sent.attachment!.path.startsWith(`${conversation.id}/`)).toBe(true);

    const [received] = (await bob.parley.messages.list(conversation.id)).items;
    const bytes = new Uint8Array(await (await bob.parley.attachments.download(received!.attachment!)).arrayBuffer());
    expect(bytes).toEqual(PNG);
    expect((await refusal(eve.parley.attachments.download(received!.attachment!))).code).toBe("download_refused");
  });

  it("a file type the bucket does not allow is refused before anything is stored or sent", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const refused = await refusal(ann.parley.attachments.send(conversation.id, "file", { data: new TextEncoder().encode("#!/bin/sh"), contentType: "application/x-sh", name: "run.sh" }));
    expect(refused.code).toBe("upload_refused");
    expect((await bob.parley.messages.list(conversation.id)).items).toEqual([]);
    const { data } = await ann.client.storage.from(ATTACHMENTS_BUCKET).list(conversation.id);
    expect(data).toEqual([]);
  });

  it("only members can upload into a conversation's folder", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const refused = await refusal(eve.parley.attachments.upload(conversation.id, { data: PNG, contentType: "image/png", name: "intruder.png" }));
    expect(refused).toMatchObject({ code: "upload_refused", status: 403 });
  });
});
