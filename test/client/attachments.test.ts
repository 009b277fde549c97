// The SDK's attachments end to end: bytes into Storage under the conversation, a message pointing at them.
import { decodeJwt } from "jose";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { ATTACHMENTS_BUCKET, SIGNED_URL_DEFAULT_SECONDS, SIGNED_URL_MAX_SECONDS } from "../../client/index.ts";
import { newParleyUser, refusal } from "./parley.ts";

// A 1×1 transparent PNG.
const PNG = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "base64",
  ),
);

describe("client SDK: attachments", () => {
  it("an image sent by one member is downloaded byte for byte by the other, and a stranger gets nothing", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = await ann.parley.attachments.send(conversation.id, "image", {
      data: PNG,
      contentType: "image/png",
      name: "dot.png",
      width: 1,
      height: 1,
      body: "a dot",
    });
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
    const refused = await refusal(
      ann.parley.attachments.send(conversation.id, "file", {
        data: new TextEncoder().encode("#!/bin/sh"),
        contentType: "application/x-sh",
        name: "run.sh",
      }),
    );
    expect(refused.code).toBe("upload_refused");
    expect((await bob.parley.messages.list(conversation.id)).items).toEqual([]);
    const { data } = await ann.client.storage.from(ATTACHMENTS_BUCKET).list(conversation.id);
    expect(data).toEqual([]);
  });

  it("only members can upload into a conversation's folder", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const refused = await refusal(
      eve.parley.attachments.upload(conversation.id, { data: PNG, contentType: "image/png", name: "intruder.png" }),
    );
    expect(refused).toMatchObject({ code: "upload_refused", status: 403 });
  });

  it("mints short signed URLs (Storage cannot revoke one): minutes by default, never past the cap", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = await ann.parley.attachments.send(conversation.id, "image", {
      data: PNG,
      contentType: "image/png",
      name: "dot.png",
    });
    expect(SIGNED_URL_DEFAULT_SECONDS).toBeLessThanOrEqual(300);
    expect(SIGNED_URL_MAX_SECONDS).toBeLessThanOrEqual(3600);

    const url = await bob.parley.attachments.signedUrl(sent.attachment!);
    const claims = decodeJwt(new URL(url).searchParams.get("token")!);
    expect(claims.exp! - claims.iat!).toBe(SIGNED_URL_DEFAULT_SECONDS);
    expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(PNG);

    const capped = await bob.parley.attachments.signedUrl(sent.attachment!, SIGNED_URL_MAX_SECONDS);
    const cappedClaims = decodeJwt(new URL(capped).searchParams.get("token")!);
    expect(cappedClaims.exp! - cappedClaims.iat!).toBe(SIGNED_URL_MAX_SECONDS);
    const tenYears = 10 * 365 * 24 * 3600;
    expect(await refusal(bob.parley.attachments.signedUrl(sent.attachment!, tenYears))).toMatchObject({
      code: "signed_url_too_long",
    });
  });

  it("mints a thumbnail URL of an image under the same short-lifetime rules; a stranger gets none", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 20, g: 120, b: 220 } } })
      .png()
      .toBuffer();
    const sent = await ann.parley.attachments.send(conversation.id, "image", {
      data: new Uint8Array(photo),
      contentType: "image/png",
      name: "photo.png",
      width: 64,
      height: 48,
    });

    const url = await bob.parley.attachments.thumbnailUrl(sent.attachment!, { width: 16, height: 16 });
    expect(new URL(url).pathname).toContain("/storage/v1/render/image/sign/");
    const claims = decodeJwt(new URL(url).searchParams.get("token")!);
    expect(claims.exp! - claims.iat!).toBe(SIGNED_URL_DEFAULT_SECONDS);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([16, 16]);

    expect(
      await refusal(
        bob.parley.attachments.thumbnailUrl(sent.attachment!, {
          width: 16,
          expiresInSeconds: SIGNED_URL_MAX_SECONDS + 1,
        }),
      ),
    ).toMatchObject({ code: "signed_url_too_long" });
    expect(await refusal(bob.parley.attachments.thumbnailUrl(sent.attachment!, { width: 0 }))).toMatchObject({
      code: "thumbnail_invalid",
    });
    expect(await refusal(eve.parley.attachments.thumbnailUrl(sent.attachment!, { width: 16 }))).toMatchObject({
      code: "signed_url_refused",
    });
    expect(
      await refusal(
        bob.parley.attachments.thumbnailUrl({ ...sent.attachment!, mime_type: "application/pdf" }, { width: 16 }),
      ),
    ).toMatchObject({ code: "thumbnail_unsupported" });
  });

  it("its sender deletes a sent attachment with remove(): the message shows it as removed and the SDK says so", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = await ann.parley.attachments.send(conversation.id, "image", {
      data: PNG,
      contentType: "image/png",
      name: "dot.png",
    });
    expect((await refusal(bob.parley.attachments.remove(sent.attachment!))).code).toBe("remove_refused");

    await ann.parley.attachments.remove(sent.attachment!);
    const [seen] = (await bob.parley.messages.list(conversation.id)).items;
    expect(seen!.attachment).toMatchObject({ path: sent.attachment!.path, removed_at: expect.any(String) });
    expect(seen!.edited_at).not.toBeNull();
    expect((await refusal(bob.parley.attachments.download(seen!.attachment!))).code).toBe("attachment_removed");
    expect((await refusal(bob.parley.attachments.signedUrl(seen!.attachment!))).code).toBe("attachment_removed");
  });
});
