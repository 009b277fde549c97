// send_with_push_vs_without: send_message throughput with push enqueueing on ÷ off. Each send connection
// gets `PER_CONNECTION` fresh group conversations with the members of its send-stage conversation (2
// people on even connections, 10 on odd ones, as the send stage), every member has an FCM device and no
// heartbeat, and each send goes to the next conversation: so every send with push on writes an outbox
// row naming every recipient (the worst case: nothing collapses, and no dispatcher has to run beside the
// senders to make that so). "Off" is the same rotation with the messages_enqueue_push trigger disabled.
// Phases alternate in the same rounds. Also: the lease of 50 jobs (service_role_claim_push_jobs, which
// first folds the outbox the rounds left).
//
// push_dispatch_per_second: notifications delivered per second by the real push-dispatch function (the
// stack's, over HTTP, as the Database Webhook calls it) to the recorded FCM endpoint
// (test/support/push-recorder.ts, started with the stack by bench/stack.ts): `DISPATCH_SENDS` messages
// to conversations not used yet, each notification a job of its own, drained from the outbox to the
// providers' answers on record.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { notAvailable, type Metric, type StageOutput } from "../report.ts";
import { asUser, closeAll, connect, lit } from "../sql.ts";
import { round } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { phase } from "./send.ts";

const BODY = "Hello from the bench: a message about as long as a typical chat line.";
/** Conversations per connection: more than the sends one connection makes in all "on" phases. */
const PER_CONNECTION = 2500;
/** Messages whose notifications the dispatcher drains while timed (≈ 4.5 notifications each). */
const DISPATCH_SENDS = 400;
/** Messages drained first, untimed: the function's first requests (FCM's OAuth token, connections). */
const DISPATCH_WARMUP_SENDS = 20;

