// Broadcast between official clients: self, ack, binary, v1/v2 interop, and the REST endpoints.
import { describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { beforeSentinel, client, Inbox, joined, topic } from "./support.ts";

type Msg = { type: string; event: string; payload: unknown; meta?: unknown };

async function listener(opts: { vsn?: "1.0.0" | "2.0.0"; name: string; event?: string; self?: boolean }) {
  const c = await client({ vsn: opts.vsn });
  const inbox = new Inbox<Msg>();
  const ch = c.channel(opts.name, { config: { broadcast: { self: opts.self ?? false } } });
  ch.on("broadcast", { event: opts.event ?? "*" }, (m) => inbox.push(m as Msg));
  await joined(ch);
  return { c, ch, inbox };
}

describe("realtime broadcast", () => {
  it("delivers a broadcast to another client on the same topic", async () => {
    const name = topic();
    const a = await listener({ name });
    const b = await listener({ name });
    await a.ch.send({ type: "broadcast", event: "hello", payload: { x: 1 } });
    expect(await b.inbox.next()).toEqual({ type: "broadcast", event: "hello", payload: { x: 1 } });
  });

  it("does not echo to the sender unless self is set", async () => {
    const name = topic();
    const quiet = await listener({ name });
    const echo = await listener({ name, self: true });
    await quiet.ch.send({ type: "broadcast", event: "a", payload: {} });
    await echo.ch.send({ type: "broadcast", event: "b", payload: { n: 2 } });
    expect(await echo.inbox.next((m) => m.event === "b")).toMatchObject({ payload: { n: 2 } });
    await echo.inbox.next((m) => m.event === "a");
    await quiet.inbox.next((m) => m.event === "b");
    expect(quiet.inbox.items.map((m) => m.event)).toEqual(["b"]);
  });

  it("acknowledges a broadcast when ack is set", async () => {
    const c = await client();
    const ch = await joined(c.channel(topic(), { config: { broadcast: { ack: true } } }));
    expect(await ch.send({ type: "broadcast", event: "e", payload: {} })).toBe("ok");
  });

  it("filters by event name case-insensitively on the client", async () => {
    const name = topic();
    const rx = await listener({ name, event: "Hello" });
    const tx = await listener({ name });
    await tx.ch.send({ type: "broadcast", event: "other", payload: {} });
    await tx.ch.send({ type: "broadcast", event: "hello", payload: { ok: true } });
    expect(await rx.inbox.next()).toMatchObject({ event: "hello", payload: { ok: true } });
    expect(rx.inbox.items).toHaveLength(1);
  });

  it("carries binary payloads to 2.0.0 clients as ArrayBuffer", async () => {
    const name = topic();
    const rx = await listener({ name });
    const tx = await listener({ name });
    await tx.ch.send({ type: "broadcast", event: "bin", payload: new Uint8Array([1, 2, 3]).buffer });
    const m = await rx.inbox.next();
    expect(m.payload).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(m.payload as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it("converts between protocol versions: a 2.0.0 sender reaches a 1.0.0 listener and back", async () => {
    const name = topic();
    const v1 = await listener({ name, vsn: "1.0.0" });
    const v2 = await listener({ name, vsn: "2.0.0" });
    await v2.ch.send({ type: "broadcast", event: "to-v1", payload: { t: "wörld 😀" } });
    expect(await v1.inbox.next()).toEqual({ type: "broadcast", event: "to-v1", payload: { t: "wörld 😀" } });
    await v1.ch.send({ type: "broadcast", event: "to-v2", payload: { n: 1 } });
    expect(await v2.inbox.next()).toMatchObject({ type: "broadcast", event: "to-v2", payload: { n: 1 } });
  });

  it("does not deliver binary broadcasts to 1.0.0 listeners", async () => {
    const name = topic();
    const v1 = await listener({ name, vsn: "1.0.0" });
    const v2 = await listener({ name });
    const tx = await listener({ name });
    await tx.ch.send({ type: "broadcast", event: "bin", payload: new Uint8Array([9]).buffer });
    await tx.ch.send({ type: "broadcast", event: "json", payload: {} });
    await v2.inbox.next((m) => m.event === "json");
    await v1.inbox.next((m) => m.event === "json");
    expect(v1.inbox.items.map((m) => m.event)).toEqual(["json"]);
  });

  it("round-trips non-ASCII event names", async () => {
    const name = topic();
    const rx = await listener({ name });
    const tx = await listener({ name });
    await tx.ch.send({ type: "broadcast", event: "évènement", payload: { a: 1 } });
    expect((await rx.inbox.next()).event).toBe("évènement");
  });

  it("falls back to REST when sending before joining (202 → ok)", async () => {
    const name = topic();
    const rx = await listener({ name });
    const c = await client();
    const unjoined = c.channel(name);
    expect(await unjoined.send({ type: "broadcast", event: "rest", payload: { r: 1 } })).toBe("ok");
    expect(await rx.inbox.next()).toMatchObject({ event: "rest", payload: { r: 1 } });
  });

  it("delivers httpSend messages and resolves success", async () => {
    const name = topic();
    const rx = await listener({ name });
    const c = await client();
    const ch = c.channel(name);
    expect(await ch.httpSend("http", { b: 2 })).toEqual({ success: true });
    expect(await rx.inbox.next()).toMatchObject({ event: "http", payload: { b: 2 } });
  });

  it("answers the batch endpoint with 202, 422 for a missing payload, 401 for a bad token", async () => {
    const url = `${stackEnv.url}/realtime/v1/api/broadcast`;
    const post = (body: unknown, key = stackEnv.anonKey) =>
      fetch(url, {
        method: "POST",
        headers: { apikey: key, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ messages: [{ topic: topic(), event: "e", payload: { a: 1 } }] })).status).toBe(202);
    expect((await post({ messages: [{ topic: topic(), event: "e" }] })).status).toBe(422);
    const bad = await post({ messages: [{ topic: topic(), event: "e", payload: {} }] }, "BAD");
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ message: "Unauthorized" });
  });

  it("passes a batch message's id on as meta.id", async () => {
    const name = topic();
    const rx = await listener({ name });
    const res = await fetch(`${stackEnv.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: stackEnv.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ topic: name, event: "with-id", payload: { z: 1 }, id: "msg-1" }] }),
    });
    expect(res.status).toBe(202);
    expect(await rx.inbox.next()).toEqual({
      type: "broadcast",
      event: "with-id",
      payload: { z: 1 },
      meta: { id: "msg-1" },
    });
  });

  it("keeps public and private rooms of the same name apart", async () => {
    const name = topic("rt-iso");
    const pub = await listener({ name });
    const svc = await client({ key: stackEnv.serviceRoleKey });
    const priv = svc.channel(name, { config: { private: true } });
    const privInbox = new Inbox<Msg>();
    priv.on("broadcast", { event: "*" }, (m) => privInbox.push(m as Msg));
    await joined(priv);
    await priv.send({ type: "broadcast", event: "secret", payload: {} });
    const tx = await listener({ name });
    await tx.ch.send({ type: "broadcast", event: "public", payload: {} });
    // Sentinels after both sends: a public one for the public room, a private one for the private room.
    await tx.ch.send({ type: "broadcast", event: "sentinel", payload: {} });
    const privTx = (await client({ key: stackEnv.serviceRoleKey })).channel(name, { config: { private: true } });
    await joined(privTx);
    await privTx.send({ type: "broadcast", event: "sentinel", payload: {} });
    expect((await beforeSentinel(pub.inbox, (m) => m.event === "sentinel")).map((m) => m.event)).toEqual(["public"]);
    expect(await beforeSentinel(privInbox, (m) => m.event === "sentinel")).toEqual([]);
  });
});
