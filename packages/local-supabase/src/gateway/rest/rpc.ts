// /rpc/<fn>: overload resolution by argument names, named-argument calls, result shaping like PostgREST.
import { stringifyJson } from "../json.ts";
import { ApiError, errors } from "./errors.ts";
import { parseJsonBody } from "./payload.ts";
import { readFrom, paging } from "./read.ts";
import { baseHeaders, applyOverrides, execute, readResponse, type Handling } from "./respond.ts";
import { closest, distance } from "./did-you-mean.ts";
import { qualified, type DbFunction } from "./schema-cache.ts";
import { arrayLiteral, ident, Params, qident } from "./sql.ts";

type Args = Map<string, unknown>;

/** How the arguments arrived: a POST body of this media type, or GET/HEAD query parameters (null). */
type BodyMedia = "json" | RawBody["type"] | null;

const ONLY_SINGLE: Record<RawBody["type"], string> = { text: "text", xml: "xml", bytea: "bytea" };

/** PGRST202 worded as PostgREST v14 words it for the way the function was called. */
function notFound(h: Handling, name: string, keys: string[], media: BodyMedia, overloads: DbFunction[]): ApiError {
  const q = `${h.rc.schema}.${name}`;
  const sorted = [...keys].sort();
  const prms = sorted.join(", ");
  const fmt = (p: string) => (sorted.length ? p : " without parameters");
  const onlySingle = media !== null && media !== "json";
  const message = `Could not find the function ${q}${onlySingle ? "" : fmt(`(${prms})`)} in the schema cache`;
  const withPrms = fmt(` with parameter${sorted.length > 1 ? "s" : ""} ${prms}`);
  const searched = onlySingle
    ? ` with a single unnamed ${ONLY_SINGLE[media]} parameter`
    : media === "json"
      ? `${withPrms} or with a single unnamed json/jsonb parameter`
      : withPrms;
  return new ApiError(
    404,
    "PGRST202",
    message,
    `Searched for the function ${q}${searched}, but no matches were found in the schema cache.`,
    onlySingle ? null : noRpcHint(h, name, sorted, overloads),
  );
}

/** "Perhaps you meant …": the closest function name, or (when the name exists) the closest parameter list. */
function noRpcHint(h: Handling, name: string, keys: string[], overloads: DbFunction[]): string | null {
  const prefix = `Perhaps you meant to call the function ${h.rc.schema}.`;
  if (!overloads.length) {
    // Uncallable functions are not in PostgREST's routine cache, so they are never suggested.
    const names = [...h.cache.functions]
      .filter(([k, fns]) => k.startsWith(`${h.rc.schema}.`) && fns.some((f) => f.callable))
      .map(([k]) => k.slice(h.rc.schema.length + 1));
    const suggestion = closest(name, names);
    return suggestion ? prefix + suggestion : null;
  }
  const list = (names: string[]) => `(${[...names].sort().join(", ")})`;
  const wanted = list(keys);
  let best: string | null = null;
  let bestScore = 0;
  for (const f of overloads) {
    const candidate = list(f.args.map((a) => a.name));
    const score = 1 - distance(wanted, candidate) / Math.max(wanted.length, candidate.length, 1);
    if (score > bestScore) [best, bestScore] = [candidate, score];
  }
  // PostgREST's fuzzy set answers parameter lists down to a similarity of 0.33.
  return best !== null && bestScore >= 0.33 ? prefix + name + best : null;
}

/** A body sent as is to a single unnamed text/xml/bytea parameter. */
export interface RawBody {
  type: "text" | "xml" | "bytea";
  value: string | Buffer;
}

/** PostgREST's overload order: fewer parameters first, then the parameters compared in order (name, type, required, variadic). */
function byOverloadOrder(a: DbFunction, b: DbFunction): number {
  if (a.args.length !== b.args.length) return a.args.length - b.args.length;
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  for (let i = 0; i < a.args.length; i++) {
    const p = a.args[i]!;
    const q = b.args[i]!;
    const c =
      cmp(p.name, q.name) ||
      cmp(p.type, q.type) ||
      Number(!p.hasDefault) - Number(!q.hasDefault) ||
      Number(p.variadic) - Number(q.variadic);
    if (c) return c;
  }
  return 0;
}

/** The argument names fit the parameters: every key is a parameter and every parameter without a default is given. */
function matchesParams(f: DbFunction, keys: string[], media: BodyMedia): boolean {
  if (!f.args.length) return keys.length === 0 && (media === null || media === "json");
  const names = f.args.map((a) => a.name);
  return keys.every((k) => names.includes(k)) && f.args.every((a) => a.hasDefault || keys.includes(a.name));
}

/** A single unnamed parameter that takes the whole POST body of its media type. */
function takesBody(f: DbFunction, media: BodyMedia): boolean {
  const a = f.args.length === 1 ? f.args[0]! : undefined;
  if (!a || a.name || media === null) return false;
  return media === "json" ? a.type === "json" || a.type === "jsonb" : a.type === media;
}

/** PostgREST's findProc: the overload whose parameter names fit the keys, else the single-unnamed-parameter one; 300 when several fit. */
function resolve(h: Handling, name: string, keys: string[], media: BodyMedia): { fn: DbFunction; single: boolean } {
  const fns = (h.cache.functions.get(qualified(h.rc.schema, name)) ?? [])
    .filter((f) => f.callable)
    .sort(byOverloadOrder);
  const named = fns.filter((f) => matchesParams(f, keys, media));
  const single = fns.filter((f) => !matchesParams(f, keys, media) && takesBody(f, media));
  const chosen = named.length ? named : single;
  if (chosen.length === 1) return { fn: chosen[0]!, single: !named.length };
  if (chosen.length > 1) throw ambiguous(chosen);
  throw notFound(h, name, keys, media, fns);
}

