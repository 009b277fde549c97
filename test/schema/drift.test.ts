// supabase/schemas/ is the source and supabase/migrations/ what `db push` deploys: they must describe
// the same database. On failure: `npm run db:diff -- <name>`, review the migration it writes, commit both.
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";
import {
  buildFromMigrations,
  buildFromSchemas,
  diffDatabases,
  dropDatabase,
  installedData,
  schemaPaths,
} from "../../scripts/schema/databases.ts";
import { stackEnv } from "../support/env.ts";

// Databases of their own in the stack's cluster: other suites create fixture tables in `public` while
// they run, which must not count as drift.
const tag = `${process.pid}_${Date.now()}`;
const [fromMigrations, fromSchemas] = [`drift_migrations_${tag}`, `drift_schemas_${tag}`];
let migrationsUrl = "";
let schemasUrl = "";

beforeAll(async () => {
  [migrationsUrl, schemasUrl] = await Promise.all([
    buildFromMigrations(stackEnv.dbUrl, fromMigrations, PARLEY_ROOT),
    buildFromSchemas(stackEnv.dbUrl, fromSchemas, PARLEY_ROOT),
  ]);
}, 180_000);

afterAll(async () => {
  await dropDatabase(stackEnv.dbUrl, fromMigrations);
  await dropDatabase(stackEnv.dbUrl, fromSchemas);
});

describe("the schema as source", () => {
  // pg-delta reads both catalogs and compares them object by object: allow for a busy machine.
  it("builds the same schema as the migrations (supabase db diff finds nothing)", { timeout: 120_000 }, async () => {
    const diff = await diffDatabases(migrationsUrl, schemasUrl, join(tmpdir(), `parley-drift-${tag}.sql`), PARLEY_ROOT);
    expect(diff.trim()).toBe("");
  });

  it("installs the same rows the diff cannot see (the bucket, the Realtime publication)", async () => {
    const [fromMig, fromSrc] = [await installedData(migrationsUrl), await installedData(schemasUrl)];
    expect(fromSrc.buckets).toHaveLength(1);
    expect(fromSrc.publication).toEqual(["parley.messages"]);
    expect(fromMig).toEqual(fromSrc);
  });

  it("defines each function once, in one file", () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const file of schemaPaths(PARLEY_ROOT)) {
      for (const m of readFileSync(file, "utf8").matchAll(
        /^create (?:or replace )?function ([a-z_]+\.[a-z_]+)\s*\(/gm,
      )) {
        const name = m[1]!;
        if (seen.has(name)) twice.push(`${name} (${seen.get(name)} and ${file})`);
        seen.set(name, file);
      }
    }
    expect(twice).toEqual([]);
    expect(seen.size).toBeGreaterThan(50);
  });

  it("creates objects in Parley's own schemas only", () => {
    const outside: string[] = [];
    for (const file of schemaPaths(PARLEY_ROOT)) {
      const sql = readFileSync(file, "utf8");
      for (const m of sql.matchAll(
        /^create (?:or replace )?(?:function|table|view|type|sequence|(?:unique )?index \w+ on)\s+([a-z_]+)\./gm,
      )) {
        if (m[1] !== "parley" && m[1] !== "parley_internal") outside.push(`${file}: ${m[0]}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
