// Presence as Phoenix Presence clients see it: state on join, diffs on track/untrack/leave, keyed by the client's key.
import type { RealtimeChannel } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import { client, Inbox, joined, topic } from "./support.ts";

type PresenceEvent = {
  event: string;
  key?: string;
  newPresences?: Array<Record<string, unknown>>;
  leftPresences?: Array<Record<string, unknown>>;
};

async function member(name: string, key: string, vsn?: "1.0.0" | "2.0.0") {
  const c = await client({ vsn });
  const ch = c.channel(name, { config: { presence: { key } } });
  const events = new Inbox<PresenceEvent>();
  ch.on("presence", { event: "sync" }, () => events.push({ event: "sync" }));
  ch.on("presence", { event: "join" }, (e) => events.push(e as PresenceEvent));
  ch.on("presence", { event: "leave" }, (e) => events.push(e as PresenceEvent));
  await joined(ch);
  return { c, ch, events };
}

const keys = (ch: RealtimeChannel) => Object.keys(ch.presenceState()).sort();

describe("realtime presence", () => {
  it("shows a tracked presence to everyone on the topic, under the tracker's key", async () => {
    const name = topic();
    const a = await member(name, "A");
    const b = await member(name, "B");
    expect(await a.ch.track({ online: true })).toBe("ok");
    const join = await b.events.next((e) => e.event === "join" && e.key === "A");
    expect(join.newPresences?.[0]).toMatchObject({ online: true });
    expect(typeof join.newPresences?.[0]?.presence_ref).toBe("string");
    await expect.poll(() => keys(a.ch), { timeout: 10_000 }).toEqual(["A"]);
    expect(b.ch.presenceState().A).toEqual([expect.objectContaining({ online: true })]);
  });

  it("works the same between a 1.0.0 and a 2.0.0 client", async () => {
    const name = topic();
    const v1 = await member(name, "V1", "1.0.0");
    const v2 = await member(name, "V2");
    await v1.ch.track({ proto: 1 });
    await v2.ch.track({ proto: 2 });
    await expect.poll(() => keys(v1.ch), { timeout: 10_000 }).toEqual(["V1", "V2"]);
    await expect.poll(() => keys(v2.ch), { timeout: 10_000 }).toEqual(["V1", "V2"]);
  });

  it("gives a late joiner the existing presences in its state", async () => {
    const name = topic();
    const a = await member(name, "A");
    await a.ch.track({ status: "here" });
    const late = await member(name, "L");
    await expect.poll(() => keys(late.ch), { timeout: 10_000 }).toEqual(["A"]);
    expect(late.ch.presenceState().A?.[0]).toMatchObject({ status: "here" });
  });

  // The diff carries the new meta in joins and the old one in leaves. (realtime-js 2.109's presence
  // adapter mutates its state while reporting the join, so its presenceState() keeps the old meta;
  // the events are what this asserts.)
  it("replaces the meta when a client re-tracks with a new payload", async () => {
    const name = topic();
    const a = await member(name, "A");
    const b = await member(name, "B");
    await a.ch.track({ v: 1 });
    await b.events.next((e) => e.event === "join" && e.newPresences?.[0]?.v === 1);
    await a.ch.track({ v: 2 });
    await b.events.next((e) => e.event === "join" && e.newPresences?.[0]?.v === 2);
    const leave = await b.events.next((e) => e.event === "leave" && e.key === "A");
    expect(leave.leftPresences?.map((m) => m.v)).toEqual([1]);
  });

  it("removes a presence on untrack", async () => {
    const name = topic();
    const a = await member(name, "A");
    const b = await member(name, "B");
    await a.ch.track({ online: true });
    await b.events.next((e) => e.event === "join" && e.key === "A");
    expect(await a.ch.untrack()).toBe("ok");
    await b.events.next((e) => e.event === "leave" && e.key === "A");
    expect(b.ch.presenceState()).toEqual({});
  });

  it("removes a presence when its client leaves the channel", async () => {
    const name = topic();
    const a = await member(name, "A");
    const b = await member(name, "B");
    await a.ch.track({ online: true });
    await b.events.next((e) => e.event === "join" && e.key === "A");
    await a.c.removeChannel(a.ch);
    await b.events.next((e) => e.event === "leave" && e.key === "A");
    expect(b.ch.presenceState()).toEqual({});
  });

  it("removes a presence when its socket disconnects", async () => {
    const name = topic();
    const a = await member(name, "A");
    const b = await member(name, "B");
    await a.ch.track({ online: true });
    await b.events.next((e) => e.event === "join" && e.key === "A");
    a.c.realtime.disconnect();
    await b.events.next((e) => e.event === "leave" && e.key === "A");
    expect(b.ch.presenceState()).toEqual({});
  });

  it("keeps two clients sharing a key as two metas under that key", async () => {
    const name = topic();
    const a1 = await member(name, "A");
    const a2 = await member(name, "A");
    const b = await member(name, "B");
    await a1.ch.track({ tab: 1 });
    await a2.ch.track({ tab: 2 });
    await expect
      .poll(() => (b.ch.presenceState().A ?? []).map((m) => (m as Record<string, unknown>).tab).sort(), {
        timeout: 10_000,
      })
      .toEqual([1, 2]);
  });
});

describe("realtime presence limits and refusals", () => {
  it("answers a re-track with the same payload ok and sends no events", async () => {
    const name = topic();
    const a = await member(name, "A");
    const b = await member(name, "B");
    await a.ch.track({ same: 1 });
    await b.events.next((e) => e.event === "join" && e.key === "A");
    const seen = b.events.items.length;
    expect(await a.ch.track({ same: 1 })).toBe("ok");
    await a.ch.track({ marker: true });
    await b.events.next((e) => e.event === "join" && e.newPresences?.[0]?.marker === true);
    expect(
      b.events.items
        .slice(seen)
        .filter((e) => e.event === "join")
        .map((e) => e.newPresences?.[0]),
    ).toEqual([expect.objectContaining({ marker: true })]);
  });

  it("refuses a track whose payload is not an object", async () => {
    const a = await member(topic(), "A");
    // track() only takes objects; a raw presence push carries the malformed payload.
    expect(await a.ch.send({ type: "presence", event: "track", payload: 5 } as never)).toBe("error");
  });

  it("closes a channel that pushes presence more than five times in 30 seconds", async () => {
    const c = await client();
    const ch = c.channel(topic(), { config: { presence: { key: "A" } } });
    const system = new Inbox<Record<string, unknown>>();
    ch.on("system", {}, (p: Record<string, unknown>) => system.push(p));
    const statuses: string[] = [];
    await new Promise<void>((r) => ch.subscribe((s) => (statuses.push(s), s === "SUBSCRIBED" && r())));
    for (let i = 0; i < 5; i++) expect(await ch.track({ i })).toBe("ok");
    void ch.track({ i: 6 });
    expect(await system.next()).toMatchObject({
      extension: "system",
      status: "error",
      message: "Client presence rate limit exceeded",
    });
    await expect.poll(() => statuses, { timeout: 10_000 }).toContain("CLOSED");
  });
});
