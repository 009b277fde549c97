// Delivery and read receipts with the plain official client (no SDK): RPCs, the receipt events on
// user:<id>, and the hide-read-receipts setting as an upsert of one's own user_settings row.
import { describe, expect, it } from "vitest";
import { parleyOf } from "../support/clients.ts";
import { byEvent, live, rpc, user } from "./support.ts";

type Row = { id: string; seq: number; conversation_id: string };

describe("delivery and read receipts (plain supabase-js)", () => {
  it("the sender hears member_delivered then member_read on user:<id>, and message_receipts follows", async () => {
    const [a, b] = [await user(), await user()];
    const sent = await rpc<Row>(a, "send_direct_message", { recipient_id: b.id, body: "hi" });
    const inbox = await live(a, `user:${a.id}`);
    expect(await rpc<number>(b, "mark_delivered", { conversation_id: sent.conversation_id })).toBe(sent.seq);
    expect((await inbox.events.next(byEvent("member_delivered"))).payload).toMatchObject({
      user_id: b.id,
      last_delivered_seq: sent.seq,
    });
    const { data: ticks } = await parleyOf(a.client).rpc("message_receipts", { message_id: sent.id }).single();
    expect(ticks).toMatchObject({ status: "delivered", recipient_count: 1, delivered_count: 1, read_count: 0 });
    await rpc(b, "mark_read", { conversation_id: sent.conversation_id });
    expect((await inbox.events.next(byEvent("member_read"))).payload).toMatchObject({
      user_id: b.id,
      last_read_seq: sent.seq,
    });
  });

  it("a reader who hides read receipts is heard as a delivery only; the refusal codes are stable", async () => {
    const [a, b, stranger] = [await user(), await user(), await user()];
    const sent = await rpc<Row>(a, "send_direct_message", { recipient_id: b.id, body: "hi" });
    const { error: saved } = await parleyOf(b.client)
      .from("user_settings")
      .upsert({ user_id: b.id, hide_read_receipts: true });
    expect(saved).toBeNull();
    const inbox = await live(a, `user:${a.id}`);
    await rpc(b, "mark_read", { conversation_id: sent.conversation_id });
    await inbox.events.next(byEvent("member_delivered"));
    // The sentinel: a message of a's own, sent after the read, arrives after anything the read sent.
    await rpc(a, "send_message", { conversation_id: sent.conversation_id, body: "sentinel" });
    await inbox.events.next(
      (m) => m.event === "message_created" && (m.payload.message as { body?: string }).body === "sentinel",
    );
    expect(inbox.events.items.map((m) => m.event)).not.toContain("member_read");
    const receipts = await rpc<Array<{ user_id: string; last_read_seq: number | null }>>(a, "list_receipts", {
      conversation_id: sent.conversation_id,
    });
    expect(receipts.find((r) => r.user_id === b.id)?.last_read_seq).toBeNull();

    const outside = await parleyOf(stranger.client).rpc("mark_delivered", { conversation_id: sent.conversation_id });
    expect([outside.status, outside.error?.hint]).toEqual([404, "conversation_not_found"]);
    const beyond = await parleyOf(b.client).rpc("mark_delivered", { conversation_id: sent.conversation_id, seq: 999 });
    expect([beyond.status, beyond.error?.hint]).toEqual([400, "seq_out_of_range"]);
  });
});