export async function runPush(ctx: StageContext): Promise<StageOutput> {
  const { seeded, opts, admin } = ctx;
  const tag = `bench-push-${randomUUID().slice(0, 8)}`;
  const rotation: string[][] = [];
  for (const [i, source] of seeded.conversations.send.entries()) {
    const made = await admin.query<{ id: string }>(
      `with c as (
         insert into parley.conversations (kind, title, created_by)
         select 'group', ${lit(tag)} || ' ' || ${i} || ' ' || k, ${lit(seeded.users.senders[i]!)} from generate_series(1, ${PER_CONNECTION}) k
         returning id),
       m as (
         insert into parley.conversation_members (conversation_id, user_id, role)
         select c.id, s.user_id, case when s.user_id = ${lit(seeded.users.senders[i]!)} then 'owner' else 'member' end
           from c cross join parley.conversation_members s where s.conversation_id = ${lit(source)})
       select id from c`,
    );
    rotation.push(made.rows.map((r) => r.id));
  }
  await admin.query(
    `insert into parley.push_devices (user_id, provider, token, platform)
     select distinct m.user_id, 'fcm', 'bench-' || m.user_id, 'android'
       from parley.conversation_members m where m.conversation_id = any (${lit(`{${seeded.conversations.send.join(",")}}`)}::uuid[])
     on conflict do nothing`,
  );
  await admin.query(`analyze parley.conversations, parley.conversation_members`);
  const toggle = (on: boolean) =>
    admin.query(`alter table parley.messages ${on ? "enable" : "disable"} trigger messages_enqueue_push`);
  const senders = await connect(ctx.target.dbUrl, opts.sendConnections);
  const next = rotation.map(() => 0);
  const send = (i: number) => {
    const k = next[i] ?? 0;
    next[i] = k + 1;
    const conversation = rotation[i]![k % PER_CONNECTION]!;
    return asUser(
      seeded.users.senders[i]!,
      `select id from parley.send_message(${lit(conversation)}, ${lit(BODY)}, 'text', null, null, null, ${lit(randomUUID())})`,
    );
  };
  const ours = `(select id from parley.conversations where title like ${lit(`${tag} %`)})`;
  const outbox = async () => {
    const { rows } = await admin.query<{ rows: string; recipients: string }>(
      `select count(*) as rows, coalesce(sum(cardinality(recipients)), 0) as recipients
         from parley_internal.push_outbox where conversation_id in ${ours}`,
    );
    return { rows: Number(rows[0]!.rows), recipients: Number(rows[0]!.recipients) };
  };
  const totals = { on: { count: 0, seconds: 0 }, off: { count: 0, seconds: 0 } };
  let before = { rows: 0, recipients: 0 };
  let after = { rows: 0, recipients: 0 };
  let claimMs = 0;
  let dispatch: Metric;
  const dispatchFigures: Record<string, number> = {};
  try {
    for (const on of [true, false]) (await toggle(on), await phase(senders, Math.min(500, opts.sendPhaseMs), send)); // warm-up
    before = await outbox();
    for (let r = 0; r < opts.sendRounds; r++) {
      const rates: Record<"on" | "off", number> = { on: 0, off: 0 };
      for (const which of r % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
        await toggle(which === "on");
        const p = await phase(senders, opts.sendPhaseMs, send);
        totals[which].count += p.count;
        totals[which].seconds += p.seconds;
        rates[which] = p.count / p.seconds;
      }
      ctx.say(
        `  round ${r + 1}/${opts.sendRounds}: send with push enqueueing ${Math.round(rates.on)} msg/s, without ${Math.round(rates.off)}`,
      );
    }
    after = await outbox();
    await toggle(true);
    const t = performance.now();
    await admin.query(`select parley.service_role_claim_push_jobs(50, 60)`);
    claimMs = performance.now() - t;
    dispatch = await measureDispatch(ctx, ours, send, senders, dispatchFigures);
  } finally {
    await toggle(true);
    await closeAll(senders);
    await forget(admin, ours);
    await admin.query(`delete from parley.conversations where title like ${lit(`${tag} %`)}`);
    await admin.query(`delete from parley.push_devices where token like 'bench-%'`);
  }
  const rate = (k: "on" | "off") => totals[k].count / totals[k].seconds;
  const perSend = totals.on.count > 0 ? round((after.recipients - before.recipients) / totals.on.count, 2) : 0;
  const rowsPerSend = totals.on.count > 0 ? round((after.rows - before.rows) / totals.on.count, 2) : 0;
  return {
    metrics: [
      {
        key: "send_with_push_vs_without",
        value: round(rate("on") / rate("off")),
        unit: "ratio",
        target: { op: ">=", value: 0.9 },
        detail: `send_message ${Math.round(rate("on"))} msg/s writing ${rowsPerSend} outbox row per send for ${perSend} recipients (every recipient offline with a device, nothing collapsing) vs ${Math.round(rate("off"))} msg/s with the trigger off; ${opts.sendConnections} connections, ${opts.sendRounds} × 2 × ${opts.sendPhaseMs} ms; lease of 50 jobs after folding the outbox ${round(claimMs, 1)} ms`,
      },
      dispatch,
    ],
    figures: {
      send_with_push_msgs_per_s: round(rate("on"), 1),
      send_without_push_msgs_per_s: round(rate("off"), 1),
      push_outbox_rows_per_send: rowsPerSend,
      push_recipients_per_send: perSend,
      push_claim_50_ms: round(claimMs, 1),
      ...dispatchFigures,
    },
  };
}

/** Deletes the stage's outbox rows and notifications (their deliveries go with them). */
async function forget(admin: pg.Client, ours: string): Promise<void> {
  await admin.query(`delete from parley_internal.push_outbox where conversation_id in ${ours}`);
  await admin.query(`delete from parley_internal.push_jobs where conversation_id in ${ours}`);
}

/**
 * push_dispatch_per_second: the stage's notifications so far forgotten, `DISPATCH_SENDS` messages sent
 * (the trigger on), then push-dispatch called over HTTP until nothing of ours is waiting or in flight;
 * delivered = the deliveries the providers accepted.
 */
