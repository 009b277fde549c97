// Private channels: RLS policies on realtime.messages decide who joins, who may send, and refreshes re-check.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import {
  beforeSentinel,
  client,
  grant,
  Inbox,
  installTopicPolicies,
  joined,
  newRtUser,
  revoke,
  subscribe,
  tokenFor,
  topic,
} from "./support.ts";

type Msg = { event: string; payload: unknown };

beforeAll(installTopicPolicies);

async function privateChannel(token: string, name: string, config: Record<string, unknown> = {}) {
  const c = await client({ token });
  const ch = c.channel(name, { config: { private: true, ...config } });
  const inbox = new Inbox<Msg>();
  ch.on("broadcast", { event: "*" }, (m) => inbox.push(m as unknown as Msg));
  return { c, ch, inbox };
}

/** A member who may write, to send the sentinel that proves a refused broadcast reached nobody. */
async function writer(name: string) {
  const w = await newRtUser();
  await grant(name, w.id);
  const pw = await privateChannel(w.token, name);
  await joined(pw.ch);
  return { sentinel: () => pw.ch.send({ type: "broadcast", event: "sentinel", payload: {} }) };
}
const isSentinelMsg = (m: Msg): boolean => m.event === "sentinel";

describe("realtime private channels", () => {
  it("lets a user whose policy allows reading join", async () => {
    const name = topic();
    const a = await newRtUser();
    await grant(name, a.id);
    const { ch } = await privateChannel(a.token, name);
    expect((await subscribe(ch)).status).toBe("SUBSCRIBED");
  });

  it("refuses a user the policies do not allow, with Realtime's reason", async () => {
    const name = topic();
    const stranger = await newRtUser();
    const { ch } = await privateChannel(stranger.token, name);
    const out = await subscribe(ch);
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`,
    );
  });

  it("refuses the anon key on a private channel", async () => {
    const name = topic();
    const c = await client();
    const out = await subscribe(c.channel(name, { config: { private: true } }));
    expect(out.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`,
    );
  });

  // The reply is Realtime's usual one; the stack log says which SQL error the policy raised.
  it.skipIf(!stackEnv.logFile)("logs a policy that fails with an SQL error, and refuses as Unauthorized", async () => {
    const name = topic("rt-broken");
    const u = await newRtUser();
    const { c, ch } = await privateChannel(u.token, name);
    const out = await subscribe(ch);
    expect(out.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`,
    );
    await expect(c.channel(name, { config: { private: true } }).httpSend("e", {})).rejects.toThrow("Unauthorized");
    const lines = readFileSync(stackEnv.logFile, "utf8")
      .split("\n")
      .filter((l) => l.includes(`private topic "${name}"`));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `broadcast read check on private topic "${name}" as authenticated \\(sub ${u.id}\\) failed, refused: P0001 rt-test policy broken on purpose for ${name}$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `broadcast write on private topic "${name}" as authenticated \\(sub ${u.id}\\) check failed, refused: P0001 rt-test policy broken on purpose for ${name}$`,
        ),
      ),
    ]);
  });

  it("lets the service role join any private channel", async () => {
    const c = await client({ key: stackEnv.serviceRoleKey });
    expect((await subscribe(c.channel(topic("no-policy"), { config: { private: true } }))).status).toBe("SUBSCRIBED");
  });

  it("carries broadcasts between members", async () => {
    const name = topic();
    const [a, b] = [await newRtUser(), await newRtUser()];
    await grant(name, a.id);
    await grant(name, b.id);
    const pa = await privateChannel(a.token, name);
    const pb = await privateChannel(b.token, name);
    await joined(pa.ch);
    await joined(pb.ch);
    await pa.ch.send({ type: "broadcast", event: "typing", payload: { who: a.id } });
    expect(await pb.inbox.next()).toMatchObject({ event: "typing", payload: { who: a.id } });
  });

  it("drops a broadcast from a member without write permission: no ack, nobody receives it", async () => {
    const name = topic();
    const [reader, member] = [await newRtUser(), await newRtUser()];
    await grant(name, reader.id, { write: false });
    await grant(name, member.id);
    const pr = await privateChannel(reader.token, name, { broadcast: { ack: true } });
    const pm = await privateChannel(member.token, name);
    await joined(pr.ch);
    await joined(pm.ch);
    const w = await writer(name);
    // Realtime acknowledges nothing it refused (the client's own timeout answers)…
    expect(await pr.ch.send({ type: "broadcast", event: "nope", payload: {} }, { timeout: 1500 })).toBe("timed out");
    // …and the proof that nobody got it: a member receives the sentinel sent after it, and nothing before.
    await w.sentinel();
    expect(await beforeSentinel(pm.inbox, isSentinelMsg)).toEqual([]);
  });

  it("refuses presence tracking without presence write permission", async () => {
    const name = topic();
    const a = await newRtUser();
    await grant(name, a.id, { extensions: ["broadcast"] });
    await grant(name, a.id, { extensions: ["presence"], write: false });
    const { ch } = await privateChannel(a.token, name, { presence: { key: a.id } });
    ch.on("presence", { event: "sync" }, () => undefined);
    await joined(ch);
    expect(await ch.track({ online: true })).toBe("error");
  });

  it("closes the channel when a refreshed token no longer grants reading", async () => {
    const name = topic();
    const a = await newRtUser();
    await grant(name, a.id);
    const { c, ch } = await privateChannel(a.token, name);
    const system = new Inbox<Record<string, unknown>>();
    ch.on("system", {}, (p: Record<string, unknown>) => system.push(p));
    const statuses: string[] = [];
    await new Promise<void>((resolve) => ch.subscribe((s) => (statuses.push(s), s === "SUBSCRIBED" && resolve())));
    await revoke(name, a.id);
    await c.realtime.setAuth(await tokenFor(a.id, 7200));
    expect(await system.next((p) => p.status === "error")).toEqual({
      extension: "system",
      status: "error",
      message: `You no longer have permission to read from this Channel topic: ${name}`,
      channel: name,
    });
    await expect.poll(() => statuses, { timeout: 10_000 }).toContain("CLOSED");
  });

  it("REST: skips private batch messages the token may not write (still 202), answers 403 to httpSend", async () => {
    const name = topic();
    const [member, stranger] = [await newRtUser(), await newRtUser()];
    await grant(name, member.id);
    const pm = await privateChannel(member.token, name);
    await joined(pm.ch);
    const res = await fetch(`${stackEnv.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: {
        apikey: stackEnv.anonKey,
        authorization: `Bearer ${stranger.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ messages: [{ topic: name, event: "forged", payload: {}, private: true }] }),
    });
    expect(res.status).toBe(202);
    const sc = await client({ token: stranger.token });
    await expect(sc.channel(name, { config: { private: true } }).httpSend("forged", {})).rejects.toThrow(
      "Unauthorized",
    );
    const ok = await client({ token: member.token });
    expect(await ok.channel(name, { config: { private: true } }).httpSend("real", { n: 1 })).toEqual({ success: true });
    expect(await pm.inbox.next()).toMatchObject({ event: "real", payload: { n: 1 } });
    expect(pm.inbox.items.map((m) => m.event)).toEqual(["real"]);
  });
});