function ambiguous(fns: DbFunction[]): ApiError {
  const sig = (f: DbFunction) => `${f.schema}.${f.name}(${f.args.map((a) => `${a.name} => ${a.type}`).join(", ")})`;
  return new ApiError(
    300,
    "PGRST203",
    `Could not choose the best candidate function between: ${fns.map(sig).join(", ")}`,
    null,
    "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
  );
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

/** A JSON object for a row-typed parameter, or an array of them for an array of rows (other shapes go as text). */
function rowArgument(type: string, v: object, params: Params): string {
  const isArray = type.endsWith("[]");
  if (Array.isArray(v) !== isArray) return params.add(toText(v, type), type);
  const json = params.add(stringifyJson(v), "json");
  if (!isArray) return `json_populate_record(null::${type}, ${json})`;
  const elem = type.slice(0, -2);
  return `array(select json_populate_record(null::${elem}, _e) from json_array_elements(${json}) with ordinality as _a(_e, _n) order by _a._n)::${type}`;
}

/** `"schema"."fn"("a" := $1::type, …)`. */
function callSql(fn: DbFunction, args: Args, single: boolean, rawBody: string | RawBody, params: Params): string {
  const target = qident(fn.schema, fn.name);
  if (single)
    return `${target}(${params.add(typeof rawBody === "string" ? rawBody || "{}" : rawBody.value, fn.args[0]!.type)})`;
  const parts: string[] = [];
  for (const a of fn.args) {
    if (!args.has(a.name)) continue;
    const v = args.get(a.name);
    // A JSON object for a row-typed parameter is read field by field (nested objects and arrays too), as PostgREST's json_to_record does.
    const value =
      a.composite && v !== null && typeof v === "object"
        ? rowArgument(a.type, v, params)
        : params.add(toText(v, a.type), a.type);
    parts.push(`${a.variadic ? "variadic " : ""}${ident(a.name)} := ${value}`);
  }
  return `${target}(${parts.join(", ")})`;
}

export async function handleRpc(
  h: Handling,
  name: string,
  rawBody: string | RawBody,
  head: boolean,
): Promise<Response> {
  const post = h.method === "POST";
  const args: Args = new Map();
  if (typeof rawBody !== "string") {
    // Raw bodies carry no named arguments.
  } else if (post) {
    const body: unknown = rawBody.trim() ? parseJsonBody(rawBody) : {};
    if (body && typeof body === "object" && !Array.isArray(body))
      for (const [k, v] of Object.entries(body)) args.set(k, v);
  } else {
    for (const [k, v] of h.query.args) {
      const prev = args.get(k);
      args.set(k, prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]);
    }
  }
  const media: BodyMedia = typeof rawBody !== "string" ? rawBody.type : post ? "json" : null;
  const { fn, single } = resolve(h, name, [...args.keys()], media);
  // max-affected counts the rows a function returns; with handling=strict it needs a set-returning function.
  const maxAffected = h.prefs.handling === "strict" ? h.prefs.maxAffected : undefined;
  if (maxAffected !== undefined && !fn.setof) throw errors.maxAffectedRpc();
  const applied = [
    ...(h.prefs.handling ? [`handling=${h.prefs.handling}`] : []),
    ...(maxAffected !== undefined ? [`max-affected=${maxAffected}`] : []),
  ];
  // Repeated GET parameters feed a variadic/array parameter.
  for (const a of fn.args)
    if (Array.isArray(args.get(a.name)) && !post && !a.type.endsWith("[]"))
      throw errors.parse(`"failed to parse rpc parameter ${a.name}"`);
  const params = new Params();
  const call = callSql(fn, args, single, rawBody, params);
  const readOnly = !post || fn.volatility !== "v";
  const ret = fn.returns;

  if (ret.kind === "composite") {
    const table = ret.relation ? (h.cache.tables.get(qualified(ret.relation.schema, ret.relation.name)) ?? null) : null;
    const alias = fn.name;
    // The call runs once in a materialized CTE, so a count (or EXPLAIN) never calls a volatile function twice.
    return readFrom(
      h,
      { alias, relationName: fn.name, columns: ret.columns, table },
      `pgrst_call as ${ident(alias)}`,
      params,
      head,
      {
        readOnly,
        singularResult: !fn.setof,
        maxAffected,
        applied,
        cte: `with pgrst_call as materialized (select * from ${call}) `,
      },
    );
  }

  if (ret.kind === "void") {
    const { overrides } = await execute(
      h,
      `select null::int8 as total, 0::int8 as page_total, null::text as body from (select ${call}) as _v`,
      params,
      { readOnly, singular: false },
    );
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
    // One value is one row: a count asked for is 1, as PostgREST counts its one-row result.
    sql = `select ${h.prefs.count ? "1" : "null"}::int8 as total, 1::int8 as page_total, ${head ? "null::text" : "coalesce(to_json(_t.pgrst_scalar)::text, 'null')"} as body from (select ${call} as pgrst_scalar) as _t`;
  }
  const { rows, overrides } = await execute(h, sql, params, { readOnly, singular: false, maxAffected });
  if (!fn.setof && h.media !== "csv") {
    // A scalar is already a single value: answer it as JSON regardless of the array/object media type.
    return readResponse({ ...h, media: "json" }, rows, overrides, 0, head, applied);
  }
  return readResponse(h, rows, overrides, offset, head, applied);
}
