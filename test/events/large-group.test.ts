// conversation:<id>:events with the official client: a group above the fan-out bound gets one
// content-free notice per database event on a receive-only topic, and its members read the rows through
// RLS (docs/realtime-events.md § Fan-out).
import { describe, expect, it } from "vitest";
import { byEvent, largeGroup, listen, live, receivedBeforeSentinel, rpc, trySubscribe, user } from "./support.ts";

type Row = { id: string; seq: number; body: string | null };

/** The keys a notice may have: ids and sequence numbers, never content. */
const NOTICE_KEYS = [
  "conversation_id",
  "id",
  "message_id",
  "seq",
  "user_id",
  "last_read_seq",
  "last_delivered_seq",
  "member_count",
];

describe("conversation:<id>:events channels (groups above the fan-out bound)", () => {
  it("lists the topic for members, refuses strangers, and carries one content-free notice per event", async () => {
    const [owner, b, stranger] = [await user(), await user(), await user()];
    const group = await largeGroup(owner, [b]);
    const topic = `conversation:${group.id}:events`;
    expect(await rpc<string[]>(b, "list_realtime_topics", {})).toEqual([`user:${b.id}`, topic]);
    expect((await trySubscribe(listen(stranger, topic).channel)).error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`,
    );

    const events = await live(b, topic);
    const inbox = await live(b, `user:${b.id}`);
    const sent = await rpc<Row>(owner, "send_message", { conversation_id: group.id, body: "secret plans" });
    const notice = await events.events.next(byEvent("message_created"));
    expect(notice.payload).toEqual({
      conversation_id: group.id,
      id: notice.meta?.id,
      message_id: sent.id,
      seq: sent.seq,
    });

    await rpc(owner, "edit_message", { message_id: sent.id, body: "secret plans v2" });
    await rpc(b, "mark_read", { conversation_id: group.id });
    await rpc(owner, "update_group", { group_id: group.id, title: "Renamed" });
    expect((await events.events.next(byEvent("message_edited"))).payload).toMatchObject({
      message_id: sent.id,
      seq: sent.seq,
    });
    expect((await events.events.next(byEvent("member_read"))).payload).toMatchObject({
      user_id: b.id,
      last_read_seq: sent.seq,
    });
    expect((await events.events.next(byEvent("conversation_updated"))).payload).toEqual({
      conversation_id: group.id,
      id: expect.any(String),
    });
    for (const m of events.events.items) expect(NOTICE_KEYS).toEqual(expect.arrayContaining(Object.keys(m.payload)));
    expect(JSON.stringify(events.events.items)).not.toContain("secret");

    // The content is read through RLS; the inbox topic carries none of this group's events.
    const rows = await rpc<Row[]>(b, "list_messages", {
      conversation_id: group.id,
      after_seq: sent.seq - 1,
      max_count: 1,
    });
    expect(rows).toMatchObject([{ id: sent.id, body: "secret plans v2" }]);
    const onInbox = await receivedBeforeSentinel(inbox);
    expect(onInbox.filter((m) => m.payload?.conversation_id === group.id && m.event.startsWith("message_"))).toEqual(
      [],
    );
  });

  it("refuses every client broadcast on the events topic, over the socket and over REST", async () => {
    const [owner, b] = [await user(), await user()];
    const group = await largeGroup(owner, [b]);
    const topic = `conversation:${group.id}:events`;
    const listener = await live(b, topic);
    const forger = await live(owner, topic);
    const forged = crypto.randomUUID();
    const payload = { conversation_id: group.id, id: forged, message_id: forged, seq: 999 };
    expect(await forger.channel.send({ type: "broadcast", event: "message_created", payload })).toBe("ok");
    await expect(
      owner.client
        .channel(`${topic}`, { config: { private: true } })
        .httpSend("conversation_deleted", { conversation_id: group.id }),
    ).rejects.toThrow("Unauthorized");
    // The listener receives a sentinel sent after both, and neither forgery before it. (Notices of the
    // group's creation may be among what came first: Realtime reads them from the WAL after the join.)
    const before = await receivedBeforeSentinel(listener);
    expect(JSON.stringify(before)).not.toContain(forged);
    expect(before.map((m) => m.event)).not.toContain("conversation_deleted");
  });

  it("tells the remaining members about membership changes and the group's deletion", async () => {
    const [owner, b, c] = [await user(), await user(), await user()];
    const group = await largeGroup(owner, [b, c]);
    const events = await live(b, `conversation:${group.id}:events`);
    const inbox = await live(b, `user:${b.id}`);
    await rpc(owner, "remove_member", { group_id: group.id, user_id: c.id });
    expect((await events.events.next(byEvent("members_removed"))).payload).toMatchObject({ member_count: 101 });
    await rpc(owner, "delete_group", { group_id: group.id });
    expect((await events.events.next(byEvent("conversation_deleted"))).payload).toMatchObject({
      conversation_id: group.id,
    });
    expect((await inbox.events.next(byEvent("conversation_removed"))).payload).toMatchObject({
      conversation_id: group.id,
      reason: "deleted",
    });
  });
});
