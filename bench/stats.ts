// Small statistics for benchmark samples: percentiles and timing loops.

/** The q-th percentile (0..1) of the samples, by nearest rank. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Milliseconds elapsed since `start` (from performance.now()). */
export const since = (start: number): number => performance.now() - start;

/** Runs `fn` `iterations` times after `warmup` untimed runs and returns each run's latency in ms. */
export async function sampleLatency(
  fn: () => Promise<unknown>,
  opts: { iterations: number; warmup: number },
): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < opts.iterations; i++) {
    const t = performance.now();
    await fn();
    out.push(since(t));
  }
  return out;
}

/** Interleaves two latency measurements (A, B, A, B, …) so machine noise hits both alike. */
export async function sampleInterleaved(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  opts: { iterations: number; warmup: number },
): Promise<{ a: number[]; b: number[] }> {
  const [sa, sb] = await sampleRotating([a, b], opts);
  return { a: sa!, b: sb! };
}

/**
 * Interleaves any number of latency measurements (A, B, C, A, B, C, …), starting each round with the
 * next one in turn so that none always runs right after the same neighbour; one sample list per function.
 */
export async function sampleRotating(
  fns: (() => Promise<unknown>)[],
  opts: { iterations: number; warmup: number },
): Promise<number[][]> {
  for (let i = 0; i < opts.warmup; i++) for (const f of fns) await f();
  const out = fns.map(() => [] as number[]);
  for (let i = 0; i < opts.iterations; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (k + i) % fns.length;
      const t = performance.now();
      await fns[j]!();
      out[j]!.push(since(t));
    }
  }
  return out;
}

/** The arithmetic mean (what a throughput sees: rare slow runs count in full). */
export const mean = (samples: number[]): number =>
  samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : Number.NaN;

export const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
