// CPU time of the Postgres backends serving the bench's connections, read from /proc/<pid>/stat (user +
// system time): what each kind of write costs the database itself, beside the throughput the send stage
// measures, and a way to tell a slower statement from a busier machine. It is not noise-free: with both
// cores saturated the same statement's CPU time varies with what runs on the other core (per-round
// ratios spread about as widely as the throughput's; docs/performance.md). Only readable when the
// database runs on this machine (the private stack, or an adopted local `npm run dev`); elsewhere every
// reading is undefined and the figures say so.
import { readFileSync } from "node:fs";
import type pg from "pg";

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** The backend process id of each connection. */
export async function backendPids(clients: pg.Client[]): Promise<number[]> {
  return Promise.all(
    clients.map(async (c) => (await c.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid),
  );
}

/** User + system CPU of one process so far, in milliseconds; undefined when /proc does not show it. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is parenthesised and may contain spaces: utime is field 14,
    // stime field 15 of the whole line, i.e. the 12th and 13th after ") ".
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
