// send_vs_raw_insert: messages per second through the real send path (send_message as signed-in
// users: RLS, checks, seq bump, inbox fan-out, and whatever triggers Parley has, e.g. realtime rows)
// divided by plain inserts of the same rows into an identically shaped table without RLS or triggers.
// Same connections, same run; rounds rotate the phases (and their order) so noise hits all alike.
// A third phase, for the breakdown only, sends the same way with session_replication_role = replica:
// no triggers fire (no realtime rows, no foreign-key checks), so send − that = the triggers' share.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { notAvailable, type StageOutput } from "../report.ts";
import { asUser, closeAll, connect, lit } from "../sql.ts";
import { round } from "../stats.ts";
import type { StageContext } from "./context.ts";

const BODY = "Hello from the bench: a message about as long as a typical chat line.";

/** Runs `next(i)` on every connection in a loop until `ms` elapse; returns messages per second. */
async function phase(clients: pg.Client[], ms: number, next: (i: number) => string): Promise<{ count: number; seconds: number }> {
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      while (performance.now() < end) {
        await c.query(next(i));
        count++;
      }
    }),
  );
  return { count, seconds: (performance.now() - start) / 1000 };
}

export async function runSend(ctx: StageContext): Promise<StageOutput> {
  const { seeded, opts, admin } = ctx;
  const raw = `${seeded.schema}.raw_messages`;
  // Identically shaped: same columns, defaults, checks and indexes; no RLS, no triggers, no foreign keys.
  await admin.query(`create table ${raw} (like public.messages including all)`);
  const clients = await connect(ctx.target.dbUrl, opts.sendConnections);
  const rawSeq = clients.map(() => 0);
  const send = (i: number) =>
    asUser(seeded.users.senders[i]!, `select id from public.send_message(${lit(seeded.conversations.send[i]!)}, ${lit(BODY)}, 'text', null, null, null, ${lit(randomUUID())})`);
  const bare = (i: number) => send(i).replace(/^begin; /, "begin; set local session_replication_role = replica; ");
  const insert = (i: number) =>
    `insert into ${raw} (conversation_id, seq, sender_id, kind, body, metadata, client_id) values (${lit(seeded.conversations.send[i]!)}, ${++rawSeq[i]!}, ${lit(seeded.users.senders[i]!)}, 'text', ${lit(BODY)}, '{}', ${lit(randomUUID())})`;
  try {
    // Warm-up: plans, caches, connections.
    await phase(clients, Math.min(500, opts.sendPhaseMs), send);
    await phase(clients, Math.min(500, opts.sendPhaseMs), insert);
    await phase(clients, Math.min(500, opts.sendPhaseMs), bare);
    const kinds = ["send", "raw", "bare"] as const;
    const statement = { send, raw: insert, bare };
    const totals = { send: { count: 0, seconds: 0 }, raw: { count: 0, seconds: 0 }, bare: { count: 0, seconds: 0 } };
    const perRound: { send: number; raw: number }[] = [];
    for (let r = 0; r < opts.sendRounds; r++) {
      const order = kinds.map((_, k) => kinds[(k + r) % kinds.length]!);
      const rates = { send: 0, raw: 0, bare: 0 };
      for (const which of order) {
        const p = await phase(clients, opts.sendPhaseMs, statement[which]);
        totals[which].count += p.count;
        totals[which].seconds += p.seconds;
        rates[which] = p.count / p.seconds;
      }
      perRound.push(rates);
      ctx.say(`  round ${r + 1}/${opts.sendRounds}: send ${Math.round(rates.send)} msg/s, raw insert ${Math.round(rates.raw)} msg/s (send without triggers ${Math.round(rates.bare)} msg/s)`);
    }
    const sendRate = totals.send.count / totals.send.seconds;
    const rawRate = totals.raw.count / totals.raw.seconds;
    const bareRate = totals.bare.count / totals.bare.seconds;
    const ratio = sendRate / rawRate;
    if (opts.explain) await explainSend(ctx);
    return {
      metrics: [
        {
          key: "send_vs_raw_insert",
          value: rawRate > 0 ? round(ratio) : notAvailable("no raw inserts completed"),
          unit: "ratio",
          target: { op: ">=", value: 0.5 },
          detail: `send_message ${Math.round(sendRate)} msg/s / raw insert ${Math.round(rawRate)} msg/s (send without triggers ${Math.round(bareRate)} msg/s), ${opts.sendConnections} connections, ${opts.sendRounds} × ${opts.sendPhaseMs} ms rounds each`,
        },
      ],
      figures: {
        send_msgs_per_s: round(sendRate, 1),
        raw_insert_msgs_per_s: round(rawRate, 1),
        send_without_triggers_msgs_per_s: round(bareRate, 1),
        send_messages: totals.send.count,
        raw_insert_messages: totals.raw.count,
        send_connections: opts.sendConnections,
        send_rounds: opts.sendRounds,
        send_round_ratios: perRound.map((p) => round(p.send / p.raw)).join(" "),
      },
    };
  } finally {
    await closeAll(clients);
  }
}

/** Prints the plan of one send (inside a rolled-back transaction) for docs/performance.md. */
async function explainSend(ctx: StageContext): Promise<void> {
  const { admin, seeded } = ctx;
  const res = await admin.query(
    `begin; set local role authenticated; select set_config('request.jwt.claims', ${lit(JSON.stringify({ sub: seeded.users.senders[0], role: "authenticated" }))}, true);
     explain (analyze, buffers, verbose) select * from public.send_message(${lit(seeded.conversations.send[0]!)}, 'explain', 'text', null, null, null, ${lit(randomUUID())}); rollback;`,
  );
  const results = res as unknown as pg.QueryResult[];
  ctx.say(results[3]!.rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n"));
}
