// conversation:<id> with the official client: the signals topic. Members join, send typing and track
// presence; strangers are refused; no database event is ever sent there (docs/realtime-events.md).
import { describe, expect, it } from "vitest";
import { byEvent, listen, live, receivedBeforeSentinel, rpc, trySubscribe, user } from "./support.ts";
import { acquaint } from "../support/contacts.ts";

type Row = { id: string; seq: number };

describe("conversation:<id> channels (signals only)", () => {
  it("refuses a non-member's join with Realtime's Unauthorized reason", async () => {
    const [a, b, stranger] = [await user(), await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const out = await trySubscribe(listen(stranger, `conversation:${dm.id}`).channel);
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: conversation:${dm.id}`,
    );
  });

  it("carries typing between two members (client broadcast)", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const alice = await live(a, `conversation:${dm.id}`, { broadcast: { ack: true } });
    const bob = await live(b, `conversation:${dm.id}`);
    const status = await alice.channel.send({
      type: "broadcast",
      event: "typing",
      payload: { user_id: a.id, typing: true },
    });
    expect(status).toBe("ok");
    expect((await bob.events.next(byEvent("typing"))).payload).toEqual({ user_id: a.id, typing: true });
  });

  it("shows members' presence keyed by user id", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const alice = await live(a, `conversation:${dm.id}`, { presence: { key: a.id } });
    const bob = await live(b, `conversation:${dm.id}`, { presence: { key: b.id } });
    expect(await alice.channel.track({ user_id: a.id, online_at: new Date().toISOString() })).toBe("ok");
    await expect.poll(() => Object.keys(bob.channel.presenceState())).toEqual([a.id]);
  });

  it("carries no database event: messages, edits, reads and renames reach user:<id> only", async () => {
    const [owner, b] = [await user(), await user()];
    await acquaint(owner, [b]);
    const group = await rpc<Row>(owner, "create_group", { title: "Quiet topic", member_ids: [b.id] });
    const signals = await live(b, `conversation:${group.id}`);
    const inbox = await live(b, `user:${b.id}`);
    const sent = await rpc<Row>(owner, "send_message", { conversation_id: group.id, body: "hello" });
    await rpc(owner, "edit_message", { message_id: sent.id, body: "hello again" });
    await rpc(b, "mark_read", { conversation_id: group.id });
    await rpc(owner, "update_group", { group_id: group.id, title: "Renamed" });
    await inbox.events.next(byEvent("conversation_updated"));
    expect(inbox.events.items.map((m) => m.event)).toEqual(
      expect.arrayContaining(["message_created", "message_edited", "member_read", "conversation_updated"]),
    );
    // A database broadcast after those writes reaches the signals topic; none of their events came before it.
    expect(await receivedBeforeSentinel(signals)).toEqual([]);
  });
});
