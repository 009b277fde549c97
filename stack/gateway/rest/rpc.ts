// /rpc/<fn>: overload resolution by argument names, named-argument calls, result shaping like PostgREST.
import { stringifyJson } from "../json.ts";
import { ApiError, errors } from "./errors.ts";
import { parseJsonBody } from "./payload.ts";
import { readFrom, paging } from "./read.ts";
import { baseHeaders, applyOverrides, execute, readResponse, type Handling } from "./respond.ts";
import { closest } from "./did-you-mean.ts";
import { qualified, type DbFunction } from "./schema-cache.ts";
import { arrayLiteral, ident, Params, qident } from "./sql.ts";

type Args = Map<string, unknown>;

function notFound(h: Handling, name: string, keys: string[]): ApiError {
  const q = `${h.rc.schema}.${name}`;
  const names = [...h.cache.functions.keys()].filter((k) => k.startsWith(`${h.rc.schema}.`)).map((k) => k.slice(h.rc.schema.length + 1));
  const suggestion = closest(name, names);
  const sorted = [...keys].sort();
  return new ApiError(
    404,
    "PGRST202",
    keys.length ? `Could not find the function ${q}(${sorted.join(", ")}) in the schema cache` : `Could not find the function ${q} without parameters in the schema cache`,
    keys.length
      ? `Searched for the function ${q} with parameters ${sorted.join(", ")} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`
      : `Searched for the function ${q} without parameters, but no matches were found in the schema cache.`,
    suggestion ? `Perhaps you meant to call the function ${h.rc.schema}.${suggestion}` : null,
  );
}

/** A body sent as is to a single unnamed text/xml/bytea parameter. */
export interface RawBody {
  type: "text" | "xml" | "bytea";
  value: string | Buffer;
}

/** Chooses the overload whose parameter names fit the given keys (PostgREST's rule), or the single-unnamed-argument fallback. */
function resolve(h: Handling, name: string, keys: string[], post: boolean, raw?: RawBody): { fn: DbFunction; single: boolean } {
  const fns = h.cache.functions.get(qualified(h.rc.schema, name)) ?? [];
  const matches = fns.filter((f) => {
    if (!f.args.length) return keys.length === 0;
    if (f.args.some((a) => !a.name)) return false;
    const names = f.args.map((a) => a.name);
    return keys.every((k) => names.includes(k)) && f.args.every((a) => a.hasDefault || keys.includes(a.name));
  });
  if (raw) {
    const single = fns.filter((f) => f.args.length === 1 && !f.args[0]!.name && f.args[0]!.type === raw.type);
    if (single.length === 1) return { fn: single[0]!, single: true };
    throw notFound(h, name, []);
  }
  if (matches.length === 1) return { fn: matches[0]!, single: false };
  if (matches.length > 1) {
    const sig = (f: DbFunction) => `${f.schema}.${f.name}(${f.args.map((a) => `${a.name} => ${a.type}`).join(", ")})`;
    throw new ApiError(300, "PGRST203", `Could not choose the best candidate function between: ${matches.map(sig).join(", ")}`, null, "Try renaming the parameters or the function itself in the database so function overloading can be resolved");
  }
  if (post) {
    const single = fns.filter((f) => f.args.length === 1 && !f.args[0]!.name && (f.args[0]!.type === "json" || f.args[0]!.type === "jsonb"));
    if (single.length === 1) return { fn: single[0]!, single: true };
  }
  throw notFound(h, name, keys);
}

/** A JSON value as the text PostgreSQL parses for the parameter's type (at any depth, as PostgREST passes it on). */
function toText(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  if (type === "json" || type === "jsonb") return stringifyJson(v);
  if (type.endsWith("[]") && Array.isArray(v)) return pgArray(v);
  if (typeof v === "object") return stringifyJson(v);
  return String(v);
}

function pgArray(items: unknown[]): string {
  const parts = items.map((i) => {
    if (i === null || i === undefined) return "NULL";
    if (Array.isArray(i)) return pgArray(i);
    const s = typeof i === "object" ? stringifyJson(i) : String(i);
    return arrayLiteral([s]).slice(1, -1);
  });
  return `{${parts.join(",")}}`;
}

