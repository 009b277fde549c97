// The SDK's profiles: finding people by the start of their username, and the last-seen heartbeat,
// through PostgREST and RLS.
import { describe, expect, it } from "vitest";
import { newParleyUser, refusal } from "./parley.ts";

describe("client SDK: profiles", () => {
  it("finds people by the start of their username, ignoring case, to start a conversation with them", async () => {
    const [ann, bob] = await Promise.all([newParleyUser("Ann"), newParleyUser("Bob")]);
    const found = await ann.parley.profiles.search(bob.username.slice(0, -2).toUpperCase());
    expect(found.map((p) => p.id)).toContain(bob.id);
    expect(found.find((p) => p.id === bob.id)).toMatchObject({ username: bob.username, display_name: "Bob" });

    const exact = await ann.parley.profiles.search(bob.username, 1);
    expect(exact).toEqual([expect.objectContaining({ id: bob.id })]);
    const conversation = await ann.parley.conversations.direct(exact[0]!.id);
    expect(conversation.kind).toBe("direct");
  });

  it("refuses a prefix no username could start with", async () => {
    const ann = await newParleyUser();
    const refused = await refusal(ann.parley.profiles.search("a%"));
    expect(refused).toMatchObject({ code: "prefix_invalid", status: 400 });
  });

  it("heartbeat keeps my last_seen_at fresh until stopped; nobody else can move it", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const seen = async () => (await bob.parley.profiles.get(ann.id))?.last_seen_at ?? null;
    const before = Date.parse((await seen()) ?? "1970-01-01T00:00:00Z");
    const stop = ann.parley.profiles.heartbeat({ everyMs: 1_000 });
    await expect
      .poll(async () => Date.parse((await seen()) ?? "1970-01-01T00:00:00Z"), { timeout: 5_000, interval: 100 })
      .toBeGreaterThan(before);
    const first = Date.parse((await seen())!);
    await expect
      .poll(async () => Date.parse((await seen())!), { timeout: 5_000, interval: 100 })
      .toBeGreaterThan(first);
    stop();
    await new Promise((r) => setTimeout(r, 300)); // a touch already on its way lands
    const last = await seen();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await seen()).toBe(last);

    // RLS: only its owner moves last_seen_at (the update matches no row of someone else's).
    const { data } = await bob.parley.db
      .from("profiles")
      .update({ last_seen_at: new Date().toISOString() })
      .eq("id", ann.id)
      .select("id");
    expect(data).toEqual([]);
    expect(await seen()).toBe(last);
  });
});
