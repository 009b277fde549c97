// GET/HEAD on a table or view: one read-only statement that builds the JSON (or CSV) body in PostgreSQL.
import type { Handling } from "./respond.ts";
import { execute, readResponse } from "./respond.ts";
import type { Table } from "./schema-cache.ts";
import {
  buildLevel,
  checkConsumed,
  countQuery,
  levelQuery,
  newContext,
  wrapRows,
  type BodyShape,
  type LevelSql,
  type Source,
} from "./select.ts";
import { ident, Params, qident } from "./sql.ts";

/** Top-level offset and limit from `offset`/`limit`, the Range header and max_rows. */
export function paging(
  h: Handling,
  level: Pick<LevelSql, "limit" | "offset">,
): { offset: number; limit: number | undefined } {
  const offset = level.offset ?? h.range?.offset ?? 0;
  let limit = level.limit;
  if (h.range?.limit !== undefined) limit = limit === undefined ? h.range.limit : Math.min(limit, h.range.limit);
  const max = h.config.maxRows;
  if (max > 0) limit = limit === undefined ? max : Math.min(limit, max);
  return { offset, limit };
}

export function shapeFor(h: Handling, head: boolean, singular = h.media === "object"): BodyShape {
  if (head) return "none";
  if (h.media === "csv") return "csv";
  return singular ? "object" : "array";
}

/** Reads rows of `source` (already aliased in `from`) with the request's select, filters, order and paging. */
export async function readFrom(
  h: Handling,
  src: Source,
  from: string,
  params: Params,
  head: boolean,
  opts: {
    readOnly: boolean;
    singularResult?: boolean;
    /** `with … ` evaluated once, e.g. a function call the count also reads. */
    cte?: string;
    /** handling=strict with max-affected (RPC results): more rows than this is PGRST124, rolled back. */
    maxAffected?: number;
    /** Extra Preference-Applied values (RPC: handling, max-affected). */
    applied?: string[];
  },
): Promise<Response> {
  const ctx = newContext(h.cache, params, h.query);
  const level = buildLevel(ctx, src, h.query.select, []);
  checkConsumed(ctx);
  const { offset, limit } = paging(h, level);
  const rows = levelQuery(level, from, limit, offset);
  const max = h.config.maxRows;
  // exact: count(*); planned: the planner's estimate; estimated: exact up to max_rows, planned beyond.
  const mode = h.prefs.count;
  const count =
    mode === "exact"
      ? countQuery(level, from)
      : mode === "estimated"
        ? countQuery(level, from, max > 0 ? max + 1 : undefined)
        : null;
  const cte = opts.cte ?? "";
  const plan =
    mode === "planned" || (mode === "estimated" && max > 0)
      ? { sql: cte + levelQuery(level, from), when: (total: number | null) => mode === "planned" || (total ?? 0) > max }
      : undefined;
  const singular = h.media === "object" || opts.singularResult === true;
  const sql = wrapRows(rows, count, shapeFor(h, head, singular), h.stripNulls, cte);
  const { rows: result, overrides } = await execute(h, sql, params, {
    readOnly: opts.readOnly,
    singular: h.media === "object",
    plan,
    maxAffected: opts.maxAffected,
  });
  return readResponse(h, result, overrides, offset, head, opts.applied);
}

export async function readTable(h: Handling, table: Table, head: boolean): Promise<Response> {
  const src: Source = { alias: table.name, relationName: table.name, columns: table.columns, table };
  return readFrom(h, src, `${qident(table.schema, table.name)} as ${ident(table.name)}`, new Params(), head, {
    readOnly: true,
  });
}
