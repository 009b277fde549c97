// Postgres Changes subscriptions: a binding validated as Realtime's subscription insert does, and the published tables it covers.
import type pg from "pg";
import type { PgSubscriber } from "./core.ts";
import { FilterError, parseFilter, type Binding, type Condition } from "./filters.ts";

export interface Subscription {
  subscriber: PgSubscriber;
  binding: Binding;
  conditions: Condition[];
  /** `schema.table` of every published table the binding matched at subscribe time. */
  tables: Set<string>;
  /** Only transactions committed after the subscription existed are delivered. */
  fromLsn: bigint;
}

const likePattern = (s: string): string => (s === "*" ? "%" : s);

export class SubscribeError extends Error {}

function describe(b: Binding, conditions: string): string {
  return `[event: ${b.event}, schema: ${b.schema}, table: ${b.table}, filters: ${conditions}, select: ${b.select ? JSON.stringify(b.select) : "nil"}]`;
}

/** Validates one binding as Realtime's subscription insert does, and finds the published tables it covers. */
export async function prepareSubscription(db: pg.Pool, s: PgSubscriber, b: Binding): Promise<Subscription> {
  if (b.schema === "" && b.table === "*")
    throw new SubscribeError(
      `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${describe(b, "[]")}`,
    );
  if (b.select && (b.schema === "*" || b.table === "*"))
    throw new SubscribeError(
      "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.",
    );
  let conditions: Condition[];
  try {
    conditions = parseFilter(b.filter);
  } catch (e) {
    if (e instanceof FilterError) throw new SubscribeError(e.message);
    throw e;
  }
  const shown = JSON.stringify(conditions.map((c) => [c.column, c.op, c.value]));
  const { rows } = await db.query<{ schemaname: string; tablename: string }>(
    `select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime' and schemaname like $1 and tablename like $2`,
    [likePattern(b.schema), likePattern(b.table)],
  );
  if (rows.length === 0)
    throw new SubscribeError(
      `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${describe(b, shown)}`,
    );
  try {
    const role = await db.query(`select 1 from pg_roles where rolname = $1`, [s.caller.role]);
    if (role.rowCount === 0) throw new Error(`role "${s.caller.role}" does not exist`);
    for (const t of rows) {
      for (const c of conditions) {
        const col = await db.query<{ type: string }>(
          `select format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
            where a.attrelid = format('%I.%I', $1::text, $2::text)::regclass and a.attname = $3 and a.attnum > 0 and not a.attisdropped`,
          [t.schemaname, t.tablename, c.column],
        );
        if (!col.rows[0]) throw new Error(`invalid column for filter ${c.column}`);
        // The value must cast to the column's type, as in Realtime's subscription check.
        const values = Array.isArray(c.value)
          ? c.value
          : ["is", "like", "ilike", "match", "imatch"].includes(c.op)
            ? []
            : [c.value];
        for (const v of values) await db.query(`select $1::text::${col.rows[0].type}`, [v]);
      }
    }
  } catch (e) {
    throw new SubscribeError(
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${describe(b, shown)}. Exception: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return {
    subscriber: s,
    binding: b,
    conditions,
    tables: new Set(rows.map((r) => `${r.schemaname}.${r.tablename}`)),
    fromLsn: 0n,
  };
}
