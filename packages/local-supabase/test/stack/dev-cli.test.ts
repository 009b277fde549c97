// `npm run dev -- --workdir <project> --json` as a person runs it: the status it prints, the project it
// serves, Ctrl-C stopping every child, data kept across a restart, and a busy port refused at once.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { createClient } from "@supabase/supabase-js";
import pg from "pg";
import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, isPortFree } from "../../src/postgres/port.ts";
import { DevExitedError, isAlive, START_TIMEOUT_MS, startDev, type DevProcess } from "../support/dev-process.ts";
import { writeFixtureProject } from "./fixture-project.ts";

const projects: string[] = [];
let current: DevProcess | undefined;
afterAll(async () => {
  await current?.interrupt();
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(dbUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe("npm run dev -- --workdir <project> --json", () => {
  const project = writeFixtureProject();
  projects.push(project);
  let apiPort: number;
  let dbPort: number;
  let dev: DevProcess;

  it(
    "prints the status supabase status prints, for the ports asked",
    async () => {
      [apiPort, dbPort] = [await freePort(), await freePort()];
      current = dev = await startDev([
        "--workdir",
        project,
        "--json",
        "--api-port",
        String(apiPort),
        "--db-port",
        String(dbPort),
      ]);
      expect(dev.status).toMatchObject({
        API_URL: `http://127.0.0.1:${apiPort}`,
        REST_URL: `http://127.0.0.1:${apiPort}/rest/v1`,
        FUNCTIONS_URL: `http://127.0.0.1:${apiPort}/functions/v1`,
        DB_URL: `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`,
        PUBLISHABLE_KEY: expect.stringMatching(/^sb_publishable_/),
        SECRET_KEY: expect.stringMatching(/^sb_secret_/),
        ANON_KEY: expect.stringMatching(/^eyJ/),
        SERVICE_ROLE_KEY: expect.stringMatching(/^eyJ/),
        JWT_SECRET: "super-secret-jwt-token-with-at-least-32-characters-long",
      });
      // No GraphQL endpoint is served, so none is printed.
      expect(dev.status.GRAPHQL_URL).toBeUndefined();
    },
    START_TIMEOUT_MS,
  );

  it("applied the project's migration and serves its function", async () => {
    const tables = await query<{ name: string }>(
      dev.status.DB_URL!,
      "select to_regclass('public.notes')::text as name",
    );
    expect(tables).toEqual([{ name: "notes" }]);
    const res = await fetch(`${dev.status.FUNCTIONS_URL}/open`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ open: true, authorization: null });
  });

  it("honours the project's [api] schemas and max_rows through the official client", async () => {
    await query(dev.status.DB_URL!, "insert into public.notes (body) select 'row ' || g from generate_series(1, 60) g");
    const client = (schema: string) =>
      createClient(dev.status.API_URL!, dev.status.SECRET_KEY!, {
        auth: { persistSession: false },
        db: { schema },
        realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
      });
    const notes = await client("public").from("notes").select("id");
    expect(notes.error).toBeNull();
    expect(notes.data).toHaveLength(50); // [api] max_rows = 50
    const labels = await client("fixture_api").from("labels").select("name");
    expect(labels.error).toBeNull();
    expect(labels.data).toEqual([{ name: "from the fixture_api schema" }]);
    await query(dev.status.DB_URL!, "truncate public.notes");
  });

  it(
    "refuses a second stack on the same project folder, naming the running one",
    async () => {
      const error = await startDev([
        "--workdir",
        project,
        "--json",
        "--api-port",
        String(await freePort()),
        "--db-port",
        String(await freePort()),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DevExitedError);
      expect((error as DevExitedError).stderr).toMatch(
        /the data folder .*\.parley is in use by another running stack \(PostgreSQL pid \d+ on port \d+/,
      );
    },
    START_TIMEOUT_MS,
  );

  it("logs to stderr, one line per event naming its service, REST refusals with their code", async () => {
    const refused = await fetch(`${dev.status.REST_URL}/no_such_table?select=id`, {
      headers: { apikey: dev.status.ANON_KEY! },
    });
    expect(refused.status).toBe(404);
    for (let i = 0; i < 50 && !/GET \/rest\/v1\/no_such_table/.test(dev.logs()); i++)
      await new Promise((r) => setTimeout(r, 20));
    const logs = dev.logs();
    expect(logs).toMatch(/ rest +GET \/rest\/v1\/no_such_table\?select=id 404 PGRST205 \d+ ms/);
    // A key in the query string (Realtime's REST broadcast takes ?apikey=) is not written down.
    await fetch(`${dev.status.API_URL}/rest/v1/no_such_table?apikey=${dev.status.ANON_KEY}`);
    for (let i = 0; i < 50 && !/apikey=<redacted>/.test(dev.logs()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(dev.logs()).toContain("/rest/v1/no_such_table?apikey=<redacted>");
    expect(dev.logs()).not.toContain(dev.status.ANON_KEY!);
    expect(logs).toMatch(/ postgres +PostgreSQL listening on 127\.0\.0\.1:\d+/);
    expect(logs).toMatch(/ functions +serving broken, echo, open at http:\/\/127\.0\.0\.1:\d+\/functions\/v1\/<name>/);
    expect(logs).toMatch(/ functions +GET \/open 200/);
  });

  it(
    "stops Postgres, the Deno workers and the gateway on Ctrl-C",
    async () => {
      const echo = await fetch(`${dev.status.FUNCTIONS_URL}/echo`, {
        headers: { Authorization: `Bearer ${dev.status.ANON_KEY}` },
      });
      const denoPid = ((await echo.json()) as { pid: number }).pid;
      const postgresPid = Number(
        readFileSync(join(project, ".parley", "postgres", "postmaster.pid"), "utf8").split("\n")[0],
      );
      await query(dev.status.DB_URL!, "insert into public.notes (body) values ('kept across restarts')");
      expect(isAlive(denoPid)).toBe(true);
      expect(isAlive(postgresPid)).toBe(true);

      await dev.interrupt("SIGINT");
      expect(dev.logs()).toMatch(/SIGINT: stopping the stack…[\s\S]*\nstopped\.\n/);
      expect(isAlive(denoPid)).toBe(false);
      expect(isAlive(postgresPid)).toBe(false);
      expect(await isPortFree(apiPort)).toBe(true);
      expect(await isPortFree(dbPort)).toBe(true);
    },
    START_TIMEOUT_MS,
  );

  it(
    "keeps the data across a restart",
    async () => {
      current = dev = await startDev([
        "--workdir",
        project,
        "--json",
        "--api-port",
        String(apiPort),
        "--db-port",
        String(dbPort),
      ]);
      try {
        const rows = await query<{ body: string }>(dev.status.DB_URL!, "select body from public.notes");
        expect(rows).toEqual([{ body: "kept across restarts" }]);
      } finally {
        await dev.interrupt("SIGTERM");
        expect(dev.logs()).toMatch(/SIGTERM: stopping the stack…[\s\S]*\nstopped\.\n/);
      }
    },
    START_TIMEOUT_MS,
  );
});

describe("a stack killed without warning (kill -9)", () => {
  it(
    "leaves nothing that blocks the next start, which keeps the data",
    async () => {
      const project = writeFixtureProject();
      projects.push(project);
      const ports = ["--api-port", String(await freePort()), "--db-port", String(await freePort())];
      current = await startDev(["--workdir", project, "--json", ...ports]);
      const first = current;
      await query(first.status.DB_URL!, "insert into public.notes (body) values ('survives kill -9')");
      const echo = await fetch(`${first.status.FUNCTIONS_URL}/echo`, {
        headers: { Authorization: `Bearer ${first.status.ANON_KEY}` },
      });
      const denoPid = ((await echo.json()) as { pid: number }).pid;
      // The stack's own process is the parent of its Postgres.
      const postgresPid = Number(
        readFileSync(join(project, ".parley", "postgres", "postmaster.pid"), "utf8").split("\n")[0],
      );
      const stackPid = Number(/\) \S+ (\d+)/.exec(readFileSync(`/proc/${postgresPid}/stat`, "utf8"))?.[1]);
      process.kill(stackPid, "SIGKILL");

      current = await startDev(["--workdir", project, "--json", ...ports]);
      expect(current.logs()).toContain(`stopping the PostgreSQL (pid ${postgresPid}) an earlier stack left running`);
      expect(await query(current.status.DB_URL!, "select body from public.notes")).toEqual([
        { body: "survives kill -9" },
      ]);
      // The orphaned Deno process notices its parent is gone and exits (it checks every second).
      for (let i = 0; i < 100 && isAlive(denoPid); i++) await new Promise((r) => setTimeout(r, 100));
      expect(isAlive(denoPid)).toBe(false);
      await current.interrupt();
      await first.interrupt();
    },
    START_TIMEOUT_MS * 2,
  );
});

describe("a port in use", () => {
  it(
    "is refused before anything starts, naming the port and the process holding it",
    async () => {
      const project = writeFixtureProject();
      projects.push(project);
      const busy: Server = createServer();
      await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
      const busyPort = (busy.address() as { port: number }).port;
      try {
        const error = await startDev([
          "--workdir",
          project,
          "--json",
          "--api-port",
          String(busyPort),
          "--db-port",
          String(await freePort()),
        ]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DevExitedError);
        const exited = error as DevExitedError;
        expect(exited.code).toBe(1);
        expect(exited.stderr).toContain(`port ${busyPort} on 127.0.0.1 is already in use by pid ${process.pid}`);
        expect(exited.stderr).toContain("The API gateway cannot start");
        expect(existsSync(join(project, ".parley"))).toBe(false);
      } finally {
        busy.close();
      }
    },
    START_TIMEOUT_MS,
  );
});
