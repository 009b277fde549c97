// A local database that has applied a migration the project no longer has (one regenerated or renamed
// before it landed): starting fails, and the error says how to rebuild the local database.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { applyMigrations, UNKNOWN_MIGRATION_HINT } from "../../src/postgres/apply.ts";
import { stackEnv } from "../support/env.ts";

const database = `apply_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
const folders: string[] = [];
const admin = new pg.Pool({ connectionString: stackEnv.dbUrl, max: 1 });
const url = (() => {
  const u = new URL(stackEnv.dbUrl);
  u.pathname = `/${database}`;
  return u.toString();
})();

afterAll(async () => {
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** A project whose supabase/migrations holds exactly this one migration. */
function project(name: string, sql: string): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-apply-"));
  folders.push(dir);
  mkdirSync(join(dir, "supabase", "migrations"), { recursive: true });
  writeFileSync(join(dir, "supabase", "config.toml"), "");
  writeFileSync(join(dir, "supabase", "migrations", `${name}.sql`), sql);
  return dir;
}

it("names the way out when the database has a migration the project has not", async () => {
  await admin.query(`create database ${database}`);
  const log = () => undefined;
  await applyMigrations(url, project("20990101000000_first", "create table first_table (id int);"), log);
  // The same migration regenerated under a new name.
  const renamed = project("20990101000100_first", "create table first_table (id int);");
  const failure = await applyMigrations(url, renamed, log).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(failure?.message).toContain("Remote migration versions not found in local migrations directory");
  expect(failure?.message).toContain(UNKNOWN_MIGRATION_HINT);
}, 120_000);
