// Running the one statement of a request and turning its (total, page_total, body) row into PostgREST's response.
import type pg from "pg";
import type { StackConfig } from "../../config.ts";
import { errors } from "./errors.ts";
import type { Media, Preferences } from "./negotiate.ts";
import type { ParsedQuery } from "./query-params.ts";
import type { SchemaCache } from "./schema-cache.ts";
import type { Params } from "./sql.ts";
import { inRequestTransaction, type RequestContext, type ResponseOverrides } from "./transaction.ts";

/** Everything a handler needs about the request. */
export interface Handling {
  db: pg.Pool;
  cache: SchemaCache;
  config: StackConfig;
  rc: RequestContext;
  prefs: Preferences;
  media: Media;
  stripNulls: boolean;
  query: ParsedQuery;
  url: URL;
  method: string;
  range?: { offset: number; limit?: number };
}

export interface RowsResult {
  total: number | null;
  pageTotal: number;
  body: string | null;
}

export interface ExecOptions {
  readOnly: boolean;
  /** Singular media: anything but one row is a 406 and rolls back. */
  singular: boolean;
  /** handling=strict with max-affected: more rows is a 400 and rolls back. */
  maxAffected?: number;
  /** Planned counts: EXPLAIN this query and use its row estimate as the total when `when` says so. */
  plan?: { sql: string; when: (exactOrNull: number | null) => boolean };
}

/** Executes the statement in the request's transaction, enforcing the singular and max-affected rules. */
export async function execute(
  h: Handling,
  sql: string,
  params: Params,
  opts: ExecOptions,
): Promise<{ rows: RowsResult; overrides: ResponseOverrides }> {
  let violation: Error | undefined;
  const { result, overrides } = await inRequestTransaction(
    h.db,
    h.cache,
    h.rc,
    {
      readOnly: opts.readOnly,
      rollbackIf: () => violation !== undefined,
    },
    async (client) => {
      const r = await client.query<{ total: string | null; page_total: string; body: string | null }>(
        sql,
        params.values,
      );
      const row = r.rows[0];
      const rows: RowsResult = {
        total: row?.total == null ? null : Number(row.total),
        pageTotal: Number(row?.page_total ?? 0),
        body: row?.body ?? null,
      };
      if (opts.plan && opts.plan.when(rows.total)) {
        const explained = await client.query<{ "QUERY PLAN": Array<{ Plan: { "Plan Rows": number } }> }>(
          `explain (format json) ${opts.plan.sql}`,
          params.values,
        );
        rows.total = Math.round(explained.rows[0]?.["QUERY PLAN"][0]?.Plan["Plan Rows"] ?? 0);
      }
      if (opts.singular && rows.pageTotal !== 1) violation = errors.singular(rows.pageTotal);
      else if (opts.maxAffected !== undefined && rows.pageTotal > opts.maxAffected)
        violation = errors.maxAffected(rows.pageTotal);
      return rows;
    },
  );
  if (violation) throw violation;
  return { rows: result, overrides };
}

export function contentType(media: Media): string {
  switch (media) {
    case "object":
      return "application/vnd.pgrst.object+json; charset=utf-8";
    case "csv":
      return "text/csv; charset=utf-8";
    default:
      return "application/json; charset=utf-8";
  }
}

/** `first-last/total` as PostgREST writes Content-Range. */
export function contentRange(offset: number, rows: number, total: number | null): string {
  const t = total === null ? "*" : String(total);
  if (rows === 0 || total === 0) return `*/${t}`;
  return `${offset}-${offset + rows - 1}/${t}`;
}

/** Common response headers: profile, preferences applied, response GUC overrides. */
export function baseHeaders(h: Handling, applied: string[]): Headers {
  const headers = new Headers();
  if (h.config.schemas.length > 1) headers.set("content-profile", h.rc.schema);
  if (applied.length) headers.set("preference-applied", applied.join(", "));
  return headers;
}

export function applyOverrides(status: number, headers: Headers, o: ResponseOverrides): number {
  for (const [k, v] of o.headers) headers.set(k, v);
  return o.status ?? status;
}

/** A read's response: 200, 206 when partial, 416 when the offset is past the total. */
export function readResponse(
  h: Handling,
  rows: RowsResult,
  overrides: ResponseOverrides,
  offset: number,
  head: boolean,
  extra: string[] = [],
): Response {
  const applied = [...(h.prefs.count ? [`count=${h.prefs.count}`] : []), ...extra];
  const headers = baseHeaders(h, applied);
  headers.set("content-range", contentRange(offset, rows.pageTotal, rows.total));
  headers.set("content-type", contentType(h.media));
  let status = 200;
  if (rows.total !== null) {
    if (offset > rows.total && offset > 0)
      throw errors.range(`An offset of ${offset} was requested, but there are only ${rows.total} rows.`);
    if (rows.pageTotal < rows.total) status = 206;
  }
  status = applyOverrides(status, headers, overrides);
  return new Response(head ? null : (rows.body ?? ""), { status, headers });
}
