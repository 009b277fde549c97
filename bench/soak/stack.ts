// Starts the soak's private stack in its own process (bench/soak/stack-child.ts) and sends it fault commands.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PARLEY_ROOT } from "../../scripts/paths.ts";
import { freePort } from "@parley/local-supabase";

export interface SoakStack {
  apiUrl: string;
  dbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  logFile: string;
  /** Runs a fault command in the stack's process; resolves with its detail. */
  command(name: "crash-postgres" | "drop-realtime" | "kill-functions"): Promise<Record<string, unknown>>;
  stop(opts: { keepLogs: boolean }): Promise<void>;
}

export async function startSoakStack(): Promise<SoakStack> {
  const dataDir = join(PARLEY_ROOT, ".parley", `soak-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, "stack.log");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(PARLEY_ROOT, "bench", "soak", "stack-child.ts"),
      PARLEY_ROOT,
      dataDir,
      String(await freePort()),
      String(await freePort()),
    ],
    { cwd: PARLEY_ROOT, env: { ...process.env, PARLEY_LOG_FILE: logFile }, stdio: ["pipe", "pipe", "inherit"] },
  );
  const waiters: Array<(e: Record<string, unknown>) => void> = [];
  const queue: Array<Record<string, unknown>> = [];
  const push = (e: Record<string, unknown>) => (waiters.length ? waiters.shift()!(e) : queue.push(e));
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not one of ours */
    }
  });
  const exited = new Promise<void>((r) =>
    child.once("exit", (code) => (push({ event: "exit", message: `the stack process exited with code ${code}` }), r())),
  );
  const next = () => new Promise<Record<string, unknown>>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r)));
  const first = await next();
  if (first.event !== "ready") {
    child.stdin.end();
    await exited;
    throw new Error(`the soak stack did not start (${String(first.message)}); its log is at ${logFile}`);
  }
  let chain = Promise.resolve();
  return {
    apiUrl: String(first.apiUrl),
    dbUrl: String(first.dbUrl),
    anonKey: String(first.anonKey),
    serviceRoleKey: String(first.serviceRoleKey),
    logFile,
    command(name) {
      // One command at a time: each answer belongs to the command sent before it.
      const run = chain.then(async () => {
        child.stdin.write(`${name}\n`);
        const e = await next();
        if (e.event !== "done") throw new Error(`${name}: ${String(e.message)}`);
        return e.detail as Record<string, unknown>;
      });
      chain = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    async stop({ keepLogs }) {
      child.stdin.end();
      await exited;
      if (!keepLogs) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
