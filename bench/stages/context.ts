// What every stage receives: the stack, an admin (superuser) connection, the seeded ids, the options.
import type pg from "pg";
import type { Seeded } from "../seed.ts";
import type { BenchTarget } from "../stack.ts";

export interface StageOptions {
  /** Latency samples per side of an interleaved comparison. */
  samples: number;
  /** Untimed runs before sampling. */
  warmup: number;
  /** Samples per side for the naive inbox (a page that reads every conversation of the user). */
  naiveSamples: number;
  /** Sends per conversation size in the send_growth stage. */
  growthSamples: number;
  sendConnections: number;
  sendRounds: number;
  /** Duration of each timed phase of the send stage, ms. */
  sendPhaseMs: number;
  realtimeClients: number;
  realtimeMessages: number;
  /** Print `explain (analyze, buffers)` of the measured queries. */
  explain: boolean;
}

export interface StageContext {
  target: BenchTarget;
  admin: pg.Client;
  seeded: Seeded;
  opts: StageOptions;
  /** A progress line (stdout). */
  say: (line: string) => void;
}
