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
export async function sampleLatency(fn: () => Promise<unknown>, opts: { iterations: number; warmup: number }): Promise<number[]> {
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
  for (let i = 0; i < opts.warmup; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < opts.iterations; i++) {
    let t = performance.now();
    await a();
    out.a.push(since(t));
    t = performance.now();
    await b();
    out.b.push(since(t));
  }
  return out;
}

export const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
