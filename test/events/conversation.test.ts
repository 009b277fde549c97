// conversation:<id> with the official client: members join and hear each other's messages and typing;
// strangers are refused (docs/realtime-events.md).
import { describe, expect, it } from "vitest";
import { byEvent, listen, live, rpc, trySubscribe, user } from "./support.ts";

type Row = { id: string; seq: number };

describe("conversation:<id> channels", () => {
  it("refuses a non-member's join with Realtime's Unauthorized reason", async () => {
    const [a, b, stranger] = [await user(), await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const out = await trySubscribe(listen(stranger, `conversation:${dm.id}`).channel);
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe(`Unauthorized: You do not have permissions to read from this Channel topic: conversation:${dm.id}`);
  });

  it("lets a member join and delivers another member's message as message_created", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const bob = await live(b, `conversation:${dm.id}`);
    const sent = await rpc<Row>(a, "send_message", { conversation_id: dm.id, body: "hello from a" });
    const m = await bob.events.next(byEvent("message_created"));
    expect(m.payload).toMatchObject({ conversation_id: dm.id, message: { id: sent.id, seq: sent.seq, sender_id: a.id, body: "hello from a" } });
    expect(m.payload.id).toBe(m.meta?.id);
  });

  it("carries typing between two members (client broadcast)", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const alice = await live(a, `conversation:${dm.id}`, { broadcast: { ack: true } });
    const bob = await live(b, `conversation:${dm.id}`);
    const status = await alice.channel.send({ type: "broadcast", event: "typing", payload: { user_id: a.id, typing: true } });
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

  it("tells members about edits, tombstones and read receipts", async () => {
    const [a, b] = [await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const alice = await live(a, `conversation:${dm.id}`);
    const sent = await rpc<Row>(a, "send_message", { conversation_id: dm.id, body: "secret draft" });
    await rpc(a, "edit_message", { message_id: sent.id, body: "secret revised" });
    await rpc(a, "delete_message", { message_id: sent.id });
    await rpc(b, "mark_read", { conversation_id: dm.id });
    expect((await alice.events.next(byEvent("message_edited"))).payload).toMatchObject({ message: { id: sent.id, body: "secret revised" } });
    const deleted = await alice.events.next(byEvent("message_deleted"));
    expect(deleted.payload).toMatchObject({ message: { id: sent.id, body: null, attachment: null } });
    expect(JSON.stringify(deleted.payload)).not.toContain("secret");
    expect((await alice.events.next(byEvent("member_read"))).payload).toMatchObject({ user_id: b.id, last_read_seq: sent.seq, message_id: sent.id });
  });
});
