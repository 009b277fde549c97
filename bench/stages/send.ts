// send_vs_raw_insert: messages per second through the real send path (send_message as signed-in
// users: RLS, checks, seq bump, inbox fan-out, and whatever triggers Parley has, e.g. realtime rows)
// divided by plain inserts of the same rows into an identically shaped table without RLS or triggers.
// Same connections, same run; rounds rotate the phases (and their order) so noise hits all of them.
// Two more phases say where the gap comes from (figures beside the ratio, no target): the same plain
// insert made as the signed-in user through the PostgREST-shaped transaction (what any authenticated
// write pays before doing anything), and that insert behind the per-conversation seq lock and bump
// that ordering needs (an invoker function; what any ordered append pays before fan-out).
// send_vs_required_writes (and _direct, _group10): send_message ÷ exactly the writes DESIGN.md requires of
// that send done with plain SQL in one statement into the same tables, through the same wrapper
// (send-baselines.ts says why in its superuser form); per conversation shape (even connections direct,
// odd ones a 10-member group).
// send_vs_supabase_pattern: send_message ÷ the chat-room pattern Supabase's docs teach (an RLS
// membership policy and an AFTER INSERT trigger calling realtime.broadcast_changes), direct conversations.
// send_vs_raw_insert is information only (no target): a send writes far more rows than one insert.
// rate_limit_overhead: the same send_message with the senders' send_message limit on (a bucket so large it
// never refuses, so every send pays the rule lookup and the bucket row's locked upsert) and off (exempt),
// phases alternating in the same rounds; the figure is how much slower a send is with the limit on.
// (A "send without triggers" phase via session_replication_role = replica is not measured: changing
// that setting resets every cached plan of the session, so it would measure re-planning, not sends.)
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { notAvailable, type StageOutput } from "../report.ts";
import { asSuperuser, asUser, closeAll, connect, lit } from "../sql.ts";
import { round } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { explainFunction } from "./latency.ts";
import { createBaselines, patternInsert, requiredWrites } from "./send-baselines.ts";
import { replicationCaughtUp } from "../stack.ts";
import { backendPids, cpuMs } from "../backend-cpu.ts";

const BODY = "Hello from the bench: a message about as long as a typical chat line.";

/** Even connections write to a direct conversation, odd ones to a 10-member group (bench/seed.ts). */
type Shape = "direct" | "group";
const shapeOf = (connection: number): Shape => (connection % 2 === 0 ? "direct" : "group");

/**
 * Runs `next(i)` on every connection in a loop until `ms` elapse; returns the count, per connection too,
 * and, given the connections' backend pids, the CPU those backends spent (backend-cpu.ts).
 */
export async function phase(
  clients: pg.Client[],
  ms: number,
  next: (i: number) => string,
  pids: readonly number[] = [],
): Promise<{ count: number; perConnection: number[]; seconds: number; cpuMsPerConnection: (number | undefined)[] }> {
  const cpuBefore = pids.map(cpuMs);
  const start = performance.now();
  const end = start + ms;
  const perConnection = clients.map(() => 0);
  await Promise.all(
    clients.map(async (c, i) => {
      while (performance.now() < end) {
        await c.query(next(i));
        perConnection[i]!++;
      }
    }),
  );
  const cpuAfter = pids.map(cpuMs);
  return {
    count: perConnection.reduce((a, b) => a + b, 0),
    perConnection,
    seconds: (performance.now() - start) / 1000,
    cpuMsPerConnection: cpuAfter.map((after, i) =>
      after !== undefined && cpuBefore[i] !== undefined ? after - cpuBefore[i]! : undefined,
    ),
  };
}

