// Human-readable logs: a time, the service that acted, and what it did.
import { appendFileSync } from "node:fs";
import type { Log } from "./gateway/types.ts";

const COLORS: Record<string, number> = {
  postgres: 34,
  migrate: 36,
  gateway: 37,
  rest: 32,
  auth: 33,
  storage: 35,
  functions: 31,
  realtime: 96,
  stack: 97,
  cron: 94,
  net: 92,
};

let stream: "stdout" | "stderr" = "stdout";

/** Sends log lines to stderr instead of stdout (`npm run dev -- --json` keeps stdout for the JSON status). */
export function setLogStream(target: "stdout" | "stderr"): void {
  stream = target;
}

/**
 * Returns a logger for one service. PARLEY_LOG_FILE sends lines to that file instead of stdout
 * (the test runner does this); PARLEY_QUIET=1 drops them.
 */
export function logFor(service: string): Log {
  const tag = service.padEnd(9);
  const file = process.env.PARLEY_LOG_FILE;
  const colored =
    process[stream].isTTY && !process.env.NO_COLOR && !file ? `\x1b[${COLORS[service] ?? 37}m${tag}\x1b[0m` : tag;
  return (message: string) => {
    if (process.env.PARLEY_QUIET === "1") return;
    const time = new Date().toISOString().slice(11, 23);
    const text = message
      .split("\n")
      .map((line) => `${time} ${colored} ${line}\n`)
      .join("");
    if (file) appendFileSync(file, text);
    else process[stream].write(text);
  };
}
