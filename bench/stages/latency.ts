// A/B latency comparison shared by the read stages: the two queries run interleaved on one
// connection (A, B, A, B, …) so machine noise hits both; the ratio is p50(A) / p50(B).
import type pg from "pg";
import { percentile, round, sampleInterleaved } from "../stats.ts";
import type { StageContext } from "./context.ts";

export interface Comparison {
  a: { p50: number; p99: number };
  b: { p50: number; p99: number };
  ratio: number;
}

export async function compare(ctx: StageContext, client: pg.Client, a: string, b: string): Promise<Comparison> {
  const s = await sampleInterleaved(() => client.query(a), () => client.query(b), { iterations: ctx.opts.samples, warmup: ctx.opts.warmup });
  const a50 = percentile(s.a, 0.5);
  const b50 = percentile(s.b, 0.5);
  return {
    a: { p50: round(a50), p99: round(percentile(s.a, 0.99)) },
    b: { p50: round(b50), p99: round(percentile(s.b, 0.99)) },
    ratio: round(a50 / b50),
  };
}

/** `explain (analyze, buffers)` of a wrapped statement (asUser/asSuperuser shape), printed for the docs. */
export async function explain(ctx: StageContext, client: pg.Client, title: string, wrapped: string, statement: string): Promise<void> {
  const sql = wrapped.replace(statement, `explain (analyze, buffers) ${statement}`).replace(/commit;$/, "rollback;");
  const res = (await client.query(sql)) as unknown as pg.QueryResult[];
  const plan = res[res.length - 2]!.rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
  ctx.say(`\n-- ${title}\n${plan}\n`);
}
