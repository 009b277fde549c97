// Postgres Changes on parley.messages with the official client: members get inserts and tombstone
// updates of their conversations, and nobody else does (RLS per subscriber; docs/realtime-events.md).
import type { RealtimeChannel } from "@supabase/supabase-js";
import type { TestUser } from "../support/clients.ts";
import { Inbox } from "@parley/local-supabase/testing/realtime";
import { describe, expect, it } from "vitest";
import { rpc, user } from "./support.ts";

type Change = { eventType: string; new: Record<string, unknown>; old: Record<string, unknown> };
type Row = { id: string; seq: number };

/** Subscribes `u` to every change of parley.messages and waits for "Subscribed to PostgreSQL". */
async function watchMessages(u: TestUser): Promise<{ channel: RealtimeChannel; changes: Inbox<Change> }> {
  const channel = u.client.channel(`messages-${u.id}`);
  const changes = new Inbox<Change>();
  const system = new Inbox<Record<string, unknown>>();
  channel.on("postgres_changes" as never, { event: "*", schema: "parley", table: "messages" } as never, (p: Change) =>
    changes.push(p),
  );
  channel.on("system", {}, (p: Record<string, unknown>) => system.push(p));
  await new Promise<void>((resolve, reject) =>
    channel.subscribe((s, e) => (s === "SUBSCRIBED" ? resolve() : reject(new Error(`${s}: ${e?.message}`)))),
  );
  const ok = await system.next((p) => p.extension === "postgres_changes");
  expect(ok).toMatchObject({ status: "ok" });
  return { channel, changes };
}

describe("Postgres Changes on messages", () => {
  it("delivers a message's insert and tombstone to members only", async () => {
    const [a, b, c, d] = [await user(), await user(), await user(), await user()];
    const ab = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const cd = await rpc<Row>(c, "get_or_create_direct_conversation", { other_user_id: d.id });
    const member = await watchMessages(a);
    const stranger = await watchMessages(c);

    const sent = await rpc<Row>(b, "send_message", { conversation_id: ab.id, body: "for a only" });
    await rpc(b, "delete_message", { message_id: sent.id });
    const insert = await member.changes.next((ch) => ch.eventType === "INSERT" && ch.new.id === sent.id);
    expect(insert.new).toMatchObject({ conversation_id: ab.id, body: "for a only", sender_id: b.id });
    const update = await member.changes.next((ch) => ch.eventType === "UPDATE" && ch.new.id === sent.id);
    expect(update.new).toMatchObject({ body: null, attachment: null });
    expect(update.new.deleted_at).toBeTruthy();

    // Changes reach a subscriber in commit order: once the stranger sees a later message of their own
    // conversation, the earlier one of a and b would have arrived before it had it been delivered.
    const own = await rpc<Row>(d, "send_message", { conversation_id: cd.id, body: "for c" });
    await stranger.changes.next((ch) => ch.new.id === own.id);
    expect(stranger.changes.items.filter((ch) => ch.new.conversation_id === ab.id)).toEqual([]);
  });
});
