// Parley installs into a project that already has its own profiles, trigger and `private` schema, as a
// user would install it (its migrations copied in, `supabase db push`), and uninstalls without a trace.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";
import { applyMigrations } from "@parley/local-supabase";
import { createPlatformDatabase, dropDatabase } from "../../scripts/schema/databases.ts";
import { stackEnv } from "../support/env.ts";
import { addParleyMigrations, makeStarterProject, STARTER_FILE } from "./starter-project.ts";

const name = `install_${process.pid}_${Date.now()}`;
const project = makeStarterProject();
let db: pg.Client;

const ids = {
  ann: "a1000000-0000-0000-0000-000000000001",
  bob: "a1000000-0000-0000-0000-000000000002",
  annUpper: "a1000000-0000-0000-0000-000000000003",
  later: "a1000000-0000-0000-0000-000000000004",
  afterUninstall: "a1000000-0000-0000-0000-000000000005",
};

/** A user row as Auth writes it on sign-up (the triggers on auth.users fire as they would). */
async function signUp(id: string, meta: Record<string, string>, createdAt: string): Promise<void> {
  await db.query(
    `insert into auth.users (instance_id, id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, $3, '{}', $4, $4)`,
    [id, `${id.slice(-4)}@example.test`, meta, createdAt],
  );
}

/** Everything of the app's that Parley must not change: definitions, triggers, policies, rows. */
async function appState(): Promise<unknown> {
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    functions: await q(`select p.oid::regprocedure::text as sig, pg_get_functiondef(p.oid) as def from pg_proc p
                         join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('public', 'private') order by 1`),
    tables: await q(`select table_schema, table_name, column_name, data_type from information_schema.columns
                      where table_schema in ('public', 'private') order by 1, 2, 3`),
    policies: await q(
      `select tablename, policyname, qual, with_check from pg_policies where schemaname = 'public' order by 1, 2`,
    ),
    appTriggers:
      await q(`select tgname, tgfoid::regproc::text as fn from pg_trigger where tgrelid = 'auth.users'::regclass
                           and not tgisinternal and tgname not like 'parley%' order by 1`),
    profiles: await q(`select id, username, full_name from public.profiles order by id`),
  };
}

/** Parley's footprint: every object in its schemas and everything it adds elsewhere. */
async function parleyState(): Promise<unknown> {
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    objects: await q(`select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname in ('parley', 'parley_internal') order by 1`),
    functions:
      await q(`select p.oid::regprocedure::text as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname in ('parley', 'parley_internal') order by 1`),
    profiles: await q(`select id, username, display_name from parley.profiles order by id`),
    triggers: await q(`select tgname from pg_trigger where tgrelid = 'auth.users'::regclass and tgname like 'parley%'`),
    policies: await q(`select schemaname, tablename, policyname from pg_policies
                        where (schemaname, tablename) in (('realtime', 'messages'), ('storage', 'objects')) order by 1, 2, 3`),
    buckets: await q(`select id from storage.buckets order by 1`),
  };
}

const log: string[] = [];
/** Parley's migration files, as copied into the project. */
let parleyFiles: string[] = [];
/** Parley's footprint once installed (parleyState). */
let installed: unknown;
/** The migration history: version and name of every applied migration. */
const history = async () =>
  (await db.query(`select version, name from supabase_migrations.schema_migrations order by version`)).rows;
const versionOf = (file: string) => ({ version: file.split("_")[0], name: file.replace(/^\d+_|\.sql$/g, "") });
const push = () => applyMigrations(url(), project, (line) => log.push(line));
let dbUrl = "";
const url = () => dbUrl;

beforeAll(async () => {
  dbUrl = await createPlatformDatabase(stackEnv.dbUrl, name);
  db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await push(); // the app's own migration
  await signUp(ids.ann, { username: "ann", full_name: "Ann Archer" }, "2025-01-01T10:00:00Z");
  await signUp(ids.bob, { full_name: "Bob Baker" }, "2025-01-02T10:00:00Z");
  await signUp(ids.annUpper, { username: "ANN", name: "Another Ann" }, "2025-01-03T10:00:00Z");
}, 120_000);

afterAll(async () => {
  await db?.end();
  await dropDatabase(stackEnv.dbUrl, name);
  rmSync(project, { recursive: true, force: true });
});

