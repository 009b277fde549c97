// The private stack of a bench run, in its own process so that the stack's event loop (the gateway,
// Realtime decoding the WAL every send writes) never shares a thread with the bench's clients.
// Protocol with bench/stack.ts, one JSON object per line:
//   child → parent  {"event":"database","dbUrl":…,"apiUrl":…,"anonKey":…,"jwtSecret":…}  database ready
//   parent → child  "serve <api port>"                                                    start the gateway
//   child → parent  {"event":"serving","url":…}
//   child → parent  {"event":"error","message":…}
// The child stops everything when its stdin closes (the parent ended, however it ended) or on SIGTERM.
import { createInterface } from "node:readline";
import { startGateway, type Gateway, logFor, startStack, type RunningStack } from "@parley/local-supabase";

const send = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const [workdir, dataDir, apiPort, dbPort] = process.argv.slice(2);

let stack: RunningStack | undefined;
let gateway: Gateway | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await gateway?.close().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
  }
  process.exit(code);
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

try {
  stack = await startStack({
    workdir: workdir!,
    dataDir: dataDir!,
    apiPort: Number(apiPort),
    dbPort: Number(dbPort),
    reset: true,
    dbOnly: true,
    // The recorded push providers the parent started (bench/stack.ts), for push-dispatch.
    functionSecrets: JSON.parse(process.env.PARLEY_BENCH_FUNCTION_SECRETS ?? "{}") as Record<string, string>,
  });
  const c = stack.config;
  send({
    event: "database",
    dbUrl: c.dbUrl,
    apiUrl: `http://${c.host}:${c.apiPort}`,
    anonKey: c.anonKey,
    jwtSecret: c.jwtSecret,
  });
} catch (e) {
  send({ event: "error", message: e instanceof Error ? e.message : String(e) });
  await stop(1);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const m = /^serve (\d+)$/.exec(line.trim());
  if (!m || gateway) return;
  // The API port is picked by the parent just before serving: one picked at start could be taken by
  // another process while the bench seeds (the machine is shared).
  stack!.config.apiPort = Number(m[1]);
  startGateway({ config: stack!.config, logFor })
    .then((g) => {
      gateway = g;
      send({ event: "serving", url: g.url });
    })
    .catch((e: unknown) => send({ event: "error", message: e instanceof Error ? e.message : String(e) }));
});
lines.on("close", () => void stop(0));
