// send_with_push_vs_without: send_message throughput with push enqueueing on ÷ off. Each send connection
// gets `PER_CONNECTION` fresh group conversations with the members of its send-stage conversation (2
// people on even connections, 10 on odd ones, as the send stage), every member has an FCM device and no
// heartbeat, and each send goes to the next conversation: so every send with push on inserts a new
// outbox job for each recipient (the worst case: nothing collapses, and no dispatcher has to run beside
// the senders to make that so). "Off" is the same rotation with the messages_enqueue_push trigger
// disabled. Phases alternate in the same rounds. Also: the lease of 50 jobs (service_role_claim_push_jobs).
import { randomUUID } from "node:crypto";
import type { StageOutput } from "../report.ts";
import { asUser, closeAll, connect, lit } from "../sql.ts";
import { round } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { phase } from "./send.ts";

const BODY = "Hello from the bench: a message about as long as a typical chat line.";
/** Conversations per connection: more than the sends one connection makes in all "on" phases. */
const PER_CONNECTION = 2500;

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
  const jobs = async () =>
    Number(
      (
        await admin.query(
          `select count(*) as n from parley_internal.push_jobs where conversation_id in (select id from parley.conversations where title like ${lit(`${tag} %`)})`,
        )
      ).rows[0].n,
    );
  const totals = { on: { count: 0, seconds: 0 }, off: { count: 0, seconds: 0 } };
  let jobsBefore = 0;
  let jobsAfter = 0;
  let claimMs = 0;
  try {
    for (const on of [true, false]) (await toggle(on), await phase(senders, Math.min(500, opts.sendPhaseMs), send)); // warm-up
    jobsBefore = await jobs();
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
    jobsAfter = await jobs();
    const t = performance.now();
    await admin.query(`select parley.service_role_claim_push_jobs(50, 60)`);
    claimMs = performance.now() - t;
  } finally {
    await toggle(true);
    await closeAll(senders);
    await admin.query(
      `delete from parley_internal.push_jobs where conversation_id in (select id from parley.conversations where title like ${lit(`${tag} %`)})`,
    );
    await admin.query(`delete from parley.conversations where title like ${lit(`${tag} %`)}`);
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
        detail: `send_message ${Math.round(rate("on"))} msg/s writing ${perSend} new outbox jobs per send (every recipient offline with a device, nothing collapsing) vs ${Math.round(rate("off"))} msg/s with the trigger off; ${opts.sendConnections} connections, ${opts.sendRounds} × 2 × ${opts.sendPhaseMs} ms; lease of 50 jobs ${round(claimMs, 1)} ms`,
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
