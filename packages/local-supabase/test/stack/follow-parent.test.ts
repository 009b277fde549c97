// The stack follows the command that started it: a signal to npm alone (a process manager, a CI step
// timing out, `kill <npm pid>`) must not leave Postgres, the Deno workers or the gateway behind.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, isPortFree } from "../../src/postgres/port.ts";
import { isAlive, START_TIMEOUT_MS, startDev, type DevProcess } from "../support/dev-process.ts";
import { writeFixtureProject } from "./fixture-project.ts";

/** Every process below `root`, from /proc (Linux). */
function descendants(root: number): Array<{ pid: number; cmd: string }> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(/\) \S+ (\d+)/.exec(readFileSync(`/proc/${name}/stat`, "utf8"))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      /* exited while listing */
    }
  }
  const found: Array<{ pid: number; cmd: string }> = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      } catch {
        /* gone */
      }
      found.push({ pid: child, cmd });
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** Resolves once none of `pids` runs, or after `ms` with those still running. */
async function survivorsAfter(pids: Array<{ pid: number; cmd: string }>, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const alive = pids.filter((p) => isAlive(p.pid));
    if (!alive.length || Date.now() > deadline) return alive.map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const projects: string[] = [];
const started: DevProcess[] = [];
afterAll(async () => {
  for (const dev of started) await dev.interrupt("SIGKILL").catch(() => undefined);
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});

describe("npm run dev follows npm", () => {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(
      `${signal} to the npm process alone stops Postgres, the Deno workers and the gateway`,
      async () => {
        const project = writeFixtureProject();
        projects.push(project);
        const apiPort = await freePort();
        const dbPort = await freePort();
        const dev = await startDev([
          "--workdir",
          project,
          "--json",
          "--api-port",
          String(apiPort),
          "--db-port",
          String(dbPort),
        ]);
        started.push(dev);
        // A Deno worker is running (the echo function reports its pid).
        const echo = await fetch(`${dev.status.FUNCTIONS_URL}/echo`, {
          headers: { Authorization: `Bearer ${dev.status.ANON_KEY}` },
        });
        const denoPid = ((await echo.json()) as { pid: number }).pid;
        const below = descendants(dev.child.pid!);
        expect(below.map((p) => p.pid)).toContain(denoPid);
        expect(below.some((p) => /\/postgres -D /.test(p.cmd))).toBe(true);

        process.kill(dev.child.pid!, signal); // npm only, not its process group

        expect(await survivorsAfter(below, 30_000)).toEqual([]);
        expect(await isPortFree(apiPort)).toBe(true);
        expect(await isPortFree(dbPort)).toBe(true);
        expect(dev.logs()).toMatch(
          /the process that started the stack \(pid \d+\) exited: stopping the stack…[\s\S]*\nstopped\.\n/,
        );
      },
      START_TIMEOUT_MS,
    );
  }
});
