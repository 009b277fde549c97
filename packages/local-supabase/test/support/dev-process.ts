// Runs this package's `npm run dev -- …` as a person would, in its own process group, and reads its JSON status.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { PACKAGE_ROOT } from "../../src/paths.ts";

export interface DevProcess {
  child: ChildProcess;
  /** The status printed with --json (API_URL, DB_URL, ANON_KEY, …). */
  status: Record<string, string>;
  /** Everything the process wrote to stderr so far (its logs, with --json). */
  logs(): string;
  /**
   * Sends `signal` to the whole process group (Ctrl-C in a terminal does this) and waits until every
   * process of the command has ended. Resolves with npm's own exit (npm may report the signal itself).
   */
  interrupt(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment of a dev process: nothing from the test stack's own settings leaks in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, NO_COLOR: "1" };
  for (const name of ["PARLEY_LOG_FILE", "PARLEY_API_PORT", "PARLEY_DB_PORT", "DATABASE_URL", "PARLEY_QUIET"])
    delete env[name];
  return env;
}

/** Dev processes still running; interrupted if the test process exits without stopping them. */
const running = new Set<number>();
process.once("exit", () => {
  for (const pgid of running) {
    try {
      process.kill(-pgid, "SIGINT");
    } catch {
      /* already gone */
    }
  }
});

/** How long a start may take on a loaded 2-core machine (initdb, migrations, Deno boot). */
export const START_TIMEOUT_MS = 120_000;

/** Starts `npm run dev -- <args>` and resolves once it printed its status; rejects if it exits first. */
export function startDev(args: string[], env: Record<string, string> = {}): Promise<DevProcess> {
  const child = spawn("npm", ["run", "--silent", "dev", "--", ...args], {
    cwd: PACKAGE_ROOT,
    env: cleanEnv(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  // "close" comes once every process holding the output pipes (npm, tsx, the stack itself) has ended,
  // which can be after npm's own exit.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("close", (code, signal) => {
      running.delete(child.pid!);
      r({ code, signal });
    }),
  );
  const interrupt = async (signal: NodeJS.Signals = "SIGINT") => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    return await exited;
  };
  return new Promise<DevProcess>((resolvePromise, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      try {
        const status = JSON.parse(stdout) as Record<string, string>;
        resolvePromise({ child, status, logs: () => stderr, interrupt });
      } catch {
        /* not complete yet */
      }
    });
    void exited.then(({ code, signal }) => reject(new DevExitedError(code, signal, stderr, stdout)));
  });
}

/** The dev process ended before printing its status; carries its output. */
export class DevExitedError extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`npm run dev exited (${signal ?? code}) before printing its status:\n${stderr}${stdout}`);
  }
}

/** True while a process with this pid runs (a zombie waiting to be reaped counts as ended). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
