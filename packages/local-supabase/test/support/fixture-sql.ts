// Superuser SQL for fixtures: one transaction on a pooled connection, and fixture DDL shared by suites
// running in parallel, run once at a time under an advisory lock, so `create … if not exists` and
// `if not exists (select … from pg_policies)` guards see each other's work.
import type pg from "pg";

/** Runs `work` in one transaction on a pooled connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query("begin");
    await work(c);
    await c.query("commit");
  } catch (e) {
    await c.query("rollback");
    throw e;
  } finally {
    c.release();
  }
}

/** Runs `sql` (idempotent DDL) in one transaction holding the advisory lock named `lock`. */
export async function installFixture(pool: pg.Pool, lock: string, sql: string): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query("select pg_advisory_xact_lock(hashtext($1))", [lock]);
    await c.query(sql);
  });
}
