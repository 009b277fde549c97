// user:<id> inbox channels with the official client: only their user joins, and they hear activity in
// any of their conversations (docs/realtime-events.md).
import { describe, expect, it } from "vitest";
import { byEvent, listen, live, rpc, trySubscribe, user } from "./support.ts";

type Row = { id: string; seq: number };

describe("user:<id> inbox channels", () => {
  it("refuses another user's join", async () => {
    const [a, b] = [await user(), await user()];
    const out = await trySubscribe(listen(a, `user:${b.id}`).channel);
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe(`Unauthorized: You do not have permissions to read from this Channel topic: user:${b.id}`);
  });

  it("delivers conversation_added and conversation_activity with the preview and unread count", async () => {
    const [a, b] = [await user(), await user()];
    const inbox = await live(b, `user:${b.id}`);
    const sent = await rpc<Row & { conversation_id: string }>(a, "send_direct_message", { recipient_id: b.id, body: "hi b" });
    expect((await inbox.events.next(byEvent("conversation_added"))).payload).toMatchObject({ conversation_id: sent.conversation_id, kind: "direct" });
    expect((await inbox.events.next(byEvent("conversation_activity"))).payload).toMatchObject({
      conversation_id: sent.conversation_id,
      last_seq: sent.seq,
      unread_count: 1,
      action: "created",
      last_message: { id: sent.id, sender_id: a.id, preview: "hi b" },
    });
  });

  it("syncs the reader's other devices when they read, and says so when they are removed", async () => {
    const [owner, b] = [await user(), await user()];
    const group = await rpc<Row>(owner, "create_group", { title: "Inbox test", member_ids: [b.id] });
    const inbox = await live(b, `user:${b.id}`);
    await rpc(b, "mark_read", { conversation_id: group.id });
    expect((await inbox.events.next(byEvent("membership_updated"))).payload).toMatchObject({ conversation_id: group.id, unread_count: 0 });
    await rpc(owner, "remove_member", { group_id: group.id, user_id: b.id });
    expect((await inbox.events.next(byEvent("conversation_removed"))).payload).toMatchObject({ conversation_id: group.id, reason: "removed" });
  });

  it("refuses a client broadcast on an inbox, even from its user", async () => {
    const b = await user();
    const inbox = await live(b, `user:${b.id}`, { broadcast: { ack: true } });
    // Realtime drops a broadcast the write policy refuses without acknowledging it.
    const status = await inbox.channel.send({ type: "broadcast", event: "conversation_activity", payload: { forged: true } }, { timeout: 1500 });
    expect(status).toBe("timed out");
  });
});
