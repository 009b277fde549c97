// The two databases the schema workflow compares: one built by the migrations (what `db push`
// deploys) and one built from supabase/schemas/ (the source). Both start from the platform stand-in.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import pg from "pg";
import { parse } from "smol-toml";
import { applyMigrations, applyPlatform, SUPABASE_CLI } from "@parley/local-supabase";

/** The schema files `[db.migrations] schema_paths` names, in order (a `*` in a file name matches as the CLI's glob does). */
export function schemaPaths(workdir: string): string[] {
  const supabaseDir = join(workdir, "supabase");
  const toml = parse(readFileSync(join(supabaseDir, "config.toml"), "utf8")) as {
    db?: { migrations?: { schema_paths?: string[] } };
  };
  const patterns = toml.db?.migrations?.schema_paths ?? ["./schemas/*.sql"];
  const files: string[] = [];
  for (const pattern of patterns) {
    const path = join(supabaseDir, pattern);
    const name = basename(path);
    const matches = name.includes("*")
      ? readdirSync(dirname(path))
          .filter((f) => new RegExp(`^${name.split("*").map(escapeRegExp).join(".*")}$`).test(f))
          .sort()
          .map((f) => join(dirname(path), f))
      : existsSync(path)
        ? [path]
        : [];
    if (matches.length === 0) throw new Error(`supabase/config.toml schema_paths: nothing matches ${pattern}`);
    for (const m of matches) if (!files.includes(m)) files.push(m);
  }
  return files;
}

const escapeRegExp = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

/** A connection string for database `name` on the server of `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withClient<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** Any number: the advisory lock that makes platform installs on one server take turns. */
const PLATFORM_INSTALL_LOCK = 7_402_113;

/**
 * Creates an empty database `name` (dropping one left over) with the platform stand-in; returns its URL.
 * One at a time per server, whatever the process: the platform grants roles, and roles are shared by
 * every database of the server, so two installs at once fail with "tuple concurrently updated". The
 * lock is taken in the server's own database (advisory locks are per database).
 */
export async function createPlatformDatabase(serverUrl: string, name: string): Promise<string> {
  const url = databaseUrl(serverUrl, name);
  await withClient(serverUrl, async (c) => {
    await c.query("select pg_advisory_lock($1)", [PLATFORM_INSTALL_LOCK]);
    try {
      await c.query(`drop database if exists ${name} with (force)`);
      await c.query(`create database ${name}`);
      await applyPlatform(url, () => undefined);
    } finally {
      await c.query("select pg_advisory_unlock($1)", [PLATFORM_INSTALL_LOCK]);
    }
  });
  return url;
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
}

/** A database with the platform and every migration of `workdir`, applied by `supabase db push`. */
export async function buildFromMigrations(serverUrl: string, name: string, workdir: string): Promise<string> {
  const url = await createPlatformDatabase(serverUrl, name);
  await applyMigrations(url, workdir, () => undefined);
  return url;
}

/**
 * A database with the platform and the schema files, applied in order in one session. Function bodies
 * are not checked at creation (as `db diff` and `db push` apply), so a file may call a function that a
 * later file defines.
 */
export async function buildFromSchemas(serverUrl: string, name: string, workdir: string): Promise<string> {
  const url = await createPlatformDatabase(serverUrl, name);
  await withClient(url, async (c) => {
    await c.query("set check_function_bodies = off");
    for (const file of schemaPaths(workdir)) {
      try {
        await c.query(readFileSync(file, "utf8"));
      } catch (e) {
        throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
  return url;
}

/** What `supabase db diff --use-pg-delta` says turns `from` into `to` (empty when they agree). */
export function diffDatabases(fromUrl: string, toUrl: string, outFile: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ["db", "diff", "--use-pg-delta", "--from", fromUrl, "--to", toUrl, "-o", outFile];
    const child = spawn(SUPABASE_CLI, args, { cwd, env: { ...process.env, DO_NOT_TRACK: "1" } });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`supabase db diff exited ${code}:\n${log}`));
      resolve(existsSync(outFile) ? readFileSync(outFile, "utf8") : "");
    });
  });
}

/**
 * The rows Parley installs that a schema diff does not see: its Storage bucket, its default rate limits and the tables it adds
 * to the Realtime publication. Compared separately, so that a change to them in the schema files
 * without the matching statement in a migration is drift too.
 */
export async function installedData(
  url: string,
): Promise<{ buckets: unknown[]; rateLimitRules: unknown[]; publication: string[] }> {
  return withClient(url, async (c) => {
    const buckets = await c.query(
      `select id, name, public, file_size_limit, allowed_mime_types from storage.buckets where id like 'parley%' order by id`,
    );
    // The default rate limits are rows too (supabase/schemas/rate_limits.sql); a database built by older
    // migrations has no such table yet.
    const hasRules =
      (await c.query(`select to_regclass('parley.rate_limit_rules') is not null as t`)).rows[0].t === true;
    const rules = hasRules
      ? await c.query(
          `select bucket, burst, per_minute::text, enabled, description from parley.rate_limit_rules order by bucket`,
        )
      : { rows: [] };
    const publication = await c.query(
      `select schemaname || '.' || tablename as t from pg_catalog.pg_publication_tables
        where pubname = 'supabase_realtime' and schemaname in ('parley', 'parley_internal') order by 1`,
    );
    return {
      buckets: buckets.rows,
      rateLimitRules: rules.rows,
      publication: publication.rows.map((r: { t: string }) => r.t),
    };
  });
}

/** Keywords that need quotes to be identifiers (reserved, type/function and column-name keywords). */
export async function quotedKeywords(url: string): Promise<Set<string>> {
  return withClient(url, async (c) => {
    const r = await c.query(`select word from pg_catalog.pg_get_keywords() where catcode <> 'U'`);
    return new Set(r.rows.map((row: { word: string }) => row.word));
  });
}
