// End to end: the call invariants hold when requests race through the API (separate connections).
import { describe, expect, it } from "vitest";
import { newUser, parleyOf, type TestUser } from "../support/clients.ts";

async function direct(a: TestUser, b: TestUser): Promise<string> {
  const { data, error } = await parleyOf(a.client).rpc("get_or_create_direct_conversation", { other_user_id: b.id });
  if (error) throw new Error(`get_or_create_direct_conversation: ${error.message}`);
  return typeof data === "string" ? data : (data as { id: string }).id;
}

describe("calls under concurrency", () => {
  it("two simultaneous calls to the same person: one rings, the other ends busy", async () => {
    const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
    const [ab, cb] = await Promise.all([direct(a, b), direct(c, b)]);
    const results = await Promise.all([
      parleyOf(a.client).rpc("start_call", { conversation_id: ab, media: "audio" }).single<{ status: string }>(),
      parleyOf(c.client).rpc("start_call", { conversation_id: cb, media: "audio" }).single<{ status: string }>(),
    ]);
    expect(results.map((r) => r.error)).toEqual([null, null]);
    expect(results.map((r) => r.data?.status).sort()).toEqual(["busy", "ringing"]);
    const active = await parleyOf(b.client).rpc("get_active_call");
    expect(active.data).toHaveLength(1);
  });

  it("both sides calling each other at once end up in one call", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const ab = await direct(a, b);
    const [x, y] = await Promise.all([
      parleyOf(a.client).rpc("start_call", { conversation_id: ab, media: "video" }).single<{ id: string }>(),
      parleyOf(b.client).rpc("start_call", { conversation_id: ab, media: "video" }).single<{ id: string }>(),
    ]);
    expect(x.error).toBeNull();
    expect(y.error).toBeNull();
    expect(x.data?.id).toBe(y.data?.id);
  });

  it("accepting and declining on two devices at once leaves one consistent outcome", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const ab = await direct(a, b);
    const call = await parleyOf(a.client)
      .rpc("start_call", { conversation_id: ab, media: "audio" })
      .single<{ id: string }>();
    const callId = call.data?.id ?? "";
    await Promise.all([
      parleyOf(b.client).rpc("accept_call", { call_id: callId }),
      parleyOf(b.client).rpc("decline_call", { call_id: callId }),
    ]);
    const row = await parleyOf(a.client)
      .from("calls")
      .select("status, call_participants(user_id, state)")
      .eq("id", callId)
      .single<{
        status: string;
        call_participants: Array<{ user_id: string; state: string }>;
      }>();
    const bState = row.data?.call_participants.find((p) => p.user_id === b.id)?.state;
    expect(["active/joined", "declined/declined"]).toContain(`${row.data?.status}/${bState}`);
  });
});
