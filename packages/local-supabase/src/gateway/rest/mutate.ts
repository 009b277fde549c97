// POST (insert/upsert), PATCH (update) and DELETE on a table, with PostgREST's RETURNING shapes and statuses.
import { stringifyJson } from "../json.ts";
import { ApiError, errors } from "./errors.ts";
import { parseJsonBody } from "./payload.ts";
import type { Scoped } from "./query-params.ts";
import { applyOverrides, baseHeaders, contentRange, contentType, execute, type Handling } from "./respond.ts";
import type { Table } from "./schema-cache.ts";
import { buildLevel, checkConsumed, levelQuery, newContext, wrapRows, type Source } from "./select.ts";
import { ident, Params, qident } from "./sql.ts";

type Row = Record<string, unknown>;

/** Columns to write: `columns=` or the payload's keys (which must match across rows), all checked against the table. */
function payloadColumns(h: Handling, table: Table, rows: Row[]): string[] {
  let cols: string[];
  if (h.query.columns) cols = h.query.columns;
  else {
    cols = Object.keys(rows[0] ?? {});
    for (const r of rows.slice(1)) {
      const keys = Object.keys(r);
      if (keys.length !== cols.length || !keys.every((k) => cols.includes(k)))
        throw errors.invalidBody("All object keys must match");
    }
  }
  for (const c of cols) if (!table.columns.some((x) => x.name === c)) throw errors.columnNotFound(c, table.name);
  return cols;
}

/** The statement's RETURNING list and the SQL that shapes its rows for the response. */
function returning(
  h: Handling,
  table: Table,
  params: Params,
): { clause: string; rowsSql: (cte: string) => string; body: boolean } {
  const ret = h.prefs.return ?? "minimal";
  if (ret === "minimal") return { clause: "returning 1", rowsSql: (cte) => `select 1 from ${cte}`, body: false };
  // The representation is shaped from the affected rows by the select list (embeds allowed); top-level filters already applied.
  const scopes = new Map(h.query.scopes);
  const top: Scoped = scopes.get("") ?? { filters: [], logic: [] };
  scopes.set("", { filters: [], logic: [], order: top.order });
  const query = { ...h.query, scopes };
  if (ret === "headers-only")
    query.select = table.pk.map((c) => ({ type: "field" as const, field: { name: c, json: [] } }));
  const ctx = newContext(h.cache, params, query);
  const src: Source = { alias: table.name, relationName: table.name, columns: table.columns, table };
  const level = buildLevel(ctx, src, query.select, []);
  checkConsumed(ctx);
  // Like PostgREST, RETURN only what the response needs (selected, joined-on and ordered columns, plus the primary key),
  // so column-level SELECT grants behave as on Supabase.
  const needed = table.columns.filter((c) => level.uses.has(c.name) || table.pk.includes(c.name));
  const list = needed.length ? needed.map((c) => `${ident(table.name)}.${ident(c.name)}`).join(", ") : "1";
  return {
    clause: `returning ${list}`,
    rowsSql: (cte) => levelQuery(level, `${cte} as ${ident(table.name)}`),
    body: ret === "representation",
  };
}

/** WHERE of PATCH/DELETE from the top-level filters. */
function whereOf(h: Handling, table: Table, params: Params): string {
  const scopes = new Map([["", h.query.scopes.get("") ?? { filters: [], logic: [] }]]);
  const ctx = newContext(h.cache, params, { ...h.query, scopes });
  const level = buildLevel(ctx, { alias: table.name, relationName: table.name, columns: table.columns, table }, [], []);
  const where = level.where.length ? ` where ${level.where.join(" and ")}` : "";
  if (level.limit === undefined && level.offset === undefined) return where;
  // A limited update/delete (`order` + `limit`): only the first rows of the filtered, ordered set are touched.
  if (table.kind !== "r" && table.kind !== "p")
    throw errors.notImplemented("limit/offset on PATCH or DELETE of a view");
  const t = `${qident(table.schema, table.name)} as ${ident(table.name)}`;
  const order = level.order.length ? ` order by ${level.order.join(", ")}` : "";
  const page = `${level.limit !== undefined ? ` limit ${level.limit}` : ""}${level.offset ? ` offset ${level.offset}` : ""}`;
  return ` where ${ident(table.name)}.ctid = any(array(select ${ident(table.name)}.ctid from ${t}${where}${order}${page}))`;
}

