// Postgres Changes bindings: ids, the `filter` grammar (eq, neq, lt, lte, gt, gte, in, like, ilike, is, match, imatch, isdistinct) and its evaluation.
import { createHash } from "node:crypto";

export type Op =
  "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in" | "like" | "ilike" | "is" | "match" | "imatch" | "isdistinct";
const OPS = new Set<string>([
  "eq",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "like",
  "ilike",
  "is",
  "match",
  "imatch",
  "isdistinct",
]);

export interface Condition {
  column: string;
  op: Op;
  /** The value as text; for `in`, the list of values. */
  value: string | string[];
  negate: boolean;
}

/** One `postgres_changes` entry of a join, as the client sent it plus the id echoed back. */
export interface Binding {
  id: number;
  /** `*`, `INSERT`, `UPDATE` or `DELETE`. */
  event: string;
  schema: string;
  table: string;
  filter: string | undefined;
  select: string[] | undefined;
  /** The client's object, echoed unchanged in the join reply. */
  raw: Record<string, unknown>;
}

/** A stable non-zero id per filter object (the real server uses `:erlang.phash2`, 0 … 2^27-1). */
export function bindingId(raw: Record<string, unknown>): number {
  const stable = JSON.stringify(
    Object.keys(raw)
      .sort()
      .map((k) => [k, raw[k]]),
  );
  const n = createHash("sha1").update(stable).digest().readUInt32BE(0);
  return (n % (2 ** 27 - 1)) + 1;
}

export class FilterError extends Error {}

/** Splits at top-level commas (not inside parentheses or double quotes). */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      cur += ch;
      if (ch === "\\" && i + 1 < s.length) cur += s[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

const unquote = (v: string): string =>
  v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, "$1") : v;

/** Parses a `filter` string; throws FilterError with Realtime's message. */
export function parseFilter(filter: string | undefined): Condition[] {
  if (filter === undefined || filter.trim() === "") return [];
  return splitTop(filter).map((segment) => {
    const eq = segment.indexOf("=");
    if (eq <= 0) throw new FilterError(`Error parsing \`filter\` params: ${JSON.stringify([segment])}`);
    const column = segment.slice(0, eq).trim();
    let rest = segment.slice(eq + 1);
    let negate = false;
    if (rest.startsWith("not.")) {
      negate = true;
      rest = rest.slice(4);
    }
    const dot = rest.indexOf(".");
    if (dot < 0) throw new FilterError(`Error parsing \`filter\` params: ${JSON.stringify([rest])}`);
    const op = rest.slice(0, dot);
    const raw = rest.slice(dot + 1);
    if (!OPS.has(op)) throw new FilterError(`Error parsing \`filter\` params: ${JSON.stringify([op, raw])}`);
    if (op === "in") {
      if (!raw.startsWith("(") || !raw.endsWith(")"))
        throw new FilterError("`in` filter value must be wrapped by parentheses");
      const inner = raw.slice(1, -1);
      const values = inner === "" ? [] : splitTop(inner).map((v) => unquote(v.trim()));
      if (values.length > 100) throw new FilterError("too many values for `in` filter. Maximum is 100");
      return { column, op, value: values, negate };
    }
    if (op === "is" && !["null", "true", "false", "unknown"].includes(raw.toLowerCase()))
      throw new FilterError(`Error parsing \`filter\` params: ${JSON.stringify([op, raw])}`);
    if (op === "match" || op === "imatch") {
      try {
        new RegExp(unquote(raw));
      } catch {
        throw new FilterError(`invalid regular expression for filter ${column}: ${raw}`);
      }
    }
    return { column, op: op as Op, value: unquote(raw), negate };
  });
}

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid", "money"]);

/** Compares two text values of one Postgres type: negative, zero or positive. */
function compare(type: string, a: string, b: string): number {
  if (NUMERIC.has(type)) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y))
      throw new FilterError(`invalid input syntax for type ${type}: "${Number.isNaN(x) ? a : b}"`);
    return x - y;
  }
  if (type === "bool") return Number(boolOf(a)) - Number(boolOf(b));
  if (type === "uuid") return a.toLowerCase().localeCompare(b.toLowerCase());
  return a < b ? -1 : a > b ? 1 : 0;
}

function boolOf(v: string): boolean {
  const s = v.trim().toLowerCase();
  if (["t", "true", "y", "yes", "on", "1"].includes(s)) return true;
  if (["f", "false", "n", "no", "off", "0"].includes(s)) return false;
  throw new FilterError(`invalid input syntax for type boolean: "${v}"`);
}

function likeToRegex(pattern: string, flags: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && i + 1 < pattern.length) out += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (ch === "%") out += "[\\s\\S]*";
    else if (ch === "_") out += "[\\s\\S]";
    else out += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, flags);
}

/**
 * Evaluates one condition against a row's text value (null = SQL NULL, undefined = column absent,
 * which never matches). Postgres semantics: NULL fails every operator except `is`/`isdistinct`.
 */
export function matches(c: Condition, type: string, value: string | null | undefined): boolean {
  if (value === undefined) return false;
  if (c.op === "is") {
    const v = (c.value as string).toLowerCase();
    let r: boolean;
    if (v === "null") r = value === null;
    else if (v === "unknown") r = value === null;
    else r = value !== null && boolOf(value) === (v === "true");
    return c.negate ? !r : r;
  }
  if (c.op === "isdistinct") {
    const r = value === null ? true : compare(type, value, c.value as string) !== 0;
    return c.negate ? !r : r;
  }
  if (value === null) return false;
  let r: boolean;
  switch (c.op) {
    case "eq":
      r = compare(type, value, c.value as string) === 0;
      break;
    case "neq":
      r = compare(type, value, c.value as string) !== 0;
      break;
    case "lt":
      r = compare(type, value, c.value as string) < 0;
      break;
    case "lte":
      r = compare(type, value, c.value as string) <= 0;
      break;
    case "gt":
      r = compare(type, value, c.value as string) > 0;
      break;
    case "gte":
      r = compare(type, value, c.value as string) >= 0;
      break;
    case "in":
      r = (c.value as string[]).some((v) => compare(type, value, v) === 0);
      break;
    case "like":
      r = likeToRegex(c.value as string, "").test(value);
      break;
    case "ilike":
      r = likeToRegex(c.value as string, "i").test(value);
      break;
    case "match":
      r = new RegExp(c.value as string).test(value);
      break;
    case "imatch":
      r = new RegExp(c.value as string, "i").test(value);
      break;
  }
  return c.negate ? !r : r;
}
