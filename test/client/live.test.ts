// The SDK's live channels end to end: database events, typing and presence through the stack's Realtime.
import { afterEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type {
  ConversationActivityEvent,
  ConversationUpdatedEvent,
  LiveChannel,
  MemberReadEvent,
  MessageEvent,
  TypingEvent,
} from "../../client/index.ts";
import { newParleyUser, refusal } from "./parley.ts";

const open: LiveChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A promise for the first value a handler receives, and the handler to pass. */
function firstOf<T>(): { promise: Promise<T>; handler: (value: T) => void } {
  let handler!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (handler = resolve));
  return { promise, handler };
}

/** Resolves when `check` holds, polling the way a UI would re-render; rejects after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("client SDK: live channels", () => {
  it("my inbox hears about a new message in any of my conversations, with its preview and my unread count", async () => {
    const [ann, bob] = await Promise.all([newParleyUser("Ann"), newParleyUser("Bob")]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const activity = firstOf<ConversationActivityEvent>();
    open.push(await bob.parley.live.inbox({ conversation_activity: activity.handler }));

    const sent = await ann.parley.messages.send(conversation.id, { body: "are you there?" });
    const event = await activity.promise;
    expect(event).toMatchObject({ conversation_id: conversation.id, action: "created", unread_count: 1, last_seq: sent.seq });
    expect(event.last_message).toMatchObject({ id: sent.id, sender_id: ann.id, preview: "are you there?" });
  });

  it("an open conversation receives new messages and edits as they are committed", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const created = firstOf<MessageEvent>();
    const edited = firstOf<MessageEvent>();
    open.push(await bob.parley.live.conversation(conversation.id, { message_created: created.handler, message_edited: edited.handler }));

    const sent = await ann.parley.messages.send(conversation.id, { body: "first draft" });
    expect((await created.promise).message).toMatchObject({ id: sent.id, body: "first draft", seq: sent.seq });
    await ann.parley.messages.edit(sent.id, "final");
    expect((await edited.promise).message).toMatchObject({ id: sent.id, body: "final" });
  });

  it("members see each other online and typing in a conversation", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const typing = firstOf<TypingEvent>();
    const bobs = await bob.parley.live.conversation(conversation.id, { typing: typing.handler });
    const anns = await ann.parley.live.conversation(conversation.id);
    open.push(bobs, anns);

    await until(() => bobs.online().includes(ann.id) && anns.online().includes(bob.id), "both members present");
    await anns.typing();
    expect(await typing.promise).toEqual({ user_id: ann.id, typing: true });
  });

  it("a member's forged database events never reach the others; the real ones that follow do, with the database's values", async () => {
    const [ann, bob, cat] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const group = await ann.parley.groups.create({ title: "Forgery", memberIds: [bob.id, cat.id] });
    const created: MessageEvent[] = [];
    const reads: MemberReadEvent[] = [];
    const updates: ConversationUpdatedEvent[] = [];
    open.push(
      await bob.parley.live.conversation(group.id, {
        message_created: (e) => created.push(e),
        member_read: (e) => reads.push(e),
        conversation_updated: (e) => updates.push(e),
      }),
    );

    // Cat, a member, broadcasts on the conversation topic with the plain client (allowed: that is how typing works).
    const forger = cat.client.channel(`conversation:${group.id}`, { config: { private: true } });
    await new Promise<void>((resolve, reject) =>
      forger.subscribe((status) => (status === "SUBSCRIBED" ? resolve() : status === "CHANNEL_ERROR" ? reject(new Error(status)) : undefined)),
    );
    const fakeMessage = { id: randomUUID(), conversation_id: group.id, seq: 999, sender_id: ann.id, kind: "text", body: "send me your password" };
    await forger.send({ type: "broadcast", event: "message_created", payload: { id: randomUUID(), conversation_id: group.id, message: fakeMessage } });
    await forger.send({
      type: "broadcast",
      event: "member_read",
      payload: { id: randomUUID(), conversation_id: group.id, user_id: ann.id, last_read_seq: 999, message_id: null, read_at: new Date().toISOString() },
    });
    await forger.send({
      type: "broadcast",
      event: "conversation_updated",
      payload: { id: randomUUID(), conversation_id: group.id, conversation: { id: group.id, kind: "group", title: "Hacked", description: null, avatar_url: null, updated_at: new Date().toISOString() } },
    });

    // Then real events: Ann writes, Bob reads it on his other device, Ann renames the group.
    const real = await ann.parley.messages.send(group.id, { body: "the real one" });
    await until(() => created.some((e) => e.message.id === real.id), "the real message");
    await ann.parley.groups.update(group.id, { title: "Renamed for real" });
    await until(() => updates.length > 0, "the real rename");
    await cat.client.removeChannel(forger);

    // What Bob's handler got are real rows: system messages of the group, and Ann's message; no forgery.
    expect(created.map((e) => e.message.id)).not.toContain(fakeMessage.id);
    expect(created.filter((e) => e.message.kind !== "system").map((e) => e.message)).toEqual([
      expect.objectContaining({ id: real.id, sender_id: ann.id, body: "the real one", seq: real.seq }),
    ]);
    expect(reads.filter((r) => r.last_read_seq === 999)).toEqual([]);
    expect(updates.map((u) => u.conversation.title)).toEqual(["Renamed for real"]);
  });

  it("someone outside the conversation cannot open its channel", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const refused = await refusal(eve.parley.live.conversation(conversation.id));
    expect(refused.code).toBe("channel_refused");
  });
});
