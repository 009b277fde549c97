// The stack reconnects by itself when its Postgres dies (kill -9) and comes back: the gateway survives
// requests that were in flight, REST, Auth and Storage answer again, and a Realtime client is told
// (its socket closed with 1012) so it rejoins — and hears what is sent after the restart.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createClient, type RealtimeChannel } from "@supabase/supabase-js";
import pg from "pg";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/postgres/port.ts";
import { startStack, type RunningStack } from "../../src/stack.ts";
import { writeFixtureProject } from "./fixture-project.ts";

let stack: RunningStack;
let project: string;
beforeAll(async () => {
  project = writeFixtureProject();
  stack = await startStack({
    workdir: project,
    dataDir: join(project, ".parley"),
    apiPort: await freePort(),
    dbPort: await freePort(),
    reset: true,
  });
  const c = new pg.Client({ connectionString: stack.config.dbUrl });
  await c.connect();
  // A REST call that holds a gateway connection while the server is killed.
  await c.query(
    "create function public.nap() returns int language sql as 'select 1 from pg_sleep(10)'; grant execute on function public.nap() to service_role",
  );
  await c.end();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(project, { recursive: true, force: true });
});

const client = () =>
  createClient(stack.gateway!.url, stack.config.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });

/** Sends a database broadcast on `topic` as the triggers do. */
async function sendFromDatabase(topic: string, payload: object): Promise<void> {
  const c = new pg.Client({ connectionString: stack.config.dbUrl });
  await c.connect();
  await c.query("select realtime.send($1::jsonb, 'ping', $2, true)", [JSON.stringify(payload), topic]);
  await c.end();
}

describe("Postgres killed (kill -9) and restarted under the running gateway", () => {
  it("leaves every service working again, and Realtime clients rejoined and hearing new events", async () => {
    const supabase = client();
    const topic = `restart-${Date.now()}`;
    const heard: number[] = [];
    const statuses: string[] = [];
    let rejoined!: () => void;
    const rejoin = new Promise<void>((r) => (rejoined = r));
    let joined!: () => void;
    const firstJoin = new Promise<void>((r) => (joined = r));
    const channel: RealtimeChannel = supabase
      .channel(topic, { config: { private: true } })
      .on("broadcast", { event: "ping" }, ({ payload }: { payload: { n: number } }) => heard.push(payload.n))
      .subscribe((status) => {
        statuses.push(status);
        if (status !== "SUBSCRIBED") return;
        if (statuses.filter((s) => s === "SUBSCRIBED").length === 1) joined();
        else rejoined();
      });
    await firstJoin;
    await sendFromDatabase(topic, { n: 1 });
    for (let i = 0; i < 100 && !heard.includes(1); i++) await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual([1]);

    // Requests in flight hold checked-out connections when the server dies (some see the socket reset,
    // which is an 'error' event on the connection): the gateway must outlive them.
    const naps = Array.from({ length: 4 }, () => supabase.rpc("nap"));
    let killed = false;
    let warm = 0;
    let allWarm!: () => void;
    const warmed = new Promise<void>((r) => (allWarm = r));
    const busy = Array.from({ length: 16 }, async () => {
      const statuses: number[] = [];
      while (!killed || statuses.length < 3) {
        statuses.push((await supabase.from("notes").insert({ body: "busy" })).status);
        if (statuses.length === 1 && ++warm === 16) allWarm();
      }
      return statuses;
    });
    await warmed;
    process.kill(stack.postgres.pid()!, "SIGKILL");
    killed = true;
    const during = await Promise.all(naps);
    for (const r of during) expect(r.status).toBeGreaterThanOrEqual(500);
    // Every request got an HTTP answer (supabase-js reports 0 when the connection itself failed).
    const answered = (await Promise.all(busy)).flat();
    expect(answered.filter((status) => status === 0)).toEqual([]);
    expect(answered).toContain(201);
    await stack.postgres.restart();

    // The socket is closed (1012) once replication is back, so the channel rejoins by itself.
    await rejoin;
    expect(statuses.slice(statuses.indexOf("SUBSCRIBED") + 1)).toContain("CHANNEL_ERROR");
    await sendFromDatabase(topic, { n: 2 });
    for (let i = 0; i < 100 && !heard.includes(2); i++) await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual([1, 2]);

    // REST (a fresh pool connection), Auth and Storage answer from the restarted database.
    const notes = await supabase.from("notes").insert({ body: "after the restart" }).select("body");
    expect(notes.error).toBeNull();
    expect(notes.data).toEqual([{ body: "after the restart" }]);
    const user = await supabase.auth.admin.createUser({
      email: `restart-${Date.now()}@example.test`,
      password: "restart-Secret1",
      email_confirm: true,
    });
    expect(user.error).toBeNull();
    const buckets = await supabase.storage.listBuckets();
    expect(buckets.error).toBeNull();
    await supabase.removeChannel(channel);
  }, 90_000);
});