async function run(
  h: Handling,
  table: Table,
  statement: string,
  params: Params,
  ret: ReturnType<typeof returning>,
  kind: "insert" | "put" | "update" | "delete",
): Promise<Response> {
  const singular = h.media === "object" && ret.body;
  const headersOnly = h.prefs.return === "headers-only";
  const shape = ret.body ? (h.media === "csv" ? "csv" : singular ? "object" : "array") : headersOnly ? "array" : "none";
  const sql = wrapRows(ret.rowsSql("pgrst_source"), null, shape, h.stripNulls, `with pgrst_source as (${statement}) `);
  const maxAffected = h.prefs.handling === "strict" ? h.prefs.maxAffected : undefined;
  const { rows, overrides } = await execute(h, sql, params, { readOnly: false, singular, maxAffected });
  const applied: string[] = [];
  if (h.prefs.return) applied.push(`return=${h.prefs.return}`);
  if (h.prefs.count) applied.push(`count=${h.prefs.count}`);
  if (kind === "insert" && h.prefs.resolution && (table.pk.length || h.query.onConflict))
    applied.push(`resolution=${h.prefs.resolution}`);
  if (kind === "insert" && h.prefs.missing) applied.push(`missing=${h.prefs.missing}`);
  if (maxAffected !== undefined) applied.push("handling=strict", `max-affected=${maxAffected}`);
  const headers = baseHeaders(h, applied);
  const total = h.prefs.count ? rows.pageTotal : null;
  headers.set("content-range", kind === "insert" ? `*/${total ?? "*"}` : contentRange(0, rows.pageTotal, total));
  if (kind === "insert" && headersOnly && rows.pageTotal === 1 && rows.body) {
    const first = (JSON.parse(rows.body) as Row[])[0] ?? {};
    const qs = table.pk.map((c) => `${encodeURIComponent(c)}=eq.${encodeURIComponent(String(first[c]))}`).join("&");
    headers.set("location", `/${table.name}${qs ? `?${qs}` : ""}`);
  }
  let status =
    kind === "insert"
      ? overrides.inserted === 0
        ? 200
        : 201
      : kind === "put"
        ? !ret.body
          ? 204
          : overrides.inserted === 0
            ? 200
            : 201
        : ret.body
          ? 200
          : 204;
  if (ret.body) headers.set("content-type", contentType(h.media));
  status = applyOverrides(status, headers, overrides);
  return new Response(ret.body ? (rows.body ?? "[]") : null, { status, headers });
}

export async function insert(
  h: Handling,
  table: Table,
  raw: string,
  kind: "insert" | "put" = "insert",
): Promise<Response> {
  const parsed = raw.trim() ? parseJsonBody(raw) : undefined;
  if (parsed === undefined || parsed === null || typeof parsed !== "object")
    throw errors.invalidBody("Empty or invalid json");
  const rows = (Array.isArray(parsed) ? parsed : [parsed]) as Row[];
  if (rows.some((r) => !r || typeof r !== "object" || Array.isArray(r)))
    throw errors.invalidBody("Empty or invalid json");
  const cols = payloadColumns(h, table, rows);
  const params = new Params();
  const t = qident(table.schema, table.name);
  const body = params.add(stringifyJson(rows), "json");
  const values = cols.map((c) => {
    const col = table.columns.find((x) => x.name === c)!;
    const v = `_p.${ident(c)}`;
    // missing=default: a key absent from a row takes the column default; an explicit null stays null.
    if (h.prefs.missing === "default" && col.default !== null)
      return `case when _e.j::jsonb ? ${params.add(c, "text")} then ${v} else ${col.default} end`;
    return v;
  });
  const target = h.prefs.resolution ? (h.query.onConflict ?? table.pk) : [];
  for (const c of target) if (!table.columns.some((x) => x.name === c)) throw errors.undefinedColumn(table.name, c);
  const updates = cols.map((c) => `${ident(c)} = excluded.${ident(c)}`);
  const merging = h.prefs.resolution === "merge-duplicates" && target.length > 0 && updates.length > 0;
  // Merging upserts count inserted rows in a transaction-local GUC (+1 per row offered, -1 per row updated instead),
  // so the status can be 200 when every row already existed, as PostgREST answers.
  const counter = (op: "+" | "-", not: string) =>
    `set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) ${op} 1)::text, true) <> '${not}'`;
  let statement = `insert into ${t} as ${ident(table.name)} ${cols.length ? `(${cols.map(ident).join(", ")}) ` : ""}select ${values.join(", ")} from json_array_elements(${body}) as _e(j), lateral json_populate_record(null::${t}, _e.j) as _p${merging ? ` where ${counter("+", "0")}` : ""}`;
  if (target.length) {
    statement += ` on conflict (${target.map(ident).join(", ")}) ${merging ? `do update set ${updates.join(", ")} where ${counter("-", "-1")}` : "do nothing"}`;
  }
  const ret = returning(h, table, params);
  return run(h, table, `${statement} ${ret.clause}`, params, ret, kind);
}

