// Broadcast from the database: realtime.send / send_binary / broadcast_changes rows reach subscribers once, in commit order.
import { beforeAll, describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import {
  beforeSentinel,
  client,
  db,
  grant,
  Inbox,
  installTopicPolicies,
  isSentinel,
  joined,
  newRtUser,
  sendSentinel,
  topic,
} from "./support.ts";

type Msg = {
  type: string;
  event: string;
  payload: Record<string, unknown> | ArrayBuffer;
  meta?: { id?: string; replayed?: boolean };
};

beforeAll(installTopicPolicies);

async function subscriber(opts: {
  name: string;
  private: boolean;
  token?: string;
  key?: string;
  vsn?: "1.0.0" | "2.0.0";
  config?: Record<string, unknown>;
}) {
  const c = await client({ token: opts.token, key: opts.key, vsn: opts.vsn });
  const ch = c.channel(opts.name, { config: { private: opts.private, ...opts.config } });
  const inbox = new Inbox<Msg>();
  ch.on("broadcast", { event: "*" }, (m) => inbox.push(m as unknown as Msg));
  const system = new Inbox<Record<string, unknown>>();
  ch.on("system", {}, (p: Record<string, unknown>) => system.push(p));
  await joined(ch);
  return { c, ch, inbox, system };
}

/** Waits until the replication stream is up for this channel, so later commits are certainly seen. */
async function replicationReady(name: string, isPrivate: boolean, token?: string) {
  const s = await subscriber({
    name,
    private: isPrivate,
    token,
    key: isPrivate && !token ? stackEnv.serviceRoleKey : undefined,
    config: { broadcast: { replication_ready: true } },
  });
  await s.system.next((p) => p.message === "Replication connection established");
  return s;
}

describe("realtime broadcast from the database", () => {
  it("announces replication readiness when asked", async () => {
    const s = await replicationReady(topic(), false);
    expect(s.system.items[0]).toMatchObject({
      extension: "system",
      status: "ok",
      message: "Replication connection established",
    });
  });

  it("delivers realtime.send to a member of a private topic with the row id in meta", async () => {
    const name = topic();
    const a = await newRtUser();
    await grant(name, a.id);
    const s = await replicationReady(name, true, a.token);
    await db().query(`select realtime.send('{"a":1}'::jsonb, 'evt', $1, true)`, [name]);
    const m = await s.inbox.next();
    expect(m.event).toBe("evt");
    expect(m.payload).toMatchObject({ a: 1 });
    expect(typeof m.meta?.id).toBe("string");
    expect((m.payload as Record<string, unknown>).id).toBe(m.meta?.id);
  });

  it("sends public rows only to public subscribers and private rows only to private ones", async () => {
    const name = topic();
    const pub = await replicationReady(name, false);
    const priv = await replicationReady(name, true);
    await db().query(`select realtime.send('{"k":"public"}'::jsonb, 'e', $1, false)`, [name]);
    await db().query(`select realtime.send('{"k":"private"}'::jsonb, 'e', $1, true)`, [name]);
    // A sentinel of each kind after them: what each subscriber got before it is all it will get of the two.
    const [pubEnd, privEnd] = [await sendSentinel(name, false), await sendSentinel(name, true)];
    expect(
      (await beforeSentinel(pub.inbox, isSentinel(pubEnd))).map((m) => (m.payload as Record<string, unknown>).k),
    ).toEqual(["public"]);
    expect(
      (await beforeSentinel(priv.inbox, isSentinel(privEnd))).map((m) => (m.payload as Record<string, unknown>).k),
    ).toEqual(["private"]);
    expect(pub.inbox.items.filter(isSentinel(privEnd))).toEqual([]);
  });

  it("delivers nothing from a rolled-back transaction and each committed row once, in commit order", async () => {
    const name = topic();
    const s = await replicationReady(name, false);
    const c = await db().connect();
    try {
      await c.query("begin");
      await c.query(`select realtime.send('{"n":0}'::jsonb, 'e', $1, false)`, [name]);
      await c.query("rollback");
      await c.query("begin");
      await c.query(`select realtime.send('{"n":1}'::jsonb, 'e', $1, false)`, [name]);
      await c.query(`select realtime.send('{"n":2}'::jsonb, 'e', $1, false)`, [name]);
      await c.query("commit");
      await c.query(`select realtime.send('{"n":3}'::jsonb, 'e', $1, false)`, [name]);
    } finally {
      c.release();
    }
    const end = await sendSentinel(name, false);
    expect(
      (await beforeSentinel(s.inbox, isSentinel(end))).map((m) => (m.payload as Record<string, unknown>).n),
    ).toEqual([1, 2, 3]);
  });

  it("orders by commit, not by insert: a later-started transaction that commits first arrives first", async () => {
    const name = topic();
    const s = await replicationReady(name, false);
    const [t1, t2] = [await db().connect(), await db().connect()];
    try {
      await t1.query("begin");
      await t1.query(`select realtime.send('{"who":"first-started"}'::jsonb, 'e', $1, false)`, [name]);
      await t2.query("begin");
      await t2.query(`select realtime.send('{"who":"first-committed"}'::jsonb, 'e', $1, false)`, [name]);
      await t2.query("commit");
      await t1.query("commit");
    } finally {
      t1.release();
      t2.release();
    }
    await s.inbox.next((m) => (m.payload as Record<string, unknown>).who === "first-started");
    expect(s.inbox.items.map((m) => (m.payload as Record<string, unknown>).who)).toEqual([
      "first-committed",
      "first-started",
    ]);
  });

  it("delivers nothing when realtime.send is called by a role the policies do not let insert", async () => {
    const name = topic();
    const a = await newRtUser();
    const s = await replicationReady(name, true);
    const c = await db().connect();
    try {
      await c.query("begin");
      await c.query("set local role authenticated");
      await c.query("select set_config('request.jwt.claims', $1, true)", [
        JSON.stringify({ sub: a.id, role: "authenticated" }),
      ]);
      await c.query(`select realtime.send('{"forged":true}'::jsonb, 'e', $1, true)`, [name]);
      await c.query("commit");
    } finally {
      c.release();
    }
    await db().query(`select realtime.send('{"marker":true}'::jsonb, 'e', $1, true)`, [name]);
    await s.inbox.next();
    expect(s.inbox.items.map((m) => m.payload)).toEqual([expect.objectContaining({ marker: true })]);
  });

  it("delivers binary httpSend payloads as ArrayBuffer", async () => {
    const name = topic();
    const rx = await subscriber({ name, private: false });
    const c = await client();
    expect(await c.channel(name).httpSend("bin", new Uint8Array([7, 8]))).toEqual({ success: true });
    const m = await rx.inbox.next();
    expect([...new Uint8Array(m.payload as ArrayBuffer)]).toEqual([7, 8]);
  });

  it("delivers realtime.send_binary as an ArrayBuffer", async () => {
    const name = topic();
    const s = await replicationReady(name, false);
    await db().query(`select realtime.send_binary('\\xdeadbeef'::bytea, 'bin', $1, false)`, [name]);
    const m = await s.inbox.next();
    expect(m.payload).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(m.payload as ArrayBuffer).toString("hex")).toBe("deadbeef");
    expect(typeof m.meta?.id).toBe("string");
  });

  it("delivers database rows to 1.0.0 clients as JSON maps", async () => {
    const name = topic();
    const ready = await replicationReady(name, false);
    const v1 = await subscriber({ name, private: false, vsn: "1.0.0" });
    await db().query(`select realtime.send('{"v":1}'::jsonb, 'e', $1, false)`, [name]);
    await ready.inbox.next();
    const m = await v1.inbox.next();
    expect(m).toMatchObject({ type: "broadcast", event: "e", payload: { v: 1 } });
    expect(typeof m.meta?.id).toBe("string");
  });

  it("carries broadcast_changes rows from a trigger with record, old_record and operation", async () => {
    const name = topic();
    const table = `rt_bc_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    await db().query(`
      create schema if not exists rt_test;
      create table rt_test.${table} (id int primary key, title text);
      create function rt_test.${table}_notify() returns trigger language plpgsql as $$
      begin
        perform realtime.broadcast_changes('${name}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old, tg_level);
        return null;
      end $$;
      create trigger ${table}_notify after insert or update or delete on rt_test.${table} for each row execute function rt_test.${table}_notify();`);
    const s = await replicationReady(name, true);
    await db().query(`insert into rt_test.${table} values (1, 'one')`);
    await db().query(`update rt_test.${table} set title = 'uno' where id = 1`);
    await db().query(`delete from rt_test.${table} where id = 1`);
    const ins = await s.inbox.next((m) => m.event === "INSERT");
    expect(ins.payload).toMatchObject({
      operation: "INSERT",
      table,
      schema: "rt_test",
      record: { id: 1, title: "one" },
      old_record: null,
    });
    expect((ins.payload as Record<string, unknown>).id).toBe(ins.meta?.id);
    const upd = await s.inbox.next((m) => m.event === "UPDATE");
    expect(upd.payload).toMatchObject({ record: { title: "uno" }, old_record: { title: "one" } });
    const del = await s.inbox.next((m) => m.event === "DELETE");
    expect(del.payload).toMatchObject({ record: null, old_record: { id: 1 } });
  });

  it("replays stored private messages at join when asked", async () => {
    const name = topic();
    const a = await newRtUser();
    await grant(name, a.id);
    const since = Date.now() - 1000;
    for (const n of [1, 2, 3])
      await db().query(`select realtime.send(jsonb_build_object('n', $2::int), 'e', $1, true)`, [name, n]);
    // A marker committed after the three rows: once it arrives, they have passed the live stream.
    const marker = await replicationReady(topic(), false);
    await db().query(`select realtime.send('{}'::jsonb, 'marker', $1, false)`, [marker.ch.subTopic]);
    await marker.inbox.next();
    const s = await subscriber({
      name,
      private: true,
      token: a.token,
      config: { broadcast: { replay: { since, limit: 2 } } },
    });
    await s.inbox.next((m) => (m.payload as Record<string, unknown>).n === 3);
    expect(s.inbox.items.map((m) => (m.payload as Record<string, unknown>).n)).toEqual([2, 3]);
    expect(s.inbox.items.every((m) => m.meta?.replayed === true && typeof m.meta.id === "string")).toBe(true);
  });
});