describe("installing Parley into an existing project", () => {
  let before: unknown;

  it(
    "applies with supabase db push and leaves the app's profiles, trigger, private helpers and data untouched",
    { timeout: 120_000 },
    async () => {
      before = await appState();
      parleyFiles = addParleyMigrations(project);
      log.length = 0;
      await push();
      for (const f of parleyFiles) expect(log.join("\n")).toContain(`Applying migration ${f}`);
      expect(await history()).toEqual([versionOf(STARTER_FILE), ...parleyFiles.map(versionOf)]);
      expect(await appState()).toEqual(before);
      const app = await db.query(
        `select private.require_user() as id, (select count(*) from public.profiles)::int as profiles`,
      );
      expect(app.rows[0]).toEqual({ id: "00000000-0000-0000-0000-0000000000aa", profiles: 3 });
    },
  );

  it("gives the users who existed before a Parley profile, oldest first, with free usernames", async () => {
    const { rows } = await db.query(`select id, username, display_name from parley.profiles order by id`);
    expect(rows).toEqual([
      { id: ids.ann, username: "ann", display_name: "Ann Archer" },
      { id: ids.bob, username: `user_${ids.bob.replaceAll("-", "").slice(-12)}`, display_name: "Bob Baker" },
      // "ANN" is "ann" ignoring case, taken by the older account.
      {
        id: ids.annUpper,
        username: `user_${ids.annUpper.replaceAll("-", "").slice(-12)}`,
        display_name: "Another Ann",
      },
    ]);
  });

  it("is a no-op when applied again", { timeout: 120_000 }, async () => {
    installed = await parleyState();
    log.length = 0;
    await push();
    expect(log.join("\n")).toContain("migrations up to date");
    expect(await parleyState()).toEqual(installed);
    expect(await appState()).toEqual(before);
  });

  it("makes both profiles for someone who signs up afterwards", async () => {
    await signUp(ids.later, { username: "carol", full_name: "Carol Cook" }, "2026-01-01T10:00:00Z");
    const { rows } = await db.query(
      `select (select full_name from public.profiles where id = $1) as app, (select username from parley.profiles where id = $1) as parley`,
      [ids.later],
    );
    expect(rows[0]).toEqual({ app: "Carol Cook", parley: "carol" });
  });
});

describe("uninstalling Parley", () => {
  const uninstall = () => db.query(readFileSync(join(PARLEY_ROOT, "supabase", "uninstall.sql"), "utf8"));

  it("refuses while the bucket exists, saying to empty it with the Storage API, and changes nothing", async () => {
    const state = await parleyState();
    await expect(uninstall()).rejects.toThrow(
      /bucket parley-attachments still exists: empty and delete it with the Storage API/,
    );
    await db.query("rollback");
    expect(await parleyState()).toEqual(state);
  });

  it("removes every Parley object and history row, and the app keeps working", { timeout: 60_000 }, async () => {
    const app = await appState();
    // What the Storage API's deleteBucket does once the bucket is empty.
    await db.query(
      `begin; set local storage.allow_delete_query = 'true'; delete from storage.buckets where id = 'parley-attachments'; commit;`,
    );
    await uninstall();
    const left = await db.query(`select nspname from pg_namespace where nspname like 'parley%'`);
    expect(left.rows).toEqual([]);
    expect(await db.query(`select tgname from pg_trigger where tgname like 'parley%'`)).toMatchObject({ rows: [] });
    expect((await db.query(`select policyname from pg_policies where policyname like '%parley%'`)).rows).toEqual([]);
    // Every Parley migration's row is gone (supabase/uninstall.sql recognises each file by how it begins),
    // the app's own stays.
    expect(await history()).toEqual([versionOf(STARTER_FILE)]);
    expect(await appState()).toEqual(app);
    await signUp(ids.afterUninstall, { full_name: "Dan Dale" }, "2026-02-01T10:00:00Z");
    expect((await db.query(`select full_name from public.profiles where id = $1`, [ids.afterUninstall])).rows).toEqual([
      { full_name: "Dan Dale" },
    ]);
  });

  it(
    "installs again afterwards with db push: every migration applied afresh, the same objects",
    { timeout: 180_000 },
    async () => {
      log.length = 0;
      await push();
      for (const f of parleyFiles) expect(log.join("\n")).toContain(`Applying migration ${f}`);
      expect(await history()).toEqual([versionOf(STARTER_FILE), ...parleyFiles.map(versionOf)]);
      // The same footprint as the first install; the profiles are the five users there are now.
      expect(await parleyState()).toEqual({ ...(installed as object), profiles: expect.any(Array) });
      expect((await db.query(`select count(*)::int as n from parley.profiles`)).rows[0]).toEqual({ n: 5 });
    },
  );
});
