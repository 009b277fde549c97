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

/** p50(a) / p50(b), interleaved; `samples` overrides --samples (e.g. for a statement that takes 100 ms). */
export async function compare(
  ctx: StageContext,
  client: pg.Client,
  a: string,
  b: string,
  samples = ctx.opts.samples,
): Promise<Comparison> {
  const warmup = Math.min(ctx.opts.warmup, samples);
  const s = await sampleInterleaved(
    () => client.query(a),
    () => client.query(b),
    { iterations: samples, warmup },
  );
  const a50 = percentile(s.a, 0.5);
  const b50 = percentile(s.b, 0.5);
  return {
    a: { p50: round(a50), p99: round(percentile(s.a, 0.99)) },
    b: { p50: round(b50), p99: round(percentile(s.b, 0.99)) },
    ratio: round(a50 / b50),
  };
}

/** `explain (analyze, buffers)` of a wrapped statement (asUser/asSuperuser shape), printed for the docs. */
export async function explain(
  ctx: StageContext,
  client: pg.Client,
  title: string,
  wrapped: string,
  statement: string,
): Promise<void> {
  const sql = wrapped.replace(statement, `explain (analyze, buffers) ${statement}`).replace(/commit;$/, "rollback;");
  const res = (await client.query(sql)) as unknown as pg.QueryResult[];
  const plan = res[res.length - 2]!.rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
  ctx.say(`\n-- ${title}\n${plan}\n`);
}

/**
 * The plans of every statement a function call runs (auto_explain with analyze and buffers, reported as
 * notices, nested statements included), in a rolled-back transaction; a plain `explain` of an RPC shows
 * only a Function Scan. Says so when auto_explain cannot be loaded.
 */
export async function explainFunction(
  ctx: StageContext,
  client: pg.Client,
  title: string,
  wrapped: string,
): Promise<void> {
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => notices.push(n.message ?? "");
  client.on("notice", onNotice);
  try {
    await client.query(
      `load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on;
       set auto_explain.log_analyze = on; set auto_explain.log_buffers = on; set auto_explain.log_level = notice; set client_min_messages = notice`,
    );
    await client.query(wrapped.replace(/commit;$/, "rollback;"));
    ctx.say(`\n-- ${title} (auto_explain, analyze, buffers)\n${notices.join("\n\n")}\n`);
  } catch (e) {
    ctx.say(`  (no per-statement plans for ${title}: ${e instanceof Error ? e.message : String(e)})`);
  } finally {
    client.off("notice", onNotice);
    await client.query(`set auto_explain.log_min_duration = -1; reset client_min_messages`).catch(() => undefined);
  }
}