async function measureDispatch(
  ctx: StageContext,
  ours: string,
  send: (connection: number) => string,
  senders: pg.Client[],
  figures: Record<string, number>,
): Promise<Metric> {
  const key = "push_dispatch_per_second";
  const unit = "per_second" as const;
  const secret = ctx.target.pushDispatchSecret;
  if (!secret)
    return {
      key,
      value: notAvailable("an adopted stack's push-dispatch would reach its real providers"),
      unit,
      detail: "",
    };
  const { admin } = ctx;
  const url = `${ctx.target.apiUrl}/functions/v1/push-dispatch`;
  const call = async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
      body: JSON.stringify({ reason: "bench" }),
    });
    if (res.status !== 200) throw new Error(`push-dispatch answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { jobs: number; sent: number; retried: number; invalid: number; failed: number };
  };
  const waiting = async () =>
    Number(
      (
        await admin.query(
          `select (select count(*) from parley_internal.push_outbox where conversation_id in ${ours})
                + (select count(*) from parley_internal.push_jobs where conversation_id in ${ours}
                    and status in ('pending', 'sending', 'retrying')) as n`,
        )
      ).rows[0].n,
    );
  const sent = async () =>
    Number(
      (
        await admin.query(
          `select count(*) as n from parley_internal.push_deliveries d join parley_internal.push_jobs j on j.id = d.job_id
            where j.conversation_id in ${ours} and d.status = 'sent'`,
        )
      ).rows[0].n,
    );
  /** `count` sends, spread over the connections, each to a conversation of its own. */
  const enqueue = async (count: number) => {
    await Promise.all(
      senders.map(async (c, i) => {
        for (let n = i; n < count; n += senders.length) await c.query(send(i));
      }),
    );
  };
  const drain = async () => {
    let calls = 0;
    const result = { jobs: 0, sent: 0, retried: 0, invalid: 0, failed: 0 };
    for (let idle = 0; (await waiting()) > 0 && idle < 3;) {
      const r = await call();
      calls++;
      for (const k of Object.keys(result) as Array<keyof typeof result>) result[k] += r[k];
      idle = r.jobs === 0 ? idle + 1 : 0;
    }
    return { calls, ...result };
  };
  await forget(admin, ours);
  await enqueue(DISPATCH_WARMUP_SENDS);
  await drain();
  const sentBefore = await sent();
  await enqueue(DISPATCH_SENDS);
  const notifications = Number(
    (
      await admin.query(
        `select coalesce(sum(cardinality(recipients)), 0) as n from parley_internal.push_outbox where conversation_id in ${ours}`,
      )
    ).rows[0].n,
  );
  // What the database's side of the drain costs, in transactions rolled back (nothing is consumed):
  // the fold of the whole workload, and a claim (that fold, then the lease of 50 with their payloads).
  const rolledBack = async (sql: string) => {
    const t0 = performance.now();
    await admin.query(`begin; ${sql}; rollback`);
    return performance.now() - t0;
  };
  figures.push_dispatch_fold_ms = round(await rolledBack(`select parley_internal.fold_push_outbox(200, 5)`), 1);
  figures.push_dispatch_claim_50_ms = round(await rolledBack(`select parley.service_role_claim_push_jobs(50, 60)`), 1);
  const t = performance.now();
  const r = await drain();
  const seconds = (performance.now() - t) / 1000;
  const delivered = (await sent()) - sentBefore;
  const left = await waiting();
  const perSecond = round(delivered / seconds, 1);
  figures.push_dispatch_notifications = delivered;
  figures.push_dispatch_seconds = round(seconds, 2);
  figures.push_dispatch_calls = r.calls;
  ctx.say(
    `  push-dispatch: ${delivered} of ${notifications} notifications delivered in ${round(seconds, 2)} s (${r.calls} calls; retried ${r.retried}, failed ${r.failed}, ${left} left)`,
  );
  return {
    key,
    value: perSecond,
    unit,
    detail: `the stack's push-dispatch over HTTP, ${r.calls} call(s), draining ${DISPATCH_SENDS} messages' ${notifications} notifications (one FCM device each, no collapsing) to the recorded FCM endpoint in ${round(seconds, 2)} s: leases of 50 with payloads, 8 sends at once, one report per job; fold of the ${DISPATCH_SENDS} outbox rows ${figures.push_dispatch_fold_ms} ms, first claim ${figures.push_dispatch_claim_50_ms} ms`,
  };
}
