// Starts the whole local stack: Postgres, platform SQL, migrations, seed, then the gateway.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, type LoadOptions, type StackConfig } from "./config.ts";
import { startGateway, type Gateway } from "./gateway/server.ts";
import { logFor } from "./log.ts";
import { applyMigrations, applyPlatform, applySeed } from "./postgres/apply.ts";
import { startPostgres, type PostgresHandle } from "./postgres/runner.ts";

export interface StartStackOptions extends LoadOptions {
  /** Wipe the local database first. */
  reset?: boolean;
  /** Stop after the database is ready (no gateway). */
  dbOnly?: boolean;
}

export interface RunningStack {
  config: StackConfig;
  postgres: PostgresHandle;
  gateway?: Gateway;
  stop(): Promise<void>;
}

/** What `supabase status` prints, for the same names and values. */
export function statusOf(config: StackConfig): Record<string, string> {
  const api = `http://${config.host}:${config.apiPort}`;
  return {
    API_URL: api,
    REST_URL: `${api}/rest/v1`,
    GRAPHQL_URL: `${api}/graphql/v1`,
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

export async function startStack(opts: StartStackOptions = {}): Promise<RunningStack> {
  const config = loadConfig(opts);
  const pgLog = logFor("postgres");
  const fresh = !config.externalDb && (opts.reset || !existsSync(join(config.dataDir, "postgres", "PG_VERSION")));
  const postgres = await startPostgres({ dataDir: config.dataDir, port: config.dbPort, externalUrl: config.externalDb ? config.dbUrl : undefined, reset: opts.reset, log: pgLog });
  config.dbUrl = postgres.url;
  try {
    const migrateLog = logFor("migrate");
    await applyPlatform(postgres.url, migrateLog);
    await applyMigrations(postgres.url, config.workdir, migrateLog);
    if (fresh) await applySeed(postgres.url, config.workdir, migrateLog);
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
  return {
    config,
    postgres,
    gateway,
    async stop() {
      await gateway.close();
      if (postgres.owned) await postgres.stop();
    },
  };
}