export async function runSend(ctx: StageContext): Promise<StageOutput> {
  const { seeded, opts, admin } = ctx;
  const s = seeded.schema;
  await createBaselines(admin, s, seeded.conversations.send);
  const clients = await connect(ctx.target.dbUrl, opts.sendConnections);
  const pids = await backendPids(clients);
  const seqs = { raw: clients.map(() => 0), user: clients.map(() => 0) };
  const conversation = (i: number) => lit(seeded.conversations.send[i]!);
  const sender = (i: number) => seeded.users.senders[i]!;
  const plainInsert = (table: string, i: number, seq: number) =>
    `insert into ${table} (conversation_id, seq, sender_id, kind, body, metadata, client_id) values (${conversation(i)}, ${seq}, ${lit(sender(i))}, 'text', ${lit(BODY)}, '{}', ${lit(randomUUID())})`;
  const send = (i: number) =>
    asUser(
      sender(i),
      `select id from parley.send_message(${conversation(i)}, ${lit(BODY)}, 'text', null, null, null, ${lit(randomUUID())})`,
    );
  const statement = {
    send,
    // The same send; the phase differs only in the senders' limit (see limits below).
    unlimited: send,
    raw: (i: number) => plainInsert(`${s}.raw_messages`, i, ++seqs.raw[i]!),
    user: (i: number) => asUser(sender(i), plainInsert(`${s}.user_messages`, i, ++seqs.user[i]!)),
    ordered: (i: number) =>
      asUser(sender(i), `select ${s}.ordered_insert(${conversation(i)}, ${lit(BODY)}, ${lit(randomUUID())})`),
    required: (i: number) =>
      asSuperuser(sender(i), requiredWrites(s, seeded.conversations.send[i]!, sender(i), BODY, randomUUID())),
    pattern: (i: number) => asUser(sender(i), patternInsert(s, seeded.conversations.send[i]!, BODY)),
  };
  const kinds = ["send", "raw", "user", "ordered", "unlimited", "required", "pattern"] as const;
  type Kind = (typeof kinds)[number];
  // The senders' send_message limit: on (a bucket that never runs dry) for "send", off (exempt) for "unlimited".
  const senders = lit(`{${seeded.users.senders.join(",")}}`);
  const limits = async (on: boolean) =>
    admin.query(
      `update parley.rate_limit_overrides set exempt = ${!on}, burst = 1000000000, per_minute = 1000000000
        where bucket = 'send_message' and user_id = any (${senders}::uuid[])`,
    );
  // Each phase starts once Realtime has decoded the rows written so far, so that no phase shares the
  // machine with decoding the previous phase's 2–10 realtime rows per message (which phase follows which
  // rotates). A phase still pays for decoding its own rows, as each writes the realtime rows it would in
  // production. This did not narrow the round-to-round spread (docs/performance.md § How far one run
  // can be trusted), but it removes one cause of it.
  let settledMs = 0;
  const run = async (k: Kind, ms: number) => {
    if (k === "send" || k === "unlimited") await limits(k === "send");
    const settling = performance.now();
    await replicationCaughtUp(admin, ctx.say, 60_000, 20);
    settledMs += performance.now() - settling;
    return phase(clients, ms, statement[k], pids);
  };
  try {
    // Warm-up: plans, caches, connections.
    for (const k of kinds) await run(k, Math.min(500, opts.sendPhaseMs));
    const totals = Object.fromEntries(kinds.map((k) => [k, { count: 0, seconds: 0 }])) as Record<
      Kind,
      { count: number; seconds: number }
    >;
    const perRound: Record<Kind, number>[] = [];
    const cpuPerRound: number[] = [];
    // Counts by conversation shape (shapeOf), so the fan-out's cost per member shows beside the total.
    const by = Object.fromEntries(kinds.map((k) => [k, { direct: 0, group: 0 }])) as Record<
      Kind,
      { direct: number; group: number }
    >;
    // Backend CPU by conversation shape (backend-cpu.ts): what each kind costs the database per message.
    // `ms` is undefined once a reading failed (the database is not on this machine).
    type CpuTally = { ms: number | undefined; messages: number };
    const emptyTally = (): Record<Shape, CpuTally> => ({
      direct: { ms: 0, messages: 0 },
      group: { ms: 0, messages: 0 },
    });
    const tally = (into: Record<Shape, CpuTally>, p: Awaited<ReturnType<typeof phase>>) =>
      p.cpuMsPerConnection.forEach((ms, i) => {
        const t = into[shapeOf(i)];
        t.ms = t.ms === undefined || ms === undefined ? undefined : t.ms + ms;
        t.messages += p.perConnection[i]!;
      });
    const perMessage = (t: CpuTally) => (t.ms !== undefined && t.messages > 0 ? t.ms / t.messages : undefined);
    const tallies = () =>
      Object.fromEntries(kinds.map((k) => [k, emptyTally()])) as Record<Kind, Record<Shape, CpuTally>>;
    const cpu = tallies();
    for (let r = 0; r < opts.sendRounds; r++) {
      const order = kinds.map((_, k) => kinds[(k + r) % kinds.length]!);
      const rates = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<Kind, number>;
      const roundCpu = tallies();
      for (const which of order) {
        const p = await run(which, opts.sendPhaseMs);
        totals[which].count += p.count;
        totals[which].seconds += p.seconds;
        rates[which] = p.count / p.seconds;
        p.perConnection.forEach((n, i) => (by[which][shapeOf(i)] += n));
        tally(cpu[which], p);
        tally(roundCpu[which], p);
      }
      perRound.push(rates);
      const [send, required] = [perMessage(roundCpu.send.direct), perMessage(roundCpu.required.direct)];
      if (send !== undefined && required !== undefined) cpuPerRound.push(round(required / send));
      ctx.say(
        `  round ${r + 1}/${opts.sendRounds}: send ${Math.round(rates.send)} msg/s, required writes ${Math.round(rates.required)}, ` +
          `Supabase pattern ${Math.round(rates.pattern)}, raw insert ${Math.round(rates.raw)}, insert as the user ${Math.round(rates.user)}, ` +
          `ordered insert as the user ${Math.round(rates.ordered)}, send with no rate limit ${Math.round(rates.unlimited)}`,
      );
    }
    const rate = (k: Kind) => totals[k].count / totals[k].seconds;
    // Send ÷ a baseline, over the connections of one shape (the phases last equally long, so counts compare).
    const shapeRatio = (k: Kind, shape: Shape) =>
      by[k][shape] > 0 && by.send[shape] > 0
        ? round(by.send[shape] / totals.send.seconds / (by[k][shape] / totals[k].seconds))
        : notAvailable(`no ${shape} connection (--send-connections ${opts.sendConnections})`);
    /** Backend CPU per message of kind a ÷ kind b, for one shape (the CPU form of shapeRatio). */
    const cpuQuotient = (a: Kind, b: Kind, shape: Shape) => {
      const [x, y] = [perMessage(cpu[a][shape]), perMessage(cpu[b][shape])];
      return x !== undefined && y !== undefined
        ? x / y
        : notAvailable("backend CPU is readable only when the database runs on this machine");
    };
    const rounded = (q: number | string) => (typeof q === "number" ? round(q) : q);
    const percentOver = (q: number | string) => (typeof q === "number" ? round((q - 1) * 100, 1) : q);
    const cpuFigure = (k: Kind, shape: Shape) => {
      const ms = perMessage(cpu[k][shape]);
      return ms !== undefined ? round(ms, 3) : notAvailable("backend CPU not readable");
    };
    const sentBy = by.send;
    const rawRate = rate("raw");
    const vsRaw = (k: Kind) => round(rate(k) / rawRate);
    const perConnection = (sent: number, connections: number) =>
      connections > 0
        ? round(sent / connections / totals.send.seconds, 1)
        : notAvailable("no connection of this kind (--send-connections 1)");
    if (opts.explain) await explainSend(ctx);
    return {
      metrics: [
        {
          key: "send_vs_required_writes",
          value:
            rate("required") > 0
              ? round(rate("send") / rate("required"))
              : notAvailable("no required-writes transactions completed"),
          unit: "ratio",
          target: { op: ">=", value: 0.8 },
          detail: `send_message ${Math.round(rate("send"))} msg/s / the required writes in plain SQL into the same tables ${Math.round(rate("required"))} msg/s, same connections and rounds`,
        },
        {
          key: "send_vs_required_writes_direct",
          value: shapeRatio("required", "direct"),
          unit: "ratio",
          target: { op: ">=", value: 0.8 },
          detail: `direct conversations: send_message ${by.send.direct} / required writes ${by.required.direct} messages`,
        },
        {
          key: "send_vs_required_writes_group10",
          value: shapeRatio("required", "group"),
          unit: "ratio",
          target: { op: ">=", value: 0.8 },
          detail: `10-member groups: send_message ${by.send.group} / required writes ${by.required.group} messages`,
        },
        {
          key: "send_vs_supabase_pattern",
          value: shapeRatio("pattern", "direct"),
          unit: "ratio",
          target: { op: ">=", value: 0.5 },
          detail: `direct conversations: send_message ${by.send.direct} / insert under an RLS membership policy + broadcast_changes trigger ${by.pattern.direct} messages; 10-member groups ${shapeRatio("pattern", "group")}`,
        },
        {
          key: "send_vs_raw_insert",
          value: rawRate > 0 ? vsRaw("send") : notAvailable("no raw inserts completed"),
          unit: "ratio",
          detail:
            `send_message ${Math.round(rate("send"))} msg/s / raw insert ${Math.round(rawRate)} msg/s, ${opts.sendConnections} connections, ` +
            `${opts.sendRounds} × ${opts.sendPhaseMs} ms rounds each; floors: insert as the user ${vsRaw("user")}, ordered insert as the user ${vsRaw("ordered")}`,
        },
        {
          key: "rate_limit_overhead",
          value:
            rate("send") > 0 && rate("unlimited") > 0
              ? round((rate("unlimited") / rate("send") - 1) * 100, 1)
              : notAvailable("no sends completed"),
          unit: "percent",
          target: { op: "<=", value: 5 },
          detail: `send_message with the send_message limit on ${Math.round(rate("send"))} msg/s vs off (exempt) ${Math.round(rate("unlimited"))} msg/s, same rounds`,
        },
      ],
      figures: {
        send_msgs_per_s: round(rate("send"), 1),
        raw_insert_msgs_per_s: round(rawRate, 1),
        send_messages: totals.send.count,
        raw_insert_messages: totals.raw.count,
        insert_as_user_msgs_per_s: round(rate("user"), 1),
        insert_as_user_vs_raw_insert: vsRaw("user"),
        ordered_insert_as_user_msgs_per_s: round(rate("ordered"), 1),
        ordered_insert_as_user_vs_raw_insert: vsRaw("ordered"),
        send_direct_msgs_per_s_per_connection: perConnection(sentBy.direct, Math.ceil(opts.sendConnections / 2)),
        send_group_msgs_per_s_per_connection: perConnection(sentBy.group, Math.floor(opts.sendConnections / 2)),
        send_connections: opts.sendConnections,
        send_rounds: opts.sendRounds,
        send_round_ratios: perRound.map((p) => round(p.send / p.raw)).join(" "),
        send_unlimited_msgs_per_s: round(rate("unlimited"), 1),
        required_writes_msgs_per_s: round(rate("required"), 1),
        supabase_pattern_msgs_per_s: round(rate("pattern"), 1),
        send_vs_supabase_pattern_group10: shapeRatio("pattern", "group"),
        // The floor of send_vs_supabase_pattern: the required writes alone against the pattern.
        required_writes_vs_supabase_pattern_direct:
          by.required.direct > 0 && by.pattern.direct > 0
            ? round(by.required.direct / totals.required.seconds / (by.pattern.direct / totals.pattern.seconds))
            : notAvailable("no direct connection"),
        send_vs_required_writes_per_round: perRound.map((p) => round(p.send / p.required)).join(" "),
        rate_limit_overhead_per_round: perRound.map((p) => round((p.unlimited / p.send - 1) * 100, 1)).join(" "),
        send_settle_before_phases_s: round(settledMs / 1000, 1),
        // The same comparisons in backend CPU per message (backend-cpu.ts), where the database runs here.
        send_vs_required_writes_direct_cpu: rounded(cpuQuotient("required", "send", "direct")),
        send_vs_required_writes_group10_cpu: rounded(cpuQuotient("required", "send", "group")),
        send_vs_required_writes_direct_cpu_per_round: cpuPerRound.join(" "),
        send_vs_supabase_pattern_cpu: rounded(cpuQuotient("pattern", "send", "direct")),
        required_writes_vs_supabase_pattern_direct_cpu: rounded(cpuQuotient("pattern", "required", "direct")),
        rate_limit_overhead_direct_cpu: percentOver(cpuQuotient("send", "unlimited", "direct")),
        ...Object.fromEntries(
          kinds.flatMap((k) => [
            [`${k}_backend_cpu_ms_per_msg_direct`, cpuFigure(k, "direct")],
            [`${k}_backend_cpu_ms_per_msg_group10`, cpuFigure(k, "group")],
          ]),
        ),
      },
    };
  } finally {
    await closeAll(clients);
  }
}

/**
 * Prints, for docs/performance.md, the plan of every statement one send runs — the RPC's own
 * statements and its triggers' — inside a rolled-back transaction (explainFunction).
 */
async function explainSend(ctx: StageContext): Promise<void> {
  const { seeded } = ctx;
  const [c] = await connect(ctx.target.dbUrl, 1);
  try {
    const statement = `select id from parley.send_message(${lit(seeded.conversations.send[1] ?? seeded.conversations.send[0]!)}, 'explain', 'text', null, null, null, ${lit(randomUUID())})`;
    await explainFunction(
      ctx,
      c!,
      "every statement of one send",
      asUser(seeded.users.senders[1] ?? seeded.users.senders[0]!, statement),
    );
  } finally {
    await closeAll([c!]);
  }
}
