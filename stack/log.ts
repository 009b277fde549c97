// Human-readable logs: a time, the service that acted, and what it did.
import type { Log } from "./gateway/types.ts";

const COLORS: Record<string, number> = { postgres: 34, migrate: 36, gateway: 37, rest: 32, auth: 33, storage: 35, functions: 31, realtime: 96, stack: 97 };
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

/** Returns a logger for one service; set PARLEY_QUIET=1 to silence everything but errors. */
export function logFor(service: string): Log {
  const tag = service.padEnd(9);
  const colored = useColor ? `\x1b[${COLORS[service] ?? 37}m${tag}\x1b[0m` : tag;
  return (message: string) => {
    if (process.env.PARLEY_QUIET === "1") return;
    const time = new Date().toISOString().slice(11, 23);
    for (const line of message.split("\n")) process.stdout.write(`${time} ${colored} ${line}\n`);
  };
}
