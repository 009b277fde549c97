// user:<id> with the official client: only its user joins, nobody sends, and it carries every database
// event of the user's conversations within the fan-out bound, once per member (docs/realtime-events.md).
import { describe, expect, it } from "vitest";
import { byEvent, listen, live, receivedBeforeSentinel, rpc, trySubscribe, user } from "./support.ts";
import { acquaint } from "../support/contacts.ts";

type Row = { id: string; seq: number; conversation_id: string };

describe("user:<id> channels", () => {
  it("refuses another user's join", async () => {
    const [a, b] = [await user(), await user()];
    const out = await trySubscribe(listen(a, `user:${b.id}`).channel);
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: user:${b.id}`,
    );
  });

  it("delivers conversation_added, then message_created with the full row and each member's own inbox summary", async () => {
    const [a, b] = [await user(), await user()];
    const [inboxA, inboxB] = [await live(a, `user:${a.id}`), await live(b, `user:${b.id}`)];
    const sent = await rpc<Row>(a, "send_direct_message", { recipient_id: b.id, body: "hi b" });
    expect((await inboxB.events.next(byEvent("conversation_added"))).payload).toMatchObject({
      conversation_id: sent.conversation_id,
      kind: "direct",
    });
    const received = await inboxB.events.next(byEvent("message_created"));
    expect(received.payload).toMatchObject({
      conversation_id: sent.conversation_id,
      message: { id: sent.id, seq: sent.seq, sender_id: a.id, body: "hi b", kind: "text" },
      inbox: {
        kind: "direct",
        last_seq: sent.seq,
        unread_count: 1,
        last_message: { id: sent.id, sender_id: a.id, preview: "hi b" },
      },
    });
    expect(received.payload.id).toBe(received.meta?.id);
    // The sender's own copy (their other devices): read by definition.
    expect((await inboxA.events.next(byEvent("message_created"))).payload).toMatchObject({
      message: { id: sent.id },
      inbox: { unread_count: 0 },
    });
  });

  it("carries edits, tombstones and read receipts to every member; an edit of an older message has no inbox summary", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const inboxA = await live(a, `user:${a.id}`);
    const older = await rpc<Row>(a, "send_message", { conversation_id: dm.id, body: "secret draft" });
    const latest = await rpc<Row>(a, "send_message", { conversation_id: dm.id, body: "latest" });
    await rpc(a, "edit_message", { message_id: older.id, body: "secret revised" });
    await rpc(a, "delete_message", { message_id: older.id });
    await rpc(b, "mark_read", { conversation_id: dm.id });
    const edited = await inboxA.events.next(byEvent("message_edited"));
    expect(edited.payload).toMatchObject({
      conversation_id: dm.id,
      message: { id: older.id, body: "secret revised" },
      inbox: null,
    });
    const deleted = await inboxA.events.next(byEvent("message_deleted"));
    expect(deleted.payload).toMatchObject({ message: { id: older.id, body: null, attachment: null }, inbox: null });
    expect(JSON.stringify(deleted.payload)).not.toContain("secret");
    expect((await inboxA.events.next(byEvent("member_read"))).payload).toMatchObject({
      conversation_id: dm.id,
      user_id: b.id,
      last_read_seq: latest.seq,
      message_id: latest.id,
    });
  });

  it("carries membership, role and rename events of a group; new members hear conversation_added instead of members_added", async () => {
    const [owner, b, c] = [await user(), await user(), await user()];
    await acquaint(owner, [b, c]);
    const group = await rpc<Row>(owner, "create_group", { title: "Before", member_ids: [b.id] });
    const [inboxB, inboxC] = [await live(b, `user:${b.id}`), await live(c, `user:${c.id}`)];
    await rpc(owner, "add_members", { group_id: group.id, user_ids: [c.id] });
    await rpc(owner, "set_member_role", { group_id: group.id, user_id: b.id, role: "admin" });
    await rpc(owner, "update_group", { group_id: group.id, title: "After" });
    await rpc(owner, "remove_member", { group_id: group.id, user_id: c.id });
    expect((await inboxB.events.next(byEvent("members_added"))).payload).toMatchObject({
      conversation_id: group.id,
      members: [{ user_id: c.id, role: "member" }],
      member_count: 3,
    });
    expect((await inboxB.events.next(byEvent("member_role_changed"))).payload).toMatchObject({
      user_id: b.id,
      role: "admin",
      previous_role: "member",
    });
    expect((await inboxB.events.next(byEvent("conversation_updated"))).payload).toMatchObject({
      conversation: { id: group.id, title: "After" },
    });
    expect((await inboxB.events.next(byEvent("members_removed"))).payload).toMatchObject({
      user_ids: [c.id],
      member_count: 2,
    });
    expect((await inboxC.events.next(byEvent("conversation_removed"))).payload).toMatchObject({
      conversation_id: group.id,
      reason: "removed",
    });
    const cSaw = inboxC.events.items.filter((m) => m.payload.conversation_id === group.id).map((m) => m.event);
    expect(cSaw).toContain("conversation_added");
    expect(cSaw).not.toContain("members_added");
  });

  it("syncs the reader's other devices when they read, and says so when they are removed", async () => {
    const [owner, b] = [await user(), await user()];
    await acquaint(owner, [b]);
    const group = await rpc<Row>(owner, "create_group", { title: "Inbox test", member_ids: [b.id] });
    const inbox = await live(b, `user:${b.id}`);
    await rpc(b, "mark_read", { conversation_id: group.id });
    expect((await inbox.events.next(byEvent("membership_updated"))).payload).toMatchObject({
      conversation_id: group.id,
      unread_count: 0,
    });
    await rpc(owner, "remove_member", { group_id: group.id, user_id: b.id });
    expect((await inbox.events.next(byEvent("conversation_removed"))).payload).toMatchObject({
      conversation_id: group.id,
      reason: "removed",
    });
  });

  it("refuses a client broadcast on an inbox, even from its user, over the socket and over REST", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const own = await live(b, `user:${b.id}`);
    const forged = { conversation_id: dm.id, message: { id: dm.id, seq: 999, sender_id: a.id, body: "forged" } };
    // Realtime drops a broadcast the write policy refuses (an unacknowledged send resolves "ok" all the same).
    expect(await own.channel.send({ type: "broadcast", event: "message_created", payload: forged })).toBe("ok");
    await expect(
      a.client.channel(`user:${b.id}`, { config: { private: true } }).httpSend("message_created", forged),
    ).rejects.toThrow("Unauthorized");
    // The inbox receives a sentinel sent after both, and nothing forged before it.
    expect(JSON.stringify(await receivedBeforeSentinel(own))).not.toContain("forged");
  });
});
