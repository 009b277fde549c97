// Seeding as the Supabase CLI does it: `[db.seed] enabled` and `sql_paths` (globs relative to supabase/, each
// pattern's matches sorted, duplicates once, in the declared order) from a project's config.toml.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { applySeed } from "../../src/postgres/apply.ts";
import { stackEnv } from "../support/env.ts";

const schema = `seed_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
const folders: string[] = [];
const pool = new pg.Pool({ connectionString: stackEnv.dbUrl, max: 1 });
afterAll(async () => {
  await pool.query(`drop schema if exists ${schema} cascade`);
  await pool.end();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** A project folder with this config.toml and these files under supabase/; every seed file records its name. */
function project(config: string, files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-seed-"));
  folders.push(dir);
  mkdirSync(join(dir, "supabase"), { recursive: true });
  writeFileSync(join(dir, "supabase", "config.toml"), config);
  for (const f of files) {
    mkdirSync(dirname(join(dir, "supabase", f)), { recursive: true });
    writeFileSync(join(dir, "supabase", f), `insert into ${schema}.ran (file) values ('${f}');`);
  }
  return dir;
}

async function seed(dir: string): Promise<{ ran: string[]; log: string[] }> {
  await pool.query(
    `create schema if not exists ${schema}; create table if not exists ${schema}.ran (n serial, file text); truncate ${schema}.ran`,
  );
  const log: string[] = [];
  await applySeed(stackEnv.dbUrl, dir, loadConfig({ workdir: dir }).seed, (line) => log.push(line));
  const { rows } = await pool.query<{ file: string }>(`select file from ${schema}.ran order by n`);
  return { ran: rows.map((r) => r.file), log };
}

describe("seeding (the CLI's [db.seed])", () => {
  it("runs supabase/seed.sql when config.toml says nothing", async () => {
    const { ran } = await seed(project("", ["seed.sql", "other.sql"]));
    expect(ran).toEqual(["seed.sql"]);
  });

  it("runs sql_paths in the declared order, each glob's matches sorted, a file matched twice once", async () => {
    const dir = project(
      `[db.seed]\nenabled = true\nsql_paths = ["./seeds/late/*.sql", "seed.sql", "./seeds/*.sql", "./seeds/late/b.sql"]\n`,
      [
        "seeds/late/b.sql",
        "seeds/late/a.sql",
        "seeds/02_users.sql",
        "seeds/01_base.sql",
        "seeds/readme.txt",
        "seed.sql",
      ],
    );
    const { ran } = await seed(dir);
    expect(ran).toEqual([
      "seeds/late/a.sql",
      "seeds/late/b.sql",
      "seed.sql",
      "seeds/01_base.sql",
      "seeds/02_users.sql",
    ]);
  });

  it("warns about a pattern that matches nothing, as the CLI does, and runs the rest", async () => {
    const { ran, log } = await seed(
      project(`[db.seed]\nsql_paths = ["./missing/*.sql", "./seed.sql"]\n`, ["seed.sql"]),
    );
    expect(ran).toEqual(["seed.sql"]);
    expect(log).toContain("WARN: no seed files matched pattern: supabase/missing/*.sql");
  });

  it("runs nothing with enabled = false", async () => {
    const { ran, log } = await seed(project(`[db.seed]\nenabled = false\nsql_paths = ["./seed.sql"]\n`, ["seed.sql"]));
    expect(ran).toEqual([]);
    expect(log).toEqual([]);
  });
});
