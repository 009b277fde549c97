// Private-channel authorisation exactly as Realtime runs it: RLS policies on realtime.messages, probed in a rolled-back transaction.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Caller } from "../caller.ts";
import type { Log } from "../types.ts";

export type Extension = "broadcast" | "presence";

/** Who is asking about which sub-topic; `headers` become `request.headers` as Realtime sets them. */
export interface AuthContext {
  caller: Caller;
  topic: string;
  headers: Record<string, string>;
  /** The stack log: a check that failed on an SQL error says so there (the client only hears "Unauthorized"). */
  log: Log;
}

/** `42P01 relation "x" does not exist`: an SQL error's code and message, for the log. */
export function sqlError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" ? `${code} ${message}` : message;
}

/** Who asked what, for a log line: `read on private topic "room:1" as authenticated (sub …)`. */
function asking(ctx: AuthContext, what: string): string {
  return `${what} on private topic ${JSON.stringify(ctx.topic)} as ${ctx.caller.role}${ctx.caller.sub ? ` (sub ${ctx.caller.sub})` : ""}`;
}

/** The messages partition for today is missing (Realtime's `MissingPartition`). */
export class MissingPartitionError extends Error {}

/** No database connection could be had (Realtime's `UnableToConnectToProject`). */
export class DatabaseUnavailableError extends Error {}

const quoteIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** Switches the open transaction to the JWT's role and sets the settings policies read (spec §8.1). */
async function setContext(client: pg.PoolClient, ctx: AuthContext): Promise<void> {
  await client.query(`set local role ${quoteIdent(ctx.caller.role)}`);
  await client.query(
    `select set_config('realtime.topic', $1, true), set_config('request.jwt.claims', $2, true),
            set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $4, true),
            set_config('request.headers', $5, true)`,
    [ctx.topic, JSON.stringify(ctx.caller.claims), ctx.caller.sub ?? "", ctx.caller.role, JSON.stringify(ctx.headers)],
  );
}

async function inRolledBackTransaction<T>(db: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await db.connect();
  } catch (e) {
    throw new DatabaseUnavailableError(e instanceof Error ? e.message : String(e));
  }
  let broken = false;
  try {
    await client.query("begin");
    return await fn(client);
  } catch (e) {
    if ((e as { code?: string }).code === "23514" && /no partition/i.test(String((e as Error).message)))
      throw new MissingPartitionError(String(e));
    throw e;
  } finally {
    await client.query("rollback").catch(() => {
      broken = true;
    });
    client.release(broken);
  }
}

/**
 * Read permission per extension (spec §8.2): the admin inserts one probe row per extension, then the
 * JWT role selects them; a visible probe means read is allowed. A policy error counts as denied, and is
 * logged with its SQL error.
 */
export async function readPermissions(
  db: pg.Pool,
  ctx: AuthContext,
  extensions: Extension[],
): Promise<Record<Extension, boolean | undefined>> {
  const result: Record<Extension, boolean | undefined> = { broadcast: undefined, presence: undefined };
  const probes = extensions.map((extension) => ({ id: randomUUID(), extension }));
  try {
    await inRolledBackTransaction(db, async (c) => {
      for (const p of probes) {
        await c.query(
          `insert into realtime.messages (id, topic, extension, inserted_at, updated_at) values ($1, $2, $3, now(), now())`,
          [p.id, ctx.topic, p.extension],
        );
      }
      await setContext(c, ctx);
      const seen = await c.query<{ id: string }>(`select id from realtime.messages where id = any($1::uuid[])`, [
        probes.map((p) => p.id),
      ]);
      const ids = new Set(seen.rows.map((r) => r.id));
      for (const p of probes) result[p.extension] = ids.has(p.id);
    });
  } catch (e) {
    if (e instanceof MissingPartitionError || e instanceof DatabaseUnavailableError) throw e;
    ctx.log(`${asking(ctx, `${extensions.join(" and ")} read check`)} failed, refused: ${sqlError(e)}`);
    for (const p of probes) result[p.extension] = false;
  }
  return result;
}

/**
 * Write permission for one extension (spec §8.3): the JWT role inserts a row in a rolled-back
 * transaction; a row-level-security refusal (42501) means no. Other errors also deny. Either way the
 * log says why, with the SQL error.
 */
export async function writePermission(db: pg.Pool, ctx: AuthContext, extension: Extension): Promise<boolean> {
  try {
    return await inRolledBackTransaction(db, async (c) => {
      await setContext(c, ctx);
      await c.query(
        `insert into realtime.messages (topic, extension, inserted_at, updated_at) values ($1, $2, now(), now())`,
        [ctx.topic, extension],
      );
      return true;
    });
  } catch (e) {
    const refused = (e as { code?: unknown }).code === "42501";
    ctx.log(
      `${asking(ctx, `${extension} write`)} ${refused ? "refused by policy" : "check failed, refused"}: ${sqlError(e)}`,
    );
    return false;
  }
}
