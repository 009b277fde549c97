// realtime_delivery_p50_ms / _p99_ms / realtime_lost / realtime_duplicated / realtime_deliveries_per_message:
// from a committed send_message to its arrival at N subscribed official supabase-js clients (100 by
// default) through the stack's /realtime/v1, and how often each receiver got each message (it must be
// once: every delivery counts against a project's Realtime quota); plus the rows a send writes (fanout.ts).
//
// Preferred path ("private"): every member of one group (the sender too) joins, with its own JWT,
// where Parley delivers that group's events: its own private `user:<id>` while the group is within the
// inbox fan-out bound, else the group's `conversation:<id>:events`; the events come from Parley's
// triggers in the send transaction. When those pieces are not in place, a fallback ("public") still measures the
// Realtime server: receivers join a public topic and the bench calls realtime.send itself in the same
// transaction as the send. When the server cannot carry a broadcast at all, the figures are
// "not available: <reason>" — never a made-up number.
import { randomUUID } from "node:crypto";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import type pg from "pg";
import WebSocket from "ws";
import { signJwt } from "@parley/local-supabase";
import { notAvailable, type StageOutput } from "../report.ts";
import { asUser, closeAll, connect, lit } from "../sql.ts";
import { percentile, round } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { rowsPerSend } from "./fanout.ts";

const SUBSCRIBE_TIMEOUT_MS = 30_000;
const PROBE_TIMEOUT_MS = 8_000;
/** Time between two sends: 20 messages/s, each fanned out to every receiver. */
const SEND_INTERVAL_MS = 50;
/** How long to wait for stragglers after the last send. */
const DRAIN_MS = 10_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

type Mode = "private" | "public";

interface Receiver {
  client: SupabaseClient;
  channel?: RealtimeChannel;
}

function unavailable(reason: string, figures: Record<string, number | string> = {}): StageOutput {
  const v = notAvailable(reason);
  return {
    metrics: [
      { key: "realtime_delivery_p50_ms", value: v, unit: "ms", detail: "" },
      { key: "realtime_delivery_p99_ms", value: v, unit: "ms", detail: "" },
      { key: "realtime_lost", value: v, unit: "count", target: { op: "=", value: 0 }, detail: "" },
      { key: "realtime_duplicated", value: v, unit: "count", target: { op: "=", value: 0 }, detail: "" },
    ],
    figures,
  };
}

async function tokenFor(ctx: StageContext, userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      sub: userId,
      role: "authenticated",
      aud: "authenticated",
      iat: now,
      exp: now + 3600,
      aal: "aal1",
      is_anonymous: false,
    },
    ctx.target.jwtSecret,
  );
}

function makeClient(ctx: StageContext): SupabaseClient {
  return createClient(ctx.target.apiUrl, ctx.target.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // Node 20 has no global WebSocket: hand realtime-js the `ws` implementation.
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
}

/** Subscribes and resolves with the final status (SUBSCRIBED, CHANNEL_ERROR: …, TIMED_OUT, …). */
function subscribe(channel: RealtimeChannel, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED" || status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
        clearTimeout(timer);
        resolve(err ? `${status}: ${err.message}` : status);
      }
    });
  });
}

/** Where the group's events reach `userId`: their inbox within the fan-out bound, else the events topic. */
async function topicPlan(ctx: StageContext, db: pg.Client): Promise<(userId: string) => string> {
  const conv = ctx.seeded.conversations.realtime;
  const { rows } = await db.query<{ members: number; bound: number }>(
    `select (select count(*)::int from parley.conversation_members where conversation_id = $1) as members,
            (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int as bound`,
    [conv],
  );
  const { members, bound } = rows[0]!;
  return members <= bound ? (userId) => `user:${userId}` : () => `conversation:${conv}:events`;
}

/** Does a send_message write a realtime.messages row where `topic` listens? (rolled back, so nothing is sent) */
async function triggersWriteEvents(ctx: StageContext, db: pg.Client, topic: string): Promise<boolean> {
  const { seeded } = ctx;
  const conv = seeded.conversations.realtime;
  const res = (await db.query(
    `begin; set local role authenticated;
     select set_config('request.jwt.claims', ${lit(JSON.stringify({ sub: seeded.users.realtimeSender, role: "authenticated" }))}, true);
     select id from parley.send_message(${lit(conv)}, 'probe', 'text', null, null, null, ${lit(randomUUID())});
     reset role;
     select count(*)::int as n from realtime.messages where topic = ${lit(topic)};
     rollback;`,
  )) as unknown as pg.QueryResult[];
  return (res[res.length - 2]!.rows[0] as { n: number }).n > 0;
}