export async function update(h: Handling, table: Table, raw: string): Promise<Response> {
  const parsed = raw.trim() ? parseJsonBody(raw) : {};
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw errors.invalidBody("Empty or invalid json");
  const cols = payloadColumns(h, table, [parsed as Row]);
  const params = new Params();
  const t = qident(table.schema, table.name);
  const where = whereOf(h, table, params);
  const ret = returning(h, table, params);
  if (!cols.length) {
    // An empty body updates nothing (PostgREST answers as if no row matched).
    return run(
      h,
      table,
      `select * from ${t} where false`,
      params,
      { ...ret, rowsSql: (cte) => ret.rowsSql(cte) },
      "update",
    );
  }
  const body = params.add(stringifyJson(parsed), "json");
  const sets = cols.map((c) => `${ident(c)} = _p.${ident(c)}`).join(", ");
  const statement = `update ${t} as ${ident(table.name)} set ${sets} from json_populate_record(null::${t}, ${body}) as _p${where} ${ret.clause}`;
  return run(h, table, statement, params, ret, "update");
}

export async function remove(h: Handling, table: Table): Promise<Response> {
  const params = new Params();
  const t = qident(table.schema, table.name);
  const where = whereOf(h, table, params);
  const ret = returning(h, table, params);
  return run(h, table, `delete from ${t} as ${ident(table.name)}${where} ${ret.clause}`, params, ret, "delete");
}

/** PUT: a single-row upsert addressed by `pk=eq.value` filters that the body must repeat (PGRST105/114/115 otherwise). */
export async function put(h: Handling, table: Table, raw: string): Promise<Response> {
  const top = h.query.scopes.get("") ?? { filters: [], logic: [] };
  if (top.limit !== undefined || top.offset !== undefined)
    throw new ApiError(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT");
  const byPk = new Map(
    top.filters
      .filter((f) => !f.field.json.length && f.op.op === "eq" && !f.op.negated && !f.op.quantifier)
      .map((f) => [f.field.name, f.op.value]),
  );
  if (
    !table.pk.length ||
    top.logic.length ||
    top.filters.length !== table.pk.length ||
    !table.pk.every((c) => byPk.has(c))
  ) {
    throw new ApiError(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators");
  }
  const parsed = raw.trim() ? parseJsonBody(raw) : undefined;
  const rows = Array.isArray(parsed) ? parsed : [parsed];
  const row = rows[0] as Row | undefined;
  if (rows.length !== 1 || !row || typeof row !== "object" || Array.isArray(row))
    throw errors.invalidBody("Empty or invalid json");
  if (!table.pk.every((c) => c in row && row[c] !== null && String(row[c]) === byPk.get(c))) {
    throw new ApiError(400, "PGRST115", "Payload values do not match URL in primary key column(s)");
  }
  const scopes = new Map(h.query.scopes);
  scopes.set("", { ...top, filters: [] });
  return insert(
    {
      ...h,
      prefs: { ...h.prefs, resolution: "merge-duplicates" },
      query: { ...h.query, scopes, onConflict: table.pk },
    },
    table,
    raw,
    "put",
  );
}