/** `"schema"."fn"("a" := $1::type, …)`. */
function callSql(fn: DbFunction, args: Args, single: boolean, rawBody: string | RawBody, params: Params): string {
  const target = qident(fn.schema, fn.name);
  if (single) return `${target}(${params.add(typeof rawBody === "string" ? rawBody || "{}" : rawBody.value, fn.args[0]!.type)})`;
  const parts: string[] = [];
  for (const a of fn.args) {
    if (!args.has(a.name)) continue;
    const v = args.get(a.name);
    parts.push(`${a.variadic ? "variadic " : ""}${ident(a.name)} := ${params.add(toText(v, a.type), a.type)}`);
  }
  return `${target}(${parts.join(", ")})`;
}

export async function handleRpc(h: Handling, name: string, rawBody: string | RawBody, head: boolean): Promise<Response> {
  const post = h.method === "POST";
  const args: Args = new Map();
  if (typeof rawBody !== "string") {
    // Raw bodies carry no named arguments.
  } else if (post) {
    const body: unknown = rawBody.trim() ? parseJsonBody(rawBody) : {};
    if (body && typeof body === "object" && !Array.isArray(body)) for (const [k, v] of Object.entries(body)) args.set(k, v);
  } else {
    for (const [k, v] of h.query.args) {
      const prev = args.get(k);
      args.set(k, prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]);
    }
  }
  const { fn, single } = resolve(h, name, [...args.keys()], post, typeof rawBody === "string" ? undefined : rawBody);
  // Repeated GET parameters feed a variadic/array parameter.
  for (const a of fn.args) if (Array.isArray(args.get(a.name)) && !post && !a.type.endsWith("[]")) throw errors.parse(`"failed to parse rpc parameter ${a.name}"`);
  const params = new Params();
  const call = callSql(fn, args, single, rawBody, params);
  const readOnly = !post || fn.volatility !== "v";
  const ret = fn.returns;

  if (ret.kind === "composite") {
    const table = ret.relation ? h.cache.tables.get(qualified(ret.relation.schema, ret.relation.name)) ?? null : null;
    const alias = fn.name;
    // The call runs once in a materialized CTE, so a count (or EXPLAIN) never calls a volatile function twice.
    return readFrom(h, { alias, relationName: fn.name, columns: ret.columns, table }, `pgrst_call as ${ident(alias)}`, params, head, {
      readOnly,
      singularResult: !fn.setof,
      cte: `with pgrst_call as materialized (select * from ${call}) `,
    });
  }

  if (ret.kind === "void") {
    const { overrides } = await execute(h, `select null::int8 as total, 0::int8 as page_total, null::text as body from (select ${call}) as _v`, params, { readOnly, singular: false });
    const headers = baseHeaders(h, []);
    const status = applyOverrides(204, headers, overrides);
    return new Response(null, { status, headers });
  }

  // Scalar results: one JSON value, or an array of them for set-returning functions.
  let sql: string;
  let offset = 0;
  if (fn.setof) {
    const p = paging(h, { limit: h.query.scopes.get("")?.limit, offset: h.query.scopes.get("")?.offset });
    offset = p.offset;
    const rows = `select pgrst_scalar from pgrst_call${p.limit !== undefined ? ` limit ${p.limit}` : ""}${offset ? ` offset ${offset}` : ""}`;
    const count = h.prefs.count ? "(select count(*) from pgrst_call)" : "null";
    const body = head ? "null::text" : "coalesce(json_agg(_t.pgrst_scalar), '[]')::text";
    sql = `with pgrst_call as materialized (select pgrst_scalar from ${call} as _s(pgrst_scalar)) select ${count}::int8 as total, count(*)::int8 as page_total, ${body} as body from (${rows}) as _t`;
  } else {
    sql = `select null::int8 as total, 1::int8 as page_total, ${head ? "null::text" : "coalesce(to_json(_t.pgrst_scalar)::text, 'null')"} as body from (select ${call} as pgrst_scalar) as _t`;
  }
  const { rows, overrides } = await execute(h, sql, params, { readOnly, singular: false });
  if (!fn.setof && h.media !== "csv") {
    // A scalar is already a single value: answer it as JSON regardless of the array/object media type.
    return readResponse({ ...h, media: "json" }, rows, overrides, 0, head);
  }
  return readResponse(h, rows, overrides, offset, head);
}
