// Shared by the pg_cron and pg_net suites: a superuser pool, unique names, waiting on database state,
// and a local HTTP server that records what it receives.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { stackEnv } from "../support/env.ts";

/** A superuser pool on the stack's database (the one the scheduler and the worker serve). */
export const newPool = (): pg.Pool => new pg.Pool({ connectionString: stackEnv.dbUrl, max: 10 });

/** A lower-case identifier no other test uses. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;

/**
 * Resolves with the first truthy value `probe` returns, checking every 50 ms: the scheduler and the
 * worker act on their own time, so a test waits for their effect, up to `timeoutMs`.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One request as the recording server saw it. */
export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server that records every request and answers through `answer` (default 200 "ok"). */
export async function recordingServer(
  answer: (req: Received, res: http.ServerResponse) => void = (_req, res) => res.end("ok"),
): Promise<{
  url: string;
  received: Received[];
  next: (match: (r: Received) => boolean, timeoutMs?: number) => Promise<Received>;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    next: (match, timeoutMs = 10_000) =>
      until("a request at the recording server", async () => received.find(match), timeoutMs),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
