// Catalog and visibility facts Postgres Changes needs per change: table RLS and key, column privileges, row visibility as a subscriber.
import type pg from "pg";
import type { Caller } from "../caller.ts";
import type { Row } from "./replication.ts";

export interface TableInfo {
  rls: boolean;
  pk: string[];
}

const quoteIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** Whether the table has RLS on, and its primary-key columns. */
export async function tableInfo(db: pg.Pool, schema: string, table: string): Promise<TableInfo | undefined> {
  const { rows } = await db.query<{ rls: boolean; pk: string[] }>(
    `select c.relrowsecurity as rls,
            array(select a.attname::text from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                   where i.indrelid = c.oid and i.indisprimary order by a.attnum) as pk
       from pg_class c where c.oid = format('%I.%I', $1::text, $2::text)::regclass`,
    [schema, table],
  );
  return rows[0];
}

/** Columns the role may SELECT (column privileges), as Realtime filters them per role. */
export async function selectableColumns(
  db: pg.Pool,
  role: string,
  schema: string,
  table: string,
): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>(
    `select a.attname::text as name from pg_attribute a
      where a.attrelid = format('%I.%I', $2::text, $3::text)::regclass and a.attnum > 0 and not a.attisdropped
        and has_column_privilege($1::text, a.attrelid, a.attname::text, 'SELECT')`,
    [role, schema, table],
  );
  return new Set(rows.map((r) => r.name));
}

/** Whether the row with these key values is visible to the subscriber right now. */
export async function visible(
  db: pg.Pool,
  caller: Caller,
  schema: string,
  table: string,
  pk: string[],
  row: Row,
): Promise<boolean> {
  const client = await db.connect();
  let broken = false;
  try {
    await client.query("begin");
    await client.query(`set local role ${quoteIdent(caller.role)}`);
    await client.query(
      `select set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), set_config('request.jwt.claim.role', $3, true)`,
      [JSON.stringify(caller.claims), caller.sub ?? "", caller.role],
    );
    const where = pk.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(" and ");
    const { rows } = await client.query<{ visible: boolean }>(
      `select exists(select 1 from ${quoteIdent(schema)}.${quoteIdent(table)} where ${where}) as visible`,
      pk.map((c) => row[c] ?? null),
    );
    return rows[0]?.visible === true;
  } catch {
    return false;
  } finally {
    await client.query("rollback").catch(() => {
      broken = true;
    });
    client.release(broken);
  }
}