describe("realtime private channels: presence and reads split by extension", () => {
  it("joins with presence read only, but then receives no broadcasts", async () => {
    const name = topic();
    const [a, b] = [await newRtUser(), await newRtUser()];
    await grant(name, a.id, { extensions: ["presence"] });
    await grant(name, b.id);
    const pa = await privateChannel(a.token, name, { presence: { key: a.id } });
    pa.ch.on("presence", { event: "sync" }, () => undefined);
    const pb = await privateChannel(b.token, name, { presence: { key: b.id } });
    pb.ch.on("presence", { event: "sync" }, () => undefined);
    await joined(pa.ch);
    await joined(pb.ch);
    expect(await pb.ch.track({ here: true })).toBe("ok");
    await expect.poll(() => Object.keys(pa.ch.presenceState()), { timeout: 10_000 }).toEqual([b.id]);
    await pb.ch.send({ type: "broadcast", event: "hidden", payload: {} });
    // The sentinel a presence-only reader can receive: b's presence changes after the broadcast.
    expect(await pb.ch.track({ here: false })).toBe("ok");
    await expect
      .poll(() => ((pa.ch.presenceState()[b.id] ?? []) as Array<{ here?: boolean }>).map((m) => m.here), {
        timeout: 10_000,
      })
      .toContain(false);
    expect(pa.inbox.items).toHaveLength(0);
  });

  it("with broadcast read only, joins but gets no presence", async () => {
    const name = topic();
    const [a, b] = [await newRtUser(), await newRtUser()];
    await grant(name, a.id, { extensions: ["broadcast"] });
    await grant(name, b.id);
    const pa = await privateChannel(a.token, name, { presence: { key: a.id } });
    const syncs: number[] = [];
    pa.ch.on("presence", { event: "sync" }, () => syncs.push(1));
    const pb = await privateChannel(b.token, name, { presence: { key: b.id } });
    pb.ch.on("presence", { event: "sync" }, () => undefined);
    await joined(pa.ch);
    await joined(pb.ch);
    await pb.ch.track({ here: true });
    await pb.ch.send({ type: "broadcast", event: "seen", payload: {} });
    await pa.inbox.next();
    expect(syncs).toHaveLength(0);
    expect(pa.ch.presenceState()).toEqual({});
  });

  it("resolves an unacknowledged forbidden send ok, yet delivers nothing", async () => {
    const name = topic();
    const [reader, member] = [await newRtUser(), await newRtUser()];
    await grant(name, reader.id, { write: false });
    await grant(name, member.id);
    const pr = await privateChannel(reader.token, name);
    const pm = await privateChannel(member.token, name);
    await joined(pr.ch);
    await joined(pm.ch);
    const w = await writer(name);
    expect(await pr.ch.send({ type: "broadcast", event: "nope", payload: {} })).toBe("ok");
    await w.sentinel();
    expect(await beforeSentinel(pm.inbox, isSentinelMsg)).toEqual([]);
  });
});
