// Brings a database up to date: the Supabase platform stand-in, the project's migrations, the seed.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import pg from "pg";
import type { Log } from "../gateway/types.ts";
import { binOf, PACKAGE_ROOT } from "../paths.ts";
import { seedFiles, type SeedConfig } from "./seed.ts";

// Platform runs of one process go one at a time: roles are cluster-wide, and two databases set up at
// once (the drift test builds two) would update the same role rows concurrently ("tuple concurrently updated").
let platformQueue: Promise<unknown> = Promise.resolve();

/** Runs every file of sql/platform/ in name order; each file is idempotent. */
export function applyPlatform(url: string, log: Log): Promise<void> {
  const run = platformQueue.then(() => applyPlatformFiles(url, log));
  platformQueue = run.catch(() => undefined);
  return run;
}

async function applyPlatformFiles(url: string, log: Log): Promise<void> {
  const dir = join(PACKAGE_ROOT, "sql", "platform");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const f of files) {
      try {
        await client.query(readFileSync(join(dir, f), "utf8"));
      } catch (e) {
        throw new Error(`sql/platform/${f}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    await client.end();
  }
  log(`platform stand-in applied (${files.length} files)`);
}

/** Runs a command, resolving with its combined output; rejects on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, SUPABASE_YES: "1", DO_NOT_TRACK: "1" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}`)),
    );
  });
}

/** The Supabase CLI of the `supabase` npm package this package depends on. */
export const SUPABASE_CLI = binOf("supabase", "supabase");

/**
 * What to do when the local database has applied a migration the project no longer has: typically one
 * regenerated or renamed before it landed. The CLI's own advice is about a remote project.
 */
export const UNKNOWN_MIGRATION_HINT =
  "The local database has applied a migration that is not in supabase/migrations any more (renamed or " +
  "regenerated?). `npm run dev -- --reset` rebuilds the local database from the migrations (its data is lost).";

/** Applies pending migrations with the real Supabase CLI, so the history table is Supabase's own. */
export async function applyMigrations(url: string, workdir: string, log: Log): Promise<void> {
  const dir = join(workdir, "supabase", "migrations");
  if (!existsSync(dir) || readdirSync(dir).filter((f) => f.endsWith(".sql")).length === 0) {
    log("no migrations to apply");
    return;
  }
  const out = await run(
    SUPABASE_CLI,
    ["db", "push", `--remote=${url}`, "--yes", "--include-all", "--workdir", workdir],
    workdir,
  ).catch((e: unknown) => {
    if (e instanceof Error && e.message.includes("Remote migration versions not found in local migrations directory"))
      throw new Error(`${e.message}
${UNKNOWN_MIGRATION_HINT}`);
    throw e;
  });
  const applied = out.split("\n").filter((l) => /^Applying migration/.test(l.trim()));
  log(applied.length ? applied.map((l) => l.trim()).join("\n") : "migrations up to date");
}

/**
 * Runs the seed files of `[db.seed]` (by default supabase/seed.sql) in order, each as one script; the CLI runs them
 * on a fresh database only, and so does the stack.
 */
export async function applySeed(url: string, workdir: string, seed: SeedConfig, log: Log): Promise<void> {
  const { files, unmatched } = seedFiles(workdir, seed);
  for (const pattern of unmatched) log(`WARN: no seed files matched pattern: ${pattern}`);
  if (!files.length) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const f of files) {
      try {
        await client.query(readFileSync(isAbsolute(f) ? f : join(workdir, f), "utf8"));
      } catch (e) {
        throw new Error(`${f}: ${e instanceof Error ? e.message : String(e)}`);
      }
      log(`Seeding data from ${f}...`);
    }
  } finally {
    await client.end();
  }
}
