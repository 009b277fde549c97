// Parser for PostgREST's query string: routes each parameter (select, filters, logic trees, order,
// limit/offset, columns, on_conflict, RPC arguments) to its grammar in query-grammar/ and collects the
// result per embed level.
import { errors } from "./errors.ts";
import type { ParsedQuery, Scoped } from "./query-grammar/ast.ts";
import { Cursor, field } from "./query-grammar/cursor.ts";
import { looksLikeOperation, parseLogic, parseOperation } from "./query-grammar/operations.ts";
import { parseColumnList, parseOrder } from "./query-grammar/order.ts";
import { parseSelect } from "./query-grammar/select-list.ts";

export type * from "./query-grammar/ast.ts";

const RESERVED_LEAF = new Set(["order", "limit", "offset", "or", "and"]);

function nonNegativeInt(key: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw errors.parse(
      `"failed to parse ${key} parameter (${value})" (line 1, column 1)`,
      "unexpected input expecting digit",
    );
  return Number(value);
}

function scope(q: ParsedQuery, path: string[]): Scoped {
  const key = path.join(".");
  let s = q.scopes.get(key);
  if (!s) q.scopes.set(key, (s = { filters: [], logic: [] }));
  return s;
}

/** Splits a filter key `rel.sub.col->a` into the embed path and the column part. */
function splitKey(key: string): { path: string[]; rest: string } {
  const arrow = key.indexOf("->");
  const head = arrow >= 0 ? key.slice(0, arrow) : key;
  const tail = arrow >= 0 ? key.slice(arrow) : "";
  const parts = head.split(".");
  const last = parts.pop() ?? "";
  return { path: parts, rest: last + tail };
}

export interface ParseOptions {
  /** GET/HEAD on /rpc: parameters without an operator are arguments. */
  rpcGet: boolean;
}

/** Parses the whole query string. */
export function parseQuery(params: URLSearchParams, opts: ParseOptions): ParsedQuery {
  const q: ParsedQuery = { select: [{ type: "star" }], scopes: new Map(), args: [], hasSelect: false };
  scope(q, []);
  for (const [key, value] of params) {
    if (key === "select") {
      q.select = value === "" ? [] : parseSelect(value);
      q.hasSelect = true;
      continue;
    }
    if (key === "columns") {
      q.columns = parseColumnList(value, "columns");
      continue;
    }
    if (key === "on_conflict") {
      q.onConflict = parseColumnList(value, "on_conflict");
      continue;
    }
    const parts = key.split(".");
    const leaf = parts[parts.length - 1] ?? "";
    const notLogic = parts.length >= 2 && parts[parts.length - 2] === "not" && (leaf === "or" || leaf === "and");
    if (RESERVED_LEAF.has(leaf) && !key.includes("->")) {
      const path = parts.slice(0, notLogic ? -2 : -1);
      const s = scope(q, path);
      if (leaf === "order") s.order = [...(s.order ?? []), ...parseOrder(value)];
      else if (leaf === "limit") s.limit = nonNegativeInt("limit", value);
      else if (leaf === "offset") s.offset = nonNegativeInt("offset", value);
      else s.logic.push(parseLogic(leaf as "and" | "or", notLogic, value));
      continue;
    }
    if (opts.rpcGet && !looksLikeOperation(value)) {
      q.args.push([key, value]);
      continue;
    }
    const { path, rest } = splitKey(key);
    const c = new Cursor(rest, "filter");
    const f = field(c);
    if (!c.done) c.fail("end of input");
    scope(q, path).filters.push({ type: "filter", field: f, op: parseOperation(value) });
  }
  return q;
}
