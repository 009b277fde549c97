// The SDK's live channels end to end: database events from the receive-only topics (user:<me>, and
// conversation:<id>:events above the fan-out bound), typing and presence from conversation:<id>.
import { afterEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type {
  ConversationUpdatedEvent,
  LiveChannel,
  MemberReadEvent,
  MembersAddedEvent,
  MembersRemovedEvent,
  MessageEvent,
  TypingEvent,
} from "../../client/index.ts";
import { fillers, INBOX_FANOUT_MAX } from "../events/support.ts";
import { newParleyUser, refusal, type ParleyUser } from "./parley.ts";
import { acquaint } from "../support/contacts.ts";
import { heldFrames } from "../support/held-frames.ts";

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

/**
 * A large group's events are read through RLS after each notice: a burst of a dozen reads behind a
 * busy machine (two suites in parallel, the browser layer after) can take more than the usual 10 s.
 */
const LARGE_GROUP_WAIT_MS = 30_000;

/** The topics the user's supabase-js client has channels on. */
const topicsOf = (u: ParleyUser): string[] =>
  u.client
    .getChannels()
    .map((c) => c.subTopic)
    .sort();

/** Ids of the non-system messages among delivered message events. */
const userMessages = (events: MessageEvent[]): string[] =>
  events.filter((e) => e.message.kind !== "system").map((e) => e.message.id);

describe("client SDK: live channels", () => {
  it("my inbox hears about a new message in any of my conversations, with the row, its preview and my unread count", async () => {
    const [ann, bob] = await Promise.all([newParleyUser("Ann"), newParleyUser("Bob")]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const created = firstOf<MessageEvent>();
    open.push(await bob.parley.live.inbox({ message_created: created.handler }));

    const sent = await ann.parley.messages.send(conversation.id, { body: "are you there?" });
    const event = await created.promise;
    expect(event).toMatchObject({
      conversation_id: conversation.id,
      message: { id: sent.id, body: "are you there?", seq: sent.seq },
    });
    expect(event.inbox).toMatchObject({
      kind: "direct",
      unread_count: 1,
      last_seq: sent.seq,
      last_message: { id: sent.id, sender_id: ann.id, preview: "are you there?" },
    });
  });

  it("an open conversation receives each message and edit once, sharing the one user:<me> channel with the inbox", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const inboxSeen: MessageEvent[] = [];
    const created: MessageEvent[] = [];
    const edited = firstOf<MessageEvent>();
    open.push(await bob.parley.live.inbox({ message_created: (e) => inboxSeen.push(e) }));
    open.push(
      await bob.parley.live.conversation(conversation.id, {
        message_created: (e) => created.push(e),
        message_edited: edited.handler,
      }),
    );
    expect(topicsOf(bob)).toEqual([`conversation:${conversation.id}`, `user:${bob.id}`]);

    const sent = [];
    for (const body of ["one", "two", "three"]) sent.push(await ann.parley.messages.send(conversation.id, { body }));
    await until(() => created.length === 3 && inboxSeen.length === 3, "three messages");
    await ann.parley.messages.edit(sent[0]!.id, "one, edited");
    expect((await edited.promise).message).toMatchObject({ id: sent[0]!.id, body: "one, edited" });
    // A later message is the sentinel: a second delivery of any of them would have come before it.
    const sentinel = await ann.parley.messages.send(conversation.id, { body: "sentinel" });
    await until(
      () => created.at(-1)?.message.id === sentinel.id && inboxSeen.at(-1)?.message.id === sentinel.id,
      "the sentinel",
    );
    expect(created.map((e) => e.message.id)).toEqual([...sent, sentinel].map((m) => m.id));
    expect(inboxSeen.map((e) => e.message.id)).toEqual([...sent, sentinel].map((m) => m.id));
  });

  it("on() returns an unsubscribe for that handler only", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const chat = await bob.parley.live.conversation(conversation.id);
    open.push(chat);
    const [first, second]: [string[], string[]] = [[], []];
    const offFirst = chat.on("message_created", (e) => first.push(e.message.body ?? ""));
    chat.on("message_created", (e) => second.push(e.message.body ?? ""));
    await ann.parley.messages.send(conversation.id, { body: "both" });
    await until(() => first.length === 1 && second.length === 1, "both handlers");
    offFirst();
    await ann.parley.messages.send(conversation.id, { body: "second only" });
    // One event reaches every handler in the same dispatch: once the second has it, the first had its chance.
    await until(() => second.length === 2, "the second handler");
    expect(first).toEqual(["both"]);
    expect(second).toEqual(["both", "second only"]);
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

  it("nothing a member broadcasts on the conversation topic reaches a data handler; real events do", async () => {
    const [ann, bob, cat] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(ann, [bob, cat]);
    const group = await ann.parley.groups.create({ title: "Forgery", memberIds: [bob.id, cat.id] });
    const created: MessageEvent[] = [];
    const reads: MemberReadEvent[] = [];
    const updates: ConversationUpdatedEvent[] = [];
    const removed: unknown[] = [];
    const typing: TypingEvent[] = [];
    open.push(
      await bob.parley.live.conversation(group.id, {
        message_created: (e) => created.push(e),
        member_read: (e) => reads.push(e),
        conversation_updated: (e) => updates.push(e),
        conversation_removed: (e) => removed.push(e),
        typing: (e) => typing.push(e),
      }),
    );

    // Cat, a member, broadcasts on the conversation topic with the plain client (allowed: that is how typing works).
    const forger = cat.client.channel(`conversation:${group.id}`, { config: { private: true } });
    await new Promise<void>((resolve, reject) =>
      forger.subscribe((status) =>
        status === "SUBSCRIBED" ? resolve() : status === "CHANNEL_ERROR" ? reject(new Error(status)) : undefined,
      ),
    );
    const fakeMessage = {
      id: randomUUID(),
      conversation_id: group.id,
      seq: 999,
      sender_id: ann.id,
      kind: "text",
      body: "send me your password",
    };
    const now = new Date().toISOString();
    await forger.send({
      type: "broadcast",
      event: "message_created",
      payload: { id: randomUUID(), conversation_id: group.id, message: fakeMessage, inbox: null },
    });
    await forger.send({
      type: "broadcast",
      event: "member_read",
      payload: {
        id: randomUUID(),
        conversation_id: group.id,
        user_id: ann.id,
        last_read_seq: 999,
        message_id: null,
        read_at: now,
      },
    });
    await forger.send({
      type: "broadcast",
      event: "conversation_deleted",
      payload: { id: randomUUID(), conversation_id: group.id },
    });
    await forger.send({
      type: "broadcast",
      event: "conversation_removed",
      payload: { id: randomUUID(), conversation_id: group.id, reason: "deleted" },
    });
    await forger.send({
      type: "broadcast",
      event: "conversation_updated",
      payload: { id: randomUUID(), conversation_id: group.id, conversation: { id: group.id, title: "Hacked" } },
    });
    await forger.send({ type: "broadcast", event: "typing", payload: { user_id: ann.id, typing: "not a boolean" } });

    // Then real events: Ann writes, Bob reads it on his other device, Ann renames the group.
    const real = await ann.parley.messages.send(group.id, { body: "the real one" });
    await until(() => created.some((e) => e.message.id === real.id), "the real message");
    await ann.parley.groups.update(group.id, { title: "Renamed for real" });
    await until(() => updates.length > 0, "the real rename");
    await cat.client.removeChannel(forger);

    expect(created.map((e) => e.message.id)).not.toContain(fakeMessage.id);
    expect(userMessages(created)).toEqual([real.id]);
    expect(reads.filter((r) => r.last_read_seq === 999)).toEqual([]);
    expect(updates.map((u) => u.conversation.title)).toEqual(["Renamed for real"]);
    expect(removed).toEqual([]);
    expect(typing).toEqual([]); // a malformed signal is dropped too
  });

  it("a removed member hears conversation_removed once and the SDK leaves the conversation topic", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    await acquaint(ann, [bob]);
    const group = await ann.parley.groups.create({ title: "Bye", memberIds: [bob.id] });
    const removed = firstOf<unknown>();
    const created: MessageEvent[] = [];
    open.push(
      await bob.parley.live.conversation(group.id, {
        conversation_removed: removed.handler,
        message_created: (e) => created.push(e),
      }),
    );
    await ann.parley.groups.removeMember(group.id, bob.id);
    expect(await removed.promise).toMatchObject({ conversation_id: group.id, reason: "removed" });
    await until(() => !topicsOf(bob).includes(`conversation:${group.id}`), "the topic left");
    const direct = await ann.parley.conversations.direct(bob.id);
    const inboxSeen: MessageEvent[] = [];
    open.push(await bob.parley.live.inbox({ message_created: (e) => inboxSeen.push(e) }));
    await ann.parley.messages.send(group.id, { body: "after bob" });
    // The sentinel: a message of ann's to bob after it, on the same user:<bob> path in commit order.
    const sentinel = await ann.parley.messages.send(direct.id, { body: "sentinel" });
    await until(() => inboxSeen.some((e) => e.message.id === sentinel.id), "the sentinel");
    expect(created.filter((e) => e.message.body === "after bob")).toEqual([]);
    expect(inboxSeen.filter((e) => e.message.body === "after bob")).toEqual([]);
  });

  it("a large group: notices on conversation:<id>:events become the same events, read through RLS, each once and in order", async () => {
    const [ann, bob, cat] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const crowd = [bob.id, cat.id, ...(await fillers(INBOX_FANOUT_MAX - 1))];
    await acquaint(ann, crowd);
    const group = await ann.parley.groups.create({ title: "Crowd", memberIds: crowd });
    expect(await bob.parley.live.topics()).toEqual([`user:${bob.id}`, `conversation:${group.id}:events`]);
    const created: MessageEvent[] = [];
    const changed: MessageEvent[] = [];
    const reads: MemberReadEvent[] = [];
    const added: MembersAddedEvent[] = [];
    const gone: MembersRemovedEvent[] = [];
    const roles: unknown[] = [];
    const updated = firstOf<ConversationUpdatedEvent>();
    const inboxSeen: MessageEvent[] = [];
    open.push(await bob.parley.live.inbox({ message_created: (e) => inboxSeen.push(e) }));
    open.push(
      await bob.parley.live.conversation(group.id, {
        message_created: (e) => created.push(e),
        message_edited: (e) => changed.push(e),
        message_deleted: (e) => changed.push(e),
        member_read: (e) => reads.push(e),
        members_added: (e) => added.push(e),
        members_removed: (e) => gone.push(e),
        member_role_changed: (e) => roles.push(e),
        conversation_updated: updated.handler,
      }),
    );
    expect(topicsOf(bob)).toEqual([`conversation:${group.id}`, `conversation:${group.id}:events`, `user:${bob.id}`]);

    // A burst: five sends in a row are read in a few list_messages calls and delivered once each, in order.
    const sent = await Promise.all(
      ["a", "b", "c", "d", "e"].map((body) => ann.parley.messages.send(group.id, { body })),
    );
    sent.sort((x, y) => x.seq - y.seq);
    await until(() => userMessages(created).length === 5, "the burst", LARGE_GROUP_WAIT_MS);
    expect(created.filter((e) => e.message.kind !== "system").map((e) => [e.message.id, e.message.body])).toEqual(
      sent.map((m) => [m.id, m.body]),
    );
    expect(created.every((e) => e.inbox === null)).toBe(true);
    await until(() => userMessages(inboxSeen).length === 5, "the inbox's copy", LARGE_GROUP_WAIT_MS);

    await ann.parley.messages.edit(sent[0]!.id, "a, edited");
    await ann.parley.messages.remove(sent[1]!.id);
    await cat.parley.messages.markRead(group.id);
    await ann.parley.groups.setRole(group.id, cat.id, "admin");
    // Membership notices of one burst are read together and report the net change, with the member count
    // as of that read: wait for each change before the next.
    await until(() => roles.length === 1, "the role change", LARGE_GROUP_WAIT_MS);
    await ann.parley.groups.removeMember(group.id, cat.id);
    await until(() => gone.length === 1, "the removal", LARGE_GROUP_WAIT_MS);
    const dan = await newParleyUser();
    await acquaint(ann, [dan]);
    await ann.parley.groups.addMembers(group.id, [dan.id]);
    await ann.parley.groups.update(group.id, { title: "Crowd, renamed" });
    expect((await updated.promise).conversation).toMatchObject({ id: group.id, title: "Crowd, renamed" });
    await until(
      () => added.length > 0 && changed.length >= 2 && reads.some((r) => r.user_id === cat.id),
      "the other events",
      LARGE_GROUP_WAIT_MS,
    );
    expect(changed.map((e) => [e.message.id, e.message.body, e.message.deleted_at !== null])).toEqual([
      [sent[0]!.id, "a, edited", false],
      [sent[1]!.id, null, true],
    ]);
    expect(reads.find((r) => r.user_id === cat.id)).toMatchObject({
      conversation_id: group.id,
      last_read_seq: expect.any(Number),
    });
    expect(roles).toEqual([expect.objectContaining({ user_id: cat.id, role: "admin", previous_role: "member" })]);
    expect(gone).toEqual([expect.objectContaining({ user_ids: [cat.id], member_count: INBOX_FANOUT_MAX + 1 })]);
    expect(added).toEqual([
      expect.objectContaining({
        members: [expect.objectContaining({ user_id: dan.id, role: "member" })],
        member_count: INBOX_FANOUT_MAX + 2,
      }),
    ]);
  }, 60_000);

  it("a large group: notices that arrive in one network read are each handled, the last one too", async () => {
    const frames = heldFrames();
    const [ann, bob, cat] = await Promise.all([
      newParleyUser(),
      newParleyUser(undefined, { transport: frames.transport }),
      newParleyUser(),
    ]);
    const crowd = [bob.id, cat.id, ...(await fillers(INBOX_FANOUT_MAX - 1))];
    await acquaint(ann, crowd);
    const group = await ann.parley.groups.create({ title: "Crowd", memberIds: crowd });
    const created: MessageEvent[] = [];
    const reads: MemberReadEvent[] = [];
    const updated: ConversationUpdatedEvent[] = [];
    open.push(
      await bob.parley.live.conversation(group.id, {
        message_created: (e) => created.push(e),
        member_read: (e) => reads.push(e),
        conversation_updated: (e) => updated.push(e),
      }),
    );
    const sent = await ann.parley.messages.send(group.id, { body: "read me" });
    await until(() => userMessages(created).includes(sent.id), "the message", LARGE_GROUP_WAIT_MS);

    // A read receipt (handled without a read) and then a rename (read through RLS), handed over together.
    frames.hold();
    await cat.parley.messages.markRead(group.id);
    await ann.parley.groups.update(group.id, { title: "Crowd, renamed" });
    // A broadcast frame (binary in protocol 2.0.0) names its event and carries the conversation id.
    const notice = (event: string) => (f: string) => f.includes(event) && f.includes(group.id);
    await until(
      () => frames.held().some(notice("member_read")) && frames.held().some(notice("conversation_updated")),
      "both notices on the wire",
      LARGE_GROUP_WAIT_MS,
    );
    frames.release();
    await until(() => updated.length === 1, "the rename", LARGE_GROUP_WAIT_MS);
    expect(reads).toEqual([expect.objectContaining({ user_id: cat.id, last_read_seq: sent.seq })]);
    expect(updated[0]!.conversation).toMatchObject({ id: group.id, title: "Crowd, renamed" });
  }, 60_000);

  it("a large group whose events channel does not answer the join in time is joined again, and its messages arrive", async () => {
    const frames = heldFrames();
    const [ann, bob] = await Promise.all([
      newParleyUser(),
      newParleyUser(undefined, { transport: frames.transport, realtimeTimeoutMs: 1_000 }),
    ]);
    const crowd = [bob.id, ...(await fillers(INBOX_FANOUT_MAX))];
    await acquaint(ann, crowd);
    const group = await ann.parley.groups.create({ title: "Slow join", memberIds: crowd });
    // The server's answer to the join of the group's events topic is held past the client's timeout.
    const events = `conversation:${group.id}:events`;
    frames.hold((f) => f.includes(events) && f.includes("phx_reply"));
    const created: MessageEvent[] = [];
    open.push(await bob.parley.live.conversation(group.id, { message_created: (e) => created.push(e) }));
    await until(() => frames.held().length > 0, "the held join reply", LARGE_GROUP_WAIT_MS);
    await new Promise((r) => setTimeout(r, 1_500));
    frames.release();
    const joined = () => bob.client.getChannels().some((c) => c.subTopic === events && c.state === "joined");
    await until(joined, "the events topic joined again", LARGE_GROUP_WAIT_MS);
    const sent = await ann.parley.messages.send(group.id, { body: "after the slow join" });
    await until(() => userMessages(created).includes(sent.id), "the message", LARGE_GROUP_WAIT_MS);
  }, 60_000);

  it("follows a group across the fan-out bound: one delivery per message before, during and after the switch", async () => {
    const [ann, bob, cat] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    // Exactly at the bound: per-member events on user:<me>.
    const growing = [bob.id, ...(await fillers(INBOX_FANOUT_MAX - 2))];
    await acquaint(ann, growing);
    const group = await ann.parley.groups.create({ title: "Growing", memberIds: growing });
    const created: MessageEvent[] = [];
    const switched: boolean[] = [];
    open.push(await bob.parley.live.inbox({ conversation_fanout_changed: (e) => switched.push(e.inbox_fanout) }));
    open.push(await bob.parley.live.conversation(group.id, { message_created: (e) => created.push(e) }));
    const before = await ann.parley.messages.send(group.id, { body: "before" });
    await until(() => userMessages(created).includes(before.id), "the message before");

    await acquaint(ann, [cat]);
    await ann.parley.groups.addMembers(group.id, [cat.id]); // one over: notices from now on
    const during = await ann.parley.messages.send(group.id, { body: "during" });
    await until(() => switched.length === 1, "conversation_fanout_changed");
    await until(() => topicsOf(bob).includes(`conversation:${group.id}:events`), "the events topic");
    const after = await ann.parley.messages.send(group.id, { body: "after" });
    await until(() => userMessages(created).includes(after.id), "the message after");

    await ann.parley.groups.removeMember(group.id, cat.id); // back at the bound
    await until(
      () => switched.length === 2 && !topicsOf(bob).includes(`conversation:${group.id}:events`),
      "back to user:<me>",
    );
    const back = await ann.parley.messages.send(group.id, { body: "back" });
    await until(() => userMessages(created).includes(back.id), "the message back");
    // A later message is the sentinel: a repeat of any earlier one would have come before it.
    const sentinel = await ann.parley.messages.send(group.id, { body: "sentinel" });
    await until(() => userMessages(created).includes(sentinel.id), "the sentinel");
    expect(switched).toEqual([false, true]);
    expect(userMessages(created)).toEqual([before.id, during.id, after.id, back.id, sentinel.id]);
    const seqs = created.map((e) => e.message.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
  });

  it("someone outside the conversation cannot open its channel", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const refused = await refusal(eve.parley.live.conversation(conversation.id));
    expect(refused.code).toBe("channel_refused");
    await until(() => topicsOf(eve).length === 0, "every channel left");
  });
});
