// The private stack of a soak run, in its own process (the clients never share its event loop), taking
// fault commands on stdin. One JSON object per line on stdout:
//   child → parent  {"event":"ready","apiUrl":…,"dbUrl":…,"anonKey":…,"serviceRoleKey":…}
//   parent → child  "crash-postgres" | "drop-realtime" | "kill-functions"
//   child → parent  {"event":"done","command":…,"detail":…}  or  {"event":"error","message":…}
// The child stops everything when its stdin closes (the parent ended, however it ended) or on SIGTERM.
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { type RealtimeService, startStack, type RunningStack } from "@parley/local-supabase";

const send = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const [workdir, dataDir, apiPort, dbPort] = process.argv.slice(2);

let stack: RunningStack | undefined;
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await stack?.stop().catch(() => undefined);
  }
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

/** This process's children whose command line matches `pattern` (Linux /proc). */
function childrenMatching(pattern: RegExp): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(/\) \S+ (\d+)/.exec(readFileSync(`/proc/${name}/stat`, "utf8"))?.[1]);
      if (ppid === process.pid && pattern.test(readFileSync(`/proc/${name}/cmdline`, "utf8"))) found.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

const commands: Record<string, () => Promise<Record<string, unknown>>> = {
  /** kill -9 the postmaster, then start it again on the same cluster, as a crashed database host restarts. */
  async "crash-postgres"() {
    const pid = stack!.postgres.pid();
    if (pid === undefined) throw new Error("PostgreSQL is not running");
    process.kill(pid, "SIGKILL");
    const killedAt = Date.now();
    await stack!.postgres.restart();
    return { pid, restartMs: Date.now() - killedAt, newPid: stack!.postgres.pid() };
  },
  /** Cuts every Realtime WebSocket without a close frame. */
  async "drop-realtime"() {
    const realtime = stack!.gateway!.services.realtime as RealtimeService;
    return { dropped: realtime.disconnectAll("drop") };
  },
  /** kill -9 every Deno process serving a function. */
  async "kill-functions"() {
    const pids = childrenMatching(/deno/);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    return { killed: pids.length };
  },
};

try {
  stack = await startStack({
    workdir: workdir!,
    dataDir: dataDir!,
    apiPort: Number(apiPort),
    dbPort: Number(dbPort),
    reset: true,
  });
  const c = stack.config;
  send({
    event: "ready",
    apiUrl: stack.gateway!.url,
    dbUrl: c.dbUrl,
    anonKey: c.anonKey,
    serviceRoleKey: c.serviceRoleKey,
  });
} catch (e) {
  send({ event: "error", message: e instanceof Error ? e.message : String(e) });
  await stop(1);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const command = line.trim();
  const run = commands[command];
  if (!run) return send({ event: "error", message: `unknown command ${command}` });
  run().then(
    (detail) => send({ event: "done", command, detail }),
    (e: unknown) => send({ event: "error", message: `${command}: ${e instanceof Error ? e.message : String(e)}` }),
  );
});
lines.on("close", () => void stop(0));
