// Transactions as GoTrue runs them: one per request step, as the role that owns the auth schema.
import type pg from "pg";

/** A connection inside a transaction (or the pool for single reads). */
export type Db = pg.Pool | pg.PoolClient;

/**
 * Thrown from inside `transaction` when GoTrue commits and still fails the request
 * (storage.NewCommitWithError, e.g. revoking a refresh-token family on reuse).
 */
export class CommitThenThrow extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

/**
 * Runs `fn` in a transaction as `supabase_auth_admin`, the role GoTrue connects as, so triggers on
 * auth tables (e.g. Parley's profile trigger) see the same `current_user` as on Supabase.
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("begin");
    await client.query("set local role supabase_auth_admin");
    let result: T;
    try {
      result = await fn(client);
    } catch (e) {
      if (e instanceof CommitThenThrow) {
        await client.query("commit");
        throw e.error;
      }
      await client.query("rollback").catch((err: Error) => (broken = err));
      throw e;
    }
    await client.query("commit");
    return result;
  } finally {
    client.release(broken);
  }
}
