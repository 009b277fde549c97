// Threads through the SDK: replies live on the other side, kept out of the timeline, listed per thread;
// and in a group above the fan-out bound, thread replies and reactions still arrive (read from notices).
import { afterEach, describe, expect, it } from "vitest";
import type { LiveChannel, MessageEvent, ReactionEvent } from "../../client/index.ts";
import { fillers, INBOX_FANOUT_MAX } from "../events/support.ts";
import { acquaint } from "../support/contacts.ts";
import { newParleyUser } from "./parley.ts";

const open: LiveChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("client SDK: threads", () => {
  it("a thread reply reaches the other side live, stays out of the timeline and is listed in its thread", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const root = await ann.parley.messages.send(conversation.id, { body: "which venue?" });
    const created: MessageEvent[] = [];
    open.push(await ann.parley.live.conversation(conversation.id, { message_created: (e) => created.push(e) }));

    const reply = await bob.parley.messages.replyInThread(root.id, { body: "the old one" });
    expect(reply).toMatchObject({
      thread_root_id: root.id,
      shown_in_conversation: false,
      conversation_id: conversation.id,
    });
    await until(() => created.some((e) => e.message.id === reply.id), "the thread reply event");
    expect(created.find((e) => e.message.id === reply.id)!.message.thread_root_id).toBe(root.id);

    const timeline = await ann.parley.messages.list(conversation.id);
    expect(timeline.items.map((m) => m.id)).toEqual([root.id]);
    expect(timeline.items[0]).toMatchObject({ thread_reply_count: 1, thread_participants: [bob.id] });
    const shared = await ann.parley.messages.replyInThread(root.id, {
      body: "agreed, booking it",
      alsoInConversation: true,
    });
    expect((await bob.parley.messages.thread(root.id)).items.map((m) => m.id)).toEqual([shared.id, reply.id]);
    expect((await bob.parley.messages.list(conversation.id)).items.map((m) => m.id)).toEqual([shared.id, root.id]);
  });

  it("in a group above the fan-out bound, thread replies and reactions arrive through the notices", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const crowd = [bob.id, ...(await fillers(INBOX_FANOUT_MAX))];
    await acquaint(ann, crowd);
    const group = await ann.parley.groups.create({ title: "Crowd threads", memberIds: crowd });
    expect(await bob.parley.live.topics()).toContain(`conversation:${group.id}:events`);
    const created: MessageEvent[] = [];
    const reacted: ReactionEvent[] = [];
    open.push(
      await bob.parley.live.conversation(group.id, {
        message_created: (e) => created.push(e),
        reaction_added: (e) => reacted.push(e),
      }),
    );

    const root = await ann.parley.messages.send(group.id, { body: "agenda" });
    const reply = await ann.parley.messages.replyInThread(root.id, { body: "item one" });
    const after = await ann.parley.messages.send(group.id, { body: "see thread" });
    await ann.parley.reactions.add(root.id, "👀");
    await until(
      () => [root.id, reply.id, after.id].every((id) => created.some((e) => e.message.id === id)),
      "root, reply and the next message",
    );
    await until(() => reacted.length > 0, "the reaction");
    expect(created.filter((e) => e.message.id === reply.id)).toHaveLength(1);
    expect(reacted[0]).toMatchObject({ message_id: root.id, reactions: { "👀": 1 } });
  });
});
