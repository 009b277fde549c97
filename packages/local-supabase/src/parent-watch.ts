// Follows the command that started the stack: `npm run dev` is npm → `sh -c` → this process, and a SIGTERM
// to npm alone ends npm and the shell but never reaches this process, which would keep Postgres and the
// Deno workers running with no one to stop them. The chain of launchers is recorded at start and checked
// every `intervalMs`; when a link breaks (a launcher exited, so its child was re-parented) `onGone` runs.
import { readFileSync } from "node:fs";

/** Reads `/proc/<pid>/<file>`, or undefined when the process is gone or /proc is absent. */
function proc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/** The parent pid of `pid` as /proc says (undefined when gone or a zombie). */
function parentOf(pid: number): number | undefined {
  const stat = proc(pid, "stat");
  const match = stat ? /\) (\S) (\d+)/.exec(stat) : null;
  if (!match || match[1] === "Z" || match[1] === "X") return undefined;
  return Number(match[2]);
}

/** True for the shell a package manager runs a script in (`sh -c "<script>"`): it only relays. */
function isScriptShell(pid: number): boolean {
  const argv = (proc(pid, "cmdline") ?? "").split("\0");
  return /(^|\/)(sh|bash|dash|zsh)$/.test(argv[0] ?? "") && argv[1] === "-c";
}

/**
 * The launchers to follow, nearest first: the parent, and above a script shell the one that ran it
 * (npm, pnpm, yarn). Each entry is [pid, its parent at start].
 */
export function launcherChain(): Array<[number, number]> {
  const chain: Array<[number, number]> = [];
  let child = process.pid;
  let parent: number | undefined = process.ppid;
  while (parent !== undefined && parent > 1) {
    chain.push([child, parent]);
    if (!isScriptShell(parent) || chain.length > 4) break;
    child = parent;
    parent = parentOf(child);
  }
  return chain;
}

export interface FollowOptions {
  /** How often the chain is checked (default 500 ms). */
  intervalMs?: number;
}

/**
 * Calls `onGone(description)` once, when a process that launched this one has exited. Returns a function
 * that stops watching. The timer does not keep the process alive.
 */
export function followLaunchers(onGone: (what: string) => void, opts: FollowOptions = {}): () => void {
  const chain = launcherChain();
  if (!chain.length) return () => undefined; // started by init or a container's pid 1: nothing to follow
  const timer = setInterval(() => {
    for (const [child, parent] of chain) {
      const now = child === process.pid ? process.ppid : parentOf(child);
      // A child that is itself gone broke the link above it too (it was a launcher that exited).
      if (now !== parent) {
        clearInterval(timer);
        onGone(`the process that started the stack (pid ${parent}) exited`);
        return;
      }
    }
  }, opts.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
