// The outcome of one test layer, summed into the final `N passed, N failed` line, and how layers run their tools.
import { execFileSync, spawn } from "node:child_process";
export interface LayerResult {
  name: string;
  passed: number;
  failed: number;
  failures: string[];
}

/** Runs a command to completion, echoing each output line; resolves with its exit code and all it printed. */
export function runEchoing(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; print: (l: string) => void },
): Promise<{ code: number; text: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let text = "";
    const take = (d: Buffer) => {
      text += d;
      for (const line of d.toString().split("\n")) if (line.trim()) opts.print(line);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, text }));
  });
}

/** `apt-get <args>`, refreshing Debian's package lists once (apt-get update) when the first try fails. */
export function aptGet(args: string[], cwd: string | undefined, log: (m: string) => void): void {
  const once = () =>
    execFileSync("apt-get", args, { cwd, stdio: "pipe", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  try {
    once();
  } catch {
    log("refreshing Debian's package lists (apt-get update)");
    execFileSync("apt-get", ["update"], { stdio: "pipe" });
    once();
  }
}
