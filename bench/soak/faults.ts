// The soak's faults: each is injected, lasts a while, ends, and the run measures how long after its end
// the system is whole again (sends commit, every subscriber joined again and caught up, functions answer).
import type pg from "pg";
import type { SendStats, SoakClient, Subscriber } from "./clients.ts";
import type { SoakStack } from "./stack.ts";

export const FAULT_KINDS = ["slow-database", "crash-postgres", "drop-realtime", "kill-functions"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultContext {
  stack: SoakStack;
  db: pg.Pool;
  subscribers: Subscriber[];
  stats: SendStats;
  users: Array<{ client: SoakClient }>;
  now: () => number;
  slowMs: number;
  timeoutMs: number;
}

export interface FaultResult {
  kind: FaultKind;
  /** When it was injected, ms since the run's epoch. */
  injectedAt: number;
  /** From injection until the fault itself was over (restart done, lock released, connections cut). */
  faultMs: number;
  /** From the fault's end until everything worked again; -1 when it never did within the limit. */
  recoveryMs: number;
  survived: boolean;
  /** The end of the window whose sends are left out of the latency figures. */
  recoveredAt: number;
  note: string;
  detail: Record<string, unknown>;
}

const RECOVERY_LIMIT_MS = 60_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A call of the `call-token` function that the function itself answered (a 4xx for the empty body counts). */
async function functionAnswers(ctx: FaultContext): Promise<boolean> {
  const { data } = await ctx.users[0]!.client.auth.getSession();
  try {
    const res = await fetch(`${ctx.stack.apiUrl}/functions/v1/call-token`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${data.session?.access_token}`,
        apikey: ctx.stack.anonKey,
        "Content-Type": "application/json",
      },
      body: "{}",
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/** Auth (the signed-in user) and Storage (the bucket list) answer from the database again. */
async function servicesAnswer(ctx: FaultContext): Promise<boolean> {
  const { data } = await ctx.users[0]!.client.auth.getSession();
  const get = async (path: string, token: string) => {
    try {
      const res = await fetch(`${ctx.stack.apiUrl}${path}`, {
        headers: { Authorization: `Bearer ${token}`, apikey: ctx.stack.anonKey },
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  };
  return (
    (await get("/auth/v1/user", data.session?.access_token ?? "")) &&
    (await get("/storage/v1/bucket", ctx.stack.serviceRoleKey))
  );
}

/** Holds a lock every send needs (reads still work) for `ms`, so sends time out client-side and retry. */
async function holdSendLock(db: pg.Pool, ms: number): Promise<void> {
  const client = await db.connect();
  try {
    await client.query("begin");
    await client.query("lock table parley.messages in share mode");
    await client.query("select pg_sleep($1)", [ms / 1000]);
    await client.query("commit");
  } finally {
    client.release();
  }
}

export async function runFault(kind: FaultKind, ctx: FaultContext): Promise<FaultResult> {
  const injectedAt = ctx.now();
  const timeoutsBefore = ctx.stats.retries.timeout;
  let detail: Record<string, unknown> = {};
  let healthy: () => boolean | Promise<boolean>;
  // Every send the fault held up (started before its end) is acknowledged.
  const backlogClearedBefore = (t: number) => () => ![...ctx.stats.inFlight.values()].some((started) => started < t);
  const everyoneBackSince = (t: number) => () => ctx.subscribers.every((s) => s.joined && s.upAt >= t);
  switch (kind) {
    case "crash-postgres": {
      detail = await ctx.stack.command("crash-postgres");
      const cleared = backlogClearedBefore(ctx.now());
      const back = everyoneBackSince(injectedAt);
      // Sends, every subscriber, Auth, Storage and the functions work again.
      healthy = async () => cleared() && back() && (await servicesAnswer(ctx)) && (await functionAnswers(ctx));
      break;
    }
    case "drop-realtime":
      detail = await ctx.stack.command("drop-realtime");
      healthy = everyoneBackSince(injectedAt);
      break;
    case "kill-functions":
      if (!(await functionAnswers(ctx)))
        return {
          kind,
          injectedAt,
          faultMs: 0,
          recoveryMs: -1,
          survived: false,
          recoveredAt: ctx.now(),
          note: "the function did not answer before the fault",
          detail,
        };
      detail = await ctx.stack.command("kill-functions");
      healthy = () => functionAnswers(ctx);
      break;
    case "slow-database": {
      await holdSendLock(ctx.db, ctx.slowMs);
      healthy = backlogClearedBefore(ctx.now());
      break;
    }
  }
  const faultEnd = ctx.now();
  while (!(await healthy()) && ctx.now() - faultEnd < RECOVERY_LIMIT_MS) await sleep(50);
  const recoveredAt = ctx.now();
  const survived = recoveredAt - faultEnd < RECOVERY_LIMIT_MS;
  if (kind === "slow-database")
    detail = { lockMs: ctx.slowMs, clientTimeouts: ctx.stats.retries.timeout - timeoutsBefore };
  return {
    kind,
    injectedAt,
    faultMs: faultEnd - injectedAt,
    recoveryMs: survived ? recoveredAt - faultEnd : -1,
    survived,
    recoveredAt,
    note: survived ? "" : `not whole again within ${RECOVERY_LIMIT_MS / 1000} s`,
    detail,
  };
}
