// The SDK's messaging end to end: official supabase-js client → local stack → Postgres rules.
import { describe, expect, it } from "vitest";
import type { Json } from "../../client/types.ts";
import { stackEnv } from "../support/env.ts";
import { newParleyUser, refusal } from "./parley.ts";

describe("client SDK: direct messages", () => {
  it("a first direct message creates the conversation and shows up unread in the recipient's inbox", async () => {
    const [ann, bob] = await Promise.all([newParleyUser("Ann"), newParleyUser("Bob")]);
    const sent = await ann.parley.messages.sendDirect(bob.id, { body: "Hello Bob" });
    expect(sent).toMatchObject({ kind: "text", body: "Hello Bob", sender_id: ann.id, seq: 1 });

    const inbox = await bob.parley.conversations.inbox();
    expect(inbox.items).toHaveLength(1);
    expect(inbox.items[0]).toMatchObject({ conversation_id: sent.conversation_id, kind: "direct", unread_count: 1 });
    expect(inbox.items[0]!.other_user).toMatchObject({ id: ann.id, display_name: "Ann" });
    expect(inbox.items[0]!.last_message).toMatchObject({ id: sent.id, body: "Hello Bob" });

    expect(await bob.parley.messages.markRead(sent.conversation_id)).toBe(1);
    const after = await bob.parley.conversations.inbox();
    expect(after.items[0]!.unread_count).toBe(0);
  });

  it("a retried send with the same client id returns the first message instead of a second one", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const clientId = crypto.randomUUID();
    const first = await ann.parley.messages.sendDirect(bob.id, { body: "once", clientId });
    const retry = await ann.parley.messages.sendDirect(bob.id, { body: "once", clientId });
    expect(retry.id).toBe(first.id);
    const history = await bob.parley.messages.listDirect(ann.id);
    expect(history.items.map((m) => m.body)).toEqual(["once"]);
  });

  it("history pages newest first and catch-up returns everything after a seq, edits and tombstones included", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = [];
    for (let i = 1; i <= 5; i++) sent.push(await ann.parley.messages.send(conversation.id, { body: `m${i}` }));

    const firstPage = await bob.parley.messages.list(conversation.id, { limit: 2 });
    expect(firstPage.items.map((m) => m.body)).toEqual(["m5", "m4"]);
    const secondPage = await bob.parley.messages.list(conversation.id, { limit: 2, beforeSeq: firstPage.next });
    expect(secondPage.items.map((m) => m.body)).toEqual(["m3", "m2"]);

    await ann.parley.messages.edit(sent[3]!.id, "m4 (edited)");
    await ann.parley.messages.remove(sent[4]!.id);
    const caughtUp = await bob.parley.messages.catchUp(conversation.id, 3, 1);
    expect(caughtUp.map((m) => [m.seq, m.body, m.deleted_at !== null])).toEqual([
      [4, "m4 (edited)", false],
      [5, null, true],
    ]);
    expect(caughtUp[0]!.edited_at).not.toBeNull();
  });

  it("a reply points at the message it answers", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const question = await ann.parley.messages.sendDirect(bob.id, { body: "lunch?" });
    const answer = await bob.parley.messages.send(question.conversation_id, { body: "yes", replyToId: question.id });
    expect(answer.reply_to_id).toBe(question.id);
  });

  it("bad input is refused with Parley's code and changes nothing", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const tooLong = await refusal(ann.parley.messages.send(conversation.id, { body: "x".repeat(4001) }));
    expect(tooLong).toMatchObject({ code: "body_too_long", status: 400 });
    const blank = await refusal(ann.parley.messages.send(conversation.id, { body: "   " }));
    expect(blank.code).toBe("body_required");
    expect((await bob.parley.messages.list(conversation.id)).items).toEqual([]);
  });

  it("blank bodies of any whitespace or invisible characters, too-deep metadata and lone surrogates are refused (issue 23)", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const send = (body: string, metadata?: { [key: string]: Json }) =>
      ann.parley.messages.send(conversation.id, { body, metadata });
    for (const body of ["\n", "\t", "\u00a0", "\u200b", " \r\n\u2060\ufeff\u200d\u2800 "]) {
      expect(await refusal(send(body)), JSON.stringify(body)).toMatchObject({ code: "body_required", status: 400 });
    }
    const kept = await send("kept");
    expect((await refusal(ann.parley.messages.edit(kept.id, "\u00a0\n"))).code).toBe("body_required");

    // 33 levels of objects: the database bounds the depth itself.
    let deep: { [key: string]: Json } = {};
    for (let i = 0; i < 32; i++) deep = { a: deep };
    expect(await refusal(send("x", deep))).toMatchObject({ code: "metadata_too_deep", status: 400 });

    // 5,000 levels (supabase-js cannot even stringify it, so plain fetch): a clean 400, not the gateway's 500.
    const res = await fetch(`${stackEnv.url}/rest/v1/rpc/send_message`, {
      method: "POST",
      headers: {
        apikey: stackEnv.anonKey,
        authorization: `Bearer ${ann.accessToken}`,
        "content-profile": "parley",
        "content-type": "application/json",
      },
      body: `{"conversation_id":"${conversation.id}","body":"x","metadata":{"d":${"[".repeat(5000)}${"]".repeat(5000)}}}`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "22023", hint: "metadata_too_large" });

    // A lone surrogate is refused as PostgREST refuses it, not stored as U+FFFD.
    expect(await refusal(send("hi \ud800"))).toMatchObject({
      code: "invalid_request",
      sqlstate: "PGRST102",
      status: 400,
    });
    expect(await refusal(ann.parley.messages.edit(kept.id, "\udc00"))).toMatchObject({
      code: "invalid_request",
      sqlstate: "PGRST102",
      status: 400,
    });

    const history = await bob.parley.messages.list(conversation.id);
    expect(history.items.map((m) => m.body)).toEqual(["kept"]);
  });

  it("someone outside a conversation can neither read nor write it, and learns nothing about it", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const sent = await ann.parley.messages.sendDirect(bob.id, { body: "private" });
    expect((await refusal(eve.parley.messages.list(sent.conversation_id))).code).toBe("conversation_not_found");
    expect((await refusal(eve.parley.messages.send(sent.conversation_id, { body: "hi" }))).code).toBe(
      "conversation_not_found",
    );
    const { data } = await eve.parley.db.from("messages").select("id").eq("conversation_id", sent.conversation_id);
    expect(data).toEqual([]);
  });

  it("only the sender may edit a message", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const sent = await ann.parley.messages.sendDirect(bob.id, { body: "mine" });
    expect((await refusal(bob.parley.messages.edit(sent.id, "yours now"))).code).toBe("not_message_sender");
  });
});
