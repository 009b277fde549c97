// send_with_push_vs_without: send_message throughput with push enqueueing on ÷ off. Every member of the
// send stage's conversations (a direct one and a 10-member group per pair of connections) has an FCM
// device and no heartbeat, so every send writes an outbox job for each recipient; "off" is the same send
// with the messages_enqueue_push trigger disabled. A drainer marks pending jobs sent every 10 ms during
// both phases, as push-dispatch would, so sends keep inserting fresh jobs instead of only collapsing into
// one pending row (collapsing alone would flatter the figure). Phases alternate in the same rounds.
// Also: the outbox rows written per send, and the dispatcher's lease cost (claim of 50 jobs) in ms.
import { randomUUID } from "node:crypto";
import type { StageOutput } from "../report.ts";
import { asUser, closeAll, connect, lit } from "../sql.ts";
import { round } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { phase } from "./send.ts";

const BODY = "Hello from the bench: a message about as long as a typical chat line.";

export async function runPush(ctx: StageContext): Promise<StageOutput> {
  const { seeded, opts, admin } = ctx;
  const conversations = seeded.conversations.send;
  const convs = lit(`{${conversations.join(",")}}`);
  await admin.query(
    `insert into parley.push_devices (user_id, provider, token, platform)
     select distinct m.user_id, 'fcm', 'bench-' || m.user_id, 'android'
       from parley.conversation_members m where m.conversation_id = any (${convs}::uuid[])
     on conflict do nothing`,
  );
  const toggle = (on: boolean) => admin.query(`alter table parley.messages ${on ? "enable" : "disable"} trigger messages_enqueue_push`);
  const senders = await connect(ctx.target.dbUrl, opts.sendConnections);
  const [drainer] = await connect(ctx.target.dbUrl, 1);
  const send = (i: number) =>
    asUser(seeded.users.senders[i]!, `select id from parley.send_message(${lit(conversations[i]!)}, ${lit(BODY)}, 'text', null, null, null, ${lit(randomUUID())})`);
  let draining = true;
  const drain = (async () => {
    while (draining) {
      await drainer!.query(`update parley_internal.push_jobs set status = 'sent', finished_at = now() where status = 'pending' and conversation_id = any (${convs}::uuid[])`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const totals = { on: { count: 0, seconds: 0 }, off: { count: 0, seconds: 0 } };
  let jobsBefore = 0;
  let jobsAfter = 0;
  let claimMs = 0;
  try {
    for (const on of [true, false]) (await toggle(on), await phase(senders, Math.min(500, opts.sendPhaseMs), send)); // warm-up
    jobsBefore = Number((await admin.query(`select count(*) as n from parley_internal.push_jobs where conversation_id = any (${convs}::uuid[])`)).rows[0].n);
    for (let r = 0; r < opts.sendRounds; r++) {
      const rates: Record<"on" | "off", number> = { on: 0, off: 0 };
      for (const which of r % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
        await toggle(which === "on");
        const p = await phase(senders, opts.sendPhaseMs, send);
        totals[which].count += p.count;
        totals[which].seconds += p.seconds;
        rates[which] = p.count / p.seconds;
      }
      ctx.say(`  round ${r + 1}/${opts.sendRounds}: send with push enqueueing ${Math.round(rates.on)} msg/s, without ${Math.round(rates.off)}`);
    }
    jobsAfter = Number((await admin.query(`select count(*) as n from parley_internal.push_jobs where conversation_id = any (${convs}::uuid[])`)).rows[0].n);
    // The dispatcher's side: lease a batch of 50 (fresh pending jobs), as service_role would.
    await admin.query(`update parley_internal.push_jobs set status = 'pending', due_at = now() where id in (select id from parley_internal.push_jobs where conversation_id = any (${convs}::uuid[]) and status = 'sent' limit 50)`);
    draining = false;
    await drain;
    const t = performance.now();
    await admin.query(`select parley.service_role_claim_push_jobs(50, 60)`);
    claimMs = performance.now() - t;
  } finally {
    draining = false;
    await drain.catch(() => undefined);
    await toggle(true);
    await closeAll([...senders, drainer!]);
    await admin.query(`delete from parley_internal.push_jobs where conversation_id = any (${convs}::uuid[])`);
    await admin.query(`delete from parley.push_devices where token like 'bench-%'`);
  }
  const rate = (k: "on" | "off") => totals[k].count / totals[k].seconds;
  const perSend = totals.on.count > 0 ? round((jobsAfter - jobsBefore) / totals.on.count, 2) : 0;
  return {
    metrics: [
      {
        key: "send_with_push_vs_without",
        value: round(rate("on") / rate("off")),
        unit: "ratio",
        target: { op: ">=", value: 0.9 },
        detail: `send_message ${Math.round(rate("on"))} msg/s enqueueing push jobs for offline members with devices (${perSend} new jobs per send, the rest collapsed) vs ${Math.round(rate("off"))} msg/s with the trigger off; ${opts.sendConnections} connections, ${opts.sendRounds} × 2 × ${opts.sendPhaseMs} ms; lease of 50 jobs ${round(claimMs, 1)} ms`,
      },
    ],
    figures: {
      send_with_push_msgs_per_s: round(rate("on"), 1),
      send_without_push_msgs_per_s: round(rate("off"), 1),
      push_jobs_per_send: perSend,
      push_claim_50_ms: round(claimMs, 1),
    },
  };
}
