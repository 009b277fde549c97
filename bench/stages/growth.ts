// send_growth_100_vs_direct, send_growth_1000_vs_100: what one send_message costs as its group grows.
// One sender, a member of a direct conversation and of groups of 100 and 1,000 members, sends to them in
// turn on one connection (direct, 100, 1,000, then the next round starting one further on) through the
// PostgREST-shaped wrapper; each figure is the ratio of the mean time per send, so a send that pays
// for work the others skip (a fan-out done once a second, say) counts in full. Up to
// inbox_fanout_max members a send writes one realtime row per member; above it one notice, so
// the 1,000-member group must cost about what the 100-member group does (the bounded fan-out).
import { randomUUID } from "node:crypto";
import { notAvailable, type StageOutput } from "../report.ts";
import { asUser, closeAll, connect, lit } from "../sql.ts";
import { mean, percentile, round, sampleRotating } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { explainFunction } from "./latency.ts";

const BODY = "Hello from the bench: a message about as long as a typical chat line.";

export async function runGrowth(ctx: StageContext): Promise<StageOutput> {
  const { seeded, opts } = ctx;
  const { direct, groups } = seeded.conversations.growth;
  const g100 = groups.find((g) => g.size === 100)?.id;
  const g1000 = groups.find((g) => g.size === 1000)?.id;
  if (!direct || !g100 || !g1000) {
    const v = notAvailable("the growth conversations were not seeded");
    return {
      metrics: [
        { key: "send_growth_100_vs_direct", value: v, unit: "ratio", detail: "" },
        { key: "send_growth_1000_vs_100", value: v, unit: "ratio", detail: "" },
      ],
      figures: {},
    };
  }
  const send = (conversation: string) =>
    asUser(
      seeded.users.grower,
      `select id from parley.send_message(${lit(conversation)}, ${lit(BODY)}, 'text', null, null, null, ${lit(randomUUID())})`,
    );
  const [client] = await connect(ctx.target.dbUrl, 1);
  try {
    const [d, h, k] = await sampleRotating(
      [direct, g100, g1000].map((c) => () => client!.query(send(c))),
      { iterations: opts.growthSamples, warmup: Math.min(opts.warmup, 20) },
    );
    const stat = (s: number[]) => ({
      mean: round(mean(s)),
      p50: round(percentile(s, 0.5)),
      p99: round(percentile(s, 0.99)),
    });
    const [sd, sh, sk] = [stat(d!), stat(h!), stat(k!)];
    if (opts.explain) await explainFunction(ctx, client!, "one send to the 1,000-member group", send(g1000));
    return {
      metrics: [
        {
          key: "send_growth_100_vs_direct",
          value: round(sh.mean / sd.mean),
          unit: "ratio",
          target: { op: "<=", value: 4 },
          detail: `mean send to a 100-member group ${sh.mean} ms / to a direct conversation ${sd.mean} ms (p50 ${sh.p50} / ${sd.p50} ms), ${opts.growthSamples} sends each`,
        },
        {
          key: "send_growth_1000_vs_100",
          value: round(sk.mean / sh.mean),
          unit: "ratio",
          target: { op: "<=", value: 1.1 },
          detail: `mean send to a 1,000-member group ${sk.mean} ms / to a 100-member group ${sh.mean} ms (p50 ${sk.p50} / ${sh.p50} ms)`,
        },
      ],
      figures: {
        send_growth_direct_mean_ms: sd.mean,
        send_growth_direct_p50_ms: sd.p50,
        send_growth_direct_p99_ms: sd.p99,
        send_growth_100_mean_ms: sh.mean,
        send_growth_100_p50_ms: sh.p50,
        send_growth_100_p99_ms: sh.p99,
        send_growth_1000_mean_ms: sk.mean,
        send_growth_1000_p50_ms: sk.p50,
        send_growth_1000_p99_ms: sk.p99,
        send_growth_samples: opts.growthSamples,
      },
    };
  } finally {
    await closeAll([client!]);
  }
}