export async function runRealtime(ctx: StageContext): Promise<StageOutput> {
  const { seeded, opts } = ctx;
  const conv = seeded.conversations.realtime;
  const receivers: Receiver[] = [];
  const [db] = await connect(ctx.target.dbUrl, 1);
  try {
    // 1. Which path is in place?
    let mode: Mode = "private";
    let why = "";
    const privateTopic = await topicPlan(ctx, db!);
    const firstTopic = privateTopic(seeded.users.realtimeReceivers[0]!);
    if (!(await triggersWriteEvents(ctx, db!, firstTopic))) {
      mode = "public";
      why = `send_message writes no realtime row on ${firstTopic.replace(/[0-9a-f-]{36}/, "<id>")}`;
    } else {
      const probe: Receiver = { client: makeClient(ctx) };
      receivers.push(probe);
      await probe.client.realtime.setAuth(await tokenFor(ctx, seeded.users.realtimeReceivers[0]!));
      probe.channel = probe.client.channel(firstTopic, { config: { private: true } });
      const status = await subscribe(probe.channel, PROBE_TIMEOUT_MS);
      if (status !== "SUBSCRIBED") {
        mode = "public";
        why = `a member's join of private ${firstTopic.replace(/[0-9a-f-]{36}/, "<id>")} ended with ${status}`;
      }
    }
    const publicTopic = `bench:${seeded.run}`;
    const topicOf = (userId: string) => (mode === "private" ? privateTopic(userId) : publicTopic);
    const topicName = mode === "private" ? firstTopic.replace(/[0-9a-f-]{36}/, "<id>") : publicTopic;
    if (mode === "public") {
      // Is there a Realtime server that can carry a public broadcast at all?
      const probe: Receiver = { client: makeClient(ctx) };
      receivers.push(probe);
      probe.channel = probe.client.channel(publicTopic);
      const status = await subscribe(probe.channel, PROBE_TIMEOUT_MS);
      if (status !== "SUBSCRIBED") return unavailable(`the realtime server refused a public join (${status}); ${why}`);
      ctx.say(`  fallback to a public topic fed by realtime.send: ${why}`);
    }
    for (const r of receivers) await r.client.removeAllChannels();
    await Promise.all(receivers.map((r) => r.client.realtime.disconnect()));
    receivers.length = 0;

    // 2. N clients, each its own socket, subscribed as a member.
    const arrivals: Map<string, number>[] = [];
    // Broadcasts per message id and receiver: the message's own id (message.id in a user:<id> event,
    // message_id in a notice), so one delivery counts once however many ids its payload carries.
    const deliveries: Map<string, number>[] = [];
    const sentAt = new Map<string, number>();
    const statuses: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      seeded.users.realtimeReceivers.slice(0, opts.realtimeClients).map(async (userId, i) => {
        const r: Receiver = { client: makeClient(ctx) };
        receivers.push(r);
        const got = new Map<string, number>();
        const counts = new Map<string, number>();
        arrivals[i] = got;
        deliveries[i] = counts;
        if (mode === "private") await r.client.realtime.setAuth(await tokenFor(ctx, userId));
        r.channel = r.client.channel(topicOf(userId), { config: { private: mode === "private" } });
        r.channel.on("broadcast", { event: "*" }, (msg) => {
          const t = performance.now();
          const p = (msg as { payload?: { message?: { id?: string }; message_id?: string } }).payload;
          const messageId = p?.message?.id ?? p?.message_id;
          if (messageId) counts.set(messageId, (counts.get(messageId) ?? 0) + 1);
          // Every id in the event, filtered against the sent ids later (the broadcast may be handled
          // before the sender's own commit callback has run).
          for (const id of JSON.stringify(msg).match(UUID) ?? []) if (!got.has(id)) got.set(id, t);
        });
        statuses[i] = await subscribe(r.channel, SUBSCRIBE_TIMEOUT_MS);
      }),
    );
    const subscribed = statuses.filter((s) => s === "SUBSCRIBED").length;
    ctx.say(
      `  ${subscribed}/${opts.realtimeClients} clients subscribed to ${mode} ${topicName} (${Math.round(performance.now() - t0)} ms)`,
    );
    if (subscribed === 0) return unavailable(`no client could subscribe (${statuses[0]})`);

    // 3. Send, one message at a time, through the real send path; note when each commit returned.
    for (let m = 0; m < opts.realtimeMessages; m++) {
      const statement = `select id from parley.send_message(${lit(conv)}, ${lit(`bench realtime ${m}`)}, 'text', null, null, null, ${lit(randomUUID())})`;
      const sql =
        mode === "private"
          ? asUser(seeded.users.realtimeSender, statement)
          : asUser(seeded.users.realtimeSender, statement).replace(
              /commit;$/,
              `reset role; select realtime.send(jsonb_build_object('message_id', (select id from parley.messages where conversation_id = ${lit(conv)} order by seq desc limit 1)), 'message_created', ${lit(publicTopic)}, false); commit;`,
            );
      const res = (await db!.query(sql)) as unknown as pg.QueryResult[];
      const committed = performance.now();
      const id = (res.find((r) => r.rows[0] && "id" in r.rows[0])!.rows[0] as { id: string }).id;
      sentAt.set(id, committed);
      await new Promise((r) => setTimeout(r, SEND_INTERVAL_MS));
    }
    const expected = opts.realtimeMessages * opts.realtimeClients;
    const delivered = () =>
      arrivals.reduce(
        (n, a) => n + [...(a ?? new Map<string, number>()).keys()].filter((id) => sentAt.has(id)).length,
        0,
      );
    const drainEnd = performance.now() + DRAIN_MS;
    while (delivered() < expected && performance.now() < drainEnd) await new Promise((r) => setTimeout(r, 50));

    // 4. Latencies. An arrival handled before the sender saw its commit counts as 0 ms.
    const latencies: number[] = [];
    for (const a of arrivals)
      for (const [id, t] of a ?? []) if (sentAt.has(id)) latencies.push(Math.max(0, t - sentAt.get(id)!));
    const lost = expected - latencies.length;
    const p50 = round(percentile(latencies, 0.5), 1);
    const p99 = round(percentile(latencies, 0.99), 1);
    const detail = `${opts.realtimeMessages} messages × ${opts.realtimeClients} clients (${subscribed} subscribed), ${mode} ${topicName}`;
    // Each receiver's count for each sent message it got (a lost one shows in realtime_lost instead).
    const perMessage = deliveries.flatMap((d) =>
      [...(d ?? new Map<string, number>())].filter(([id]) => sentAt.has(id)).map(([, n]) => n),
    );
    const most = perMessage.length ? Math.max(...perMessage) : 0;
    const duplicated = perMessage.reduce((n, k) => n + Math.max(0, k - 1), 0);
    const fewest = perMessage.length ? Math.min(...perMessage) : 0;
    const fanout = await rowsPerSend(ctx, db!);
    return {
      metrics: [
        {
          key: "realtime_delivery_p50_ms",
          value: latencies.length ? p50 : notAvailable("nothing arrived"),
          unit: "ms",
          detail,
        },
        {
          key: "realtime_delivery_p99_ms",
          value: latencies.length ? p99 : notAvailable("nothing arrived"),
          unit: "ms",
          detail,
        },
        {
          key: "realtime_lost",
          value: lost,
          unit: "count",
          target: { op: "=", value: 0 },
          detail: `${latencies.length} of ${expected} deliveries arrived`,
        },
        {
          key: "realtime_duplicated",
          value: perMessage.length ? duplicated : notAvailable("nothing arrived"),
          unit: "count",
          target: { op: "=", value: 0 },
          detail: `deliveries beyond the first of a message to a client, over ${perMessage.length} (client, message) pairs`,
        },
        {
          key: "realtime_deliveries_per_message",
          value: perMessage.length ? most : notAvailable("nothing arrived"),
          unit: "count",
          target: { op: "=", value: 1 },
          detail: `broadcasts a viewing member received per message: ${fewest}–${most}`,
        },
        ...fanout.metrics,
      ],
      figures: {
        ...fanout.figures,
        realtime_mode:
          mode === "private"
            ? `private ${topicName}, events from Parley's triggers`
            : `public topic fed by realtime.send from the bench (${why})`,
        realtime_clients: opts.realtimeClients,
        realtime_subscribed: subscribed,
        realtime_messages: opts.realtimeMessages,
        realtime_expected: expected,
        realtime_delivered: latencies.length,
      },
    };
  } finally {
    await Promise.all(
      receivers.map(async (r) => {
        await r.client.removeAllChannels().catch(() => undefined);
        r.client.realtime.disconnect();
      }),
    );
    await closeAll([db!]);
  }
}
