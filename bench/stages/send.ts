// send_vs_raw_insert: messages per second through the real send path (send_message as signed-in
// users: RLS, checks, seq bump, inbox fan-out, and whatever triggers Parley has, e.g. realtime rows)
// divided by plain inserts of the same rows into an identically shaped table without RLS or triggers.
// Same connections, same run; rounds alternate the two phases (and their order) so noise hits both.
// (A "send without triggers" phase via session_replication_role = replica is not measured: changing
// that setting resets every cached plan of the session, so it would measure re-planning, not sends.)
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
  const insert = (i: number) =>
    `insert into ${raw} (conversation_id, seq, sender_id, kind, body, metadata, client_id) values (${lit(seeded.conversations.send[i]!)}, ${++rawSeq[i]!}, ${lit(seeded.users.senders[i]!)}, 'text', ${lit(BODY)}, '{}', ${lit(randomUUID())})`;
  try {
    // Warm-up: plans, caches, connections.
    await phase(clients, Math.min(500, opts.sendPhaseMs), send);
    await phase(clients, Math.min(500, opts.sendPhaseMs), insert);
    const kinds = ["send", "raw"] as const;
    const statement = { send, raw: insert };
    const totals = { send: { count: 0, seconds: 0 }, raw: { count: 0, seconds: 0 } };
    const perRound: { send: number; raw: number }[] = [];
    for (let r = 0; r < opts.sendRounds; r++) {
      const order = kinds.map((_, k) => kinds[(k + r) % kinds.length]!);
      const rates = { send: 0, raw: 0 };
      for (const which of order) {
        const p = await phase(clients, opts.sendPhaseMs, statement[which]);
        totals[which].count += p.count;
        totals[which].seconds += p.seconds;
        rates[which] = p.count / p.seconds;
      }
      perRound.push(rates);
      ctx.say(`  round ${r + 1}/${opts.sendRounds}: send ${Math.round(rates.send)} msg/s, raw insert ${Math.round(rates.raw)} msg/s`);
    }
    const sendRate = totals.send.count / totals.send.seconds;
    const rawRate = totals.raw.count / totals.raw.seconds;
    const ratio = sendRate / rawRate;
    if (opts.explain) await explainSend(ctx);
    return {
      metrics: [
        {
          key: "send_vs_raw_insert",
          value: rawRate > 0 ? round(ratio) : notAvailable("no raw inserts completed"),
          unit: "ratio",
          target: { op: ">=", value: 0.5 },
          detail: `send_message ${Math.round(sendRate)} msg/s / raw insert ${Math.round(rawRate)} msg/s, ${opts.sendConnections} connections, ${opts.sendRounds} × ${opts.sendPhaseMs} ms rounds each`,
        },
      ],
      figures: {
        send_msgs_per_s: round(sendRate, 1),
        raw_insert_msgs_per_s: round(rawRate, 1),
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

/**
 * Prints, for docs/performance.md, the plan of every statement one send runs — the RPC's own
 * statements and its triggers' — with auto_explain (analyze, buffers) reporting them as notices,
 * inside a rolled-back transaction. A plain `explain` of the RPC shows only a Function Scan.
 */
async function explainSend(ctx: StageContext): Promise<void> {
  const { seeded } = ctx;
  const [c] = await connect(ctx.target.dbUrl, 1);
  const notices: string[] = [];
  c!.on("notice", (n) => notices.push(n.message ?? ""));
  try {
    await c!.query(`load 'auto_explain'`);
    await c!.query(
      `set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; set auto_explain.log_analyze = on;
       set auto_explain.log_buffers = on; set auto_explain.log_level = notice; set client_min_messages = notice`,
    );
    const statement = `select id from public.send_message(${lit(seeded.conversations.send[1] ?? seeded.conversations.send[0]!)}, 'explain', 'text', null, null, null, ${lit(randomUUID())})`;
    await c!.query(asUser(seeded.users.senders[1] ?? seeded.users.senders[0]!, statement).replace(/commit;$/, "rollback;"));
    ctx.say(`\n-- every statement of one send (auto_explain, analyze, buffers)\n${notices.join("\n\n")}\n`);
  } catch (e) {
    ctx.say(`  (no per-statement plans: auto_explain is not available here: ${e instanceof Error ? e.message : String(e)})`);
  } finally {
    await closeAll([c!]);
  }
}
