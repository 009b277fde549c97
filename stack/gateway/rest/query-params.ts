// Parser for PostgREST's query-string grammar: select lists, filters, logic trees, order, limit/offset.
import { errors } from "./errors.ts";
import { isSafeTypeName } from "./sql.ts";

export interface JsonStep {
  arrow: "->" | "->>";
  key: string;
  /** True when the key is an array index (`->0`). */
  index: boolean;
}

export interface Field {
  name: string;
  json: JsonStep[];
}

export type SelectItem =
  | { type: "star" }
  | { type: "field"; field: Field; alias?: string; cast?: string; aggregate?: string; aggregateCast?: string }
  | { type: "count"; alias?: string; cast?: string }
  | EmbedItem;

export interface EmbedItem {
  type: "embed";
  name: string;
  alias?: string;
  hint?: string;
  join: "left" | "inner";
  spread: boolean;
  select: SelectItem[];
}

export type FilterOp =
  | "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "match" | "imatch"
  | "is" | "isdistinct" | "in" | "cs" | "cd" | "ov" | "sl" | "sr" | "nxr" | "nxl" | "adj"
  | "fts" | "plfts" | "phfts" | "wfts";

export interface Operation {
  negated: boolean;
  op: FilterOp;
  /** `(any)` / `(all)` quantifier on comparison operators. */
  quantifier?: "any" | "all";
  /** Text-search configuration, `fts(english)`. */
  lang?: string;
  /** The literal value; for `in` the list items. */
  value: string;
  list?: string[];
}

export interface Filter {
  type: "filter";
  field: Field;
  op: Operation;
}

export interface LogicTree {
  type: "logic";
  kind: "and" | "or";
  negated: boolean;
  children: Array<LogicTree | Filter>;
}

export interface OrderTerm {
  /** Set for `rel(col)` ordering on a to-one embed. */
  relation?: string;
  field: Field;
  direction?: "asc" | "desc";
  nulls?: "first" | "last";
}

/** Everything addressed to one embed level (top level = path []). */
export interface Scoped {
  filters: Filter[];
  logic: LogicTree[];
  order?: OrderTerm[];
  limit?: number;
  offset?: number;
}

export interface ParsedQuery {
  select: SelectItem[];
  /** Keyed by embed path joined with '.', '' for the top level. */
  scopes: Map<string, Scoped>;
  columns?: string[];
  onConflict?: string[];
  /** For GET/HEAD RPC: parameters that are not filters. */
  args: Array<[string, string]>;
  /** True when `select` was given explicitly. */
  hasSelect: boolean;
}

const OPS: readonly string[] = ["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "is", "isdistinct", "in", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj", "fts", "plfts", "phfts", "wfts"];
const QUANTIFIABLE = new Set(["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"]);
const FTS = new Set(["fts", "plfts", "phfts", "wfts"]);
const RESERVED_LEAF = new Set(["order", "limit", "offset", "or", "and"]);

/** A small cursor over one parameter value, raising PostgREST-style PGRST100 errors. */
class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly what: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(n = 0): string {
    return this.text[this.pos + n] ?? "";
  }
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (!this.startsWith(s)) return false;
    this.pos += s.length;
    return true;
  }
  fail(expecting: string): never {
    const found = this.done ? "end of input" : `"${this.peek()}"`;
    throw errors.parse(`"failed to parse ${this.what} (${this.text})" (line 1, column ${this.pos + 1})`, `unexpected ${found} expecting ${expecting}`);
  }
  expect(s: string): void {
    if (!this.eat(s)) this.fail(`"${s}"`);
  }
}

const IDENT_CHAR = /[\p{L}\p{N}_$ ]/u;

/** Identifier: a run of letters/digits/_/$/space (and '-' not starting '->'), or a double-quoted name. */
function identifier(c: Cursor): string {
  if (c.peek() === '"') {
    c.pos++;
    let out = "";
    while (!c.done && c.peek() !== '"') {
      if (c.peek() === "\\" && (c.peek(1) === '"' || c.peek(1) === "\\")) c.pos++;
      out += c.peek();
      c.pos++;
    }
    c.expect('"');
    return out;
  }
  const start = c.pos;
  while (!c.done && (IDENT_CHAR.test(c.peek()) || (c.peek() === "-" && c.peek(1) !== ">"))) c.pos++;
  if (c.pos === start) c.fail("field name (* or [a..z0..9_$])");
  return c.text.slice(start, c.pos).trim();
}

function jsonPath(c: Cursor): JsonStep[] {
  const steps: JsonStep[] = [];
  for (;;) {
    let arrow: "->" | "->>";
    if (c.eat("->>")) arrow = "->>";
    else if (c.eat("->")) arrow = "->";
    else return steps;
    const m = /^-?\d+/.exec(c.text.slice(c.pos));
    const after = m ? c.text[c.pos + m[0].length] : undefined;
    if (m && (after === undefined || after === "-" || after === "." || after === ":" || after === "," || after === ")")) {
      c.pos += m[0].length;
      steps.push({ arrow, key: m[0], index: true });
    } else steps.push({ arrow, key: identifier(c), index: false });
  }
}

function field(c: Cursor): Field {
  const name = identifier(c);
  return { name, json: jsonPath(c) };
}

const TYPE_RUN = /^[A-Za-z_][A-Za-z0-9_ ]*(\[\])?/;

function castType(c: Cursor): string {
  const m = TYPE_RUN.exec(c.text.slice(c.pos));
  const name = m?.[0].trim() ?? "";
  if (!m || !isSafeTypeName(name)) c.fail("type name");
  c.pos += m[0].length;
  return name;
}

/** Parses `select`. */
export function parseSelect(text: string): SelectItem[] {
  const c = new Cursor(text, "select");
  const items = selectList(c, false);
  if (!c.done) c.fail('"," or end of input');
  return items;
}

function selectList(c: Cursor, nested: boolean): SelectItem[] {
  const items: SelectItem[] = [];
  if (nested && c.peek() === ")") return items;
  for (;;) {
    items.push(selectItem(c));
    if (!c.eat(",")) break;
  }
  return items;
}

function aliasPrefix(c: Cursor): string | undefined {
  // alias ':' (not '::') before the item.
  const save = c.pos;
  if (c.peek() === "*" || c.startsWith("...")) return undefined;
  try {
    const name = identifier(c);
    if (c.peek() === ":" && c.peek(1) !== ":") {
      c.pos++;
      return name;
    }
  } catch {
    /* not an alias */
  }
  c.pos = save;
  return undefined;
}

function selectItem(c: Cursor): SelectItem {
  if (c.eat("*")) return { type: "star" };
  if (c.eat("...")) {
    const e = embedRest(c, identifier(c), undefined);
    return { ...e, spread: true };
  }
  const alias = aliasPrefix(c);
  if (c.startsWith("count()")) {
    c.pos += "count()".length;
    const cast = c.eat("::") ? castType(c) : undefined;
    return { type: "count", alias, cast };
  }
  const f = field(c);
  if (!f.json.length && (c.peek() === "(" || c.peek() === "!")) return embedRest(c, f.name, alias);
  const item: SelectItem = { type: "field", field: f, alias };
  if (c.eat("::")) item.cast = castType(c);
  const m = /^\.(sum|avg|count|max|min)\(\)/.exec(c.text.slice(c.pos));
  if (m) {
    c.pos += m[0].length;
    item.aggregate = m[1];
    if (c.eat("::")) item.aggregateCast = castType(c);
  }
  return item;
}

function embedRest(c: Cursor, name: string, alias: string | undefined): EmbedItem {
  const item: EmbedItem = { type: "embed", name, alias, join: "left", spread: false, select: [] };
  while (c.eat("!")) {
    const h = identifier(c);
    if (h === "inner" || h === "left") item.join = h;
    else item.hint = h;
  }
  c.expect("(");
  item.select = selectList(c, true);
  c.expect(")");
  return item;
}

/** Parses a filter value `[not.]op[(mod)].value`. `inTree` stops values at ',' / ')' unless quoted. */
export function parseOperation(text: string, what = "filter"): Operation {
  const c = new Cursor(text, what);
  const op = operation(c, false);
  return op;
}

function operation(c: Cursor, inTree: boolean): Operation {
  const negated = c.eat("not.");
  const m = /^[a-z]+/.exec(c.text.slice(c.pos));
  const name = m?.[0] ?? "";
  if (!OPS.includes(name)) c.fail('"not" or operator (eq, gt, ...)');
  c.pos += name.length;
  const op = name as FilterOp;
  const result: Operation = { negated, op, value: "" };
  if (c.peek() === "(" && op !== "in") {
    c.pos++;
    const close = c.text.indexOf(")", c.pos);
    if (close < 0) c.fail('")"');
    const inner = c.text.slice(c.pos, close);
    c.pos = close + 1;
    if (QUANTIFIABLE.has(op) && (inner === "any" || inner === "all")) result.quantifier = inner;
    else if (FTS.has(op)) result.lang = inner;
    else c.fail("operator modifier");
  }
  c.expect(".");
  if (op === "in") {
    result.list = inList(c);
    return result;
  }
  result.value = inTree ? treeValue(c) : c.text.slice(c.pos);
  if (!inTree) c.pos = c.text.length;
  if (op === "is") {
    const v = result.value.toLowerCase();
    if (!["null", "not_null", "true", "false", "unknown"].includes(v)) {
      c.pos -= result.value.length;
      c.fail("null or trilean value (unknown, true, false)");
    }
    result.value = v;
  }
  return result;
}

/** `(a,"b,c",d)` → ["a","b,c","d"]. */
function inList(c: Cursor): string[] {
  c.expect("(");
  const items: string[] = [];
  if (c.eat(")")) return items;
  for (;;) {
    if (c.peek() === '"') items.push(quoted(c));
    else {
      const start = c.pos;
      while (!c.done && c.peek() !== "," && c.peek() !== ")") c.pos++;
      items.push(c.text.slice(start, c.pos));
    }
    if (c.eat(",")) continue;
    c.expect(")");
    return items;
  }
}

function quoted(c: Cursor): string {
  c.expect('"');
  let out = "";
  while (!c.done && c.peek() !== '"') {
    if (c.peek() === "\\" && c.pos + 1 < c.text.length) c.pos++;
    out += c.peek();
    c.pos++;
  }
  c.expect('"');
  return out;
}

/** A value inside a logic tree: quoted, or up to ',' / ')' keeping {…} and (…) groups whole. */
function treeValue(c: Cursor): string {
  if (c.peek() === '"') return quoted(c);
  const start = c.pos;
  let depth = 0;
  while (!c.done) {
    const ch = c.peek();
    if (ch === "{" || ch === "(" || ch === "[") depth++;
    else if (ch === "}" || ch === "]" || (ch === ")" && depth > 0)) depth--;
    else if (depth === 0 && (ch === "," || ch === ")")) break;
    c.pos++;
  }
  return c.text.slice(start, c.pos);
}

/** Parses the value of `or=`/`and=` (with `negated` for the `not.` key prefix). */
export function parseLogic(kind: "and" | "or", negated: boolean, text: string): LogicTree {
  const c = new Cursor(text, "logic tree");
  const tree = logicBody(c, kind, negated);
  if (!c.done) c.fail("end of input");
  return tree;
}

function logicBody(c: Cursor, kind: "and" | "or", negated: boolean): LogicTree {
  c.expect("(");
  const children: Array<LogicTree | Filter> = [];
  for (;;) {
    const save = c.pos;
    const neg = c.eat("not.");
    const m = /^(and|or)\(/.exec(c.text.slice(c.pos));
    if (m) {
      c.pos += m[1]!.length;
      children.push(logicBody(c, m[1] as "and" | "or", neg));
    } else {
      c.pos = save;
      const f = field(c);
      c.expect(".");
      children.push({ type: "filter", field: f, op: operation(c, true) });
    }
    if (c.eat(",")) continue;
    c.expect(")");
    return { type: "logic", kind, negated, children };
  }
}

/** Parses `order=a.desc.nullslast,rel(col).asc`. */
export function parseOrder(text: string): OrderTerm[] {
  const c = new Cursor(text, "order");
  const terms: OrderTerm[] = [];
  for (;;) {
    const first = field(c);
    let term: OrderTerm = { field: first };
    if (!first.json.length && c.eat("(")) {
      term = { relation: first.name, field: field(c) };
      c.expect(")");
    }
    while (c.eat(".")) {
      if (c.eat("asc")) term.direction = "asc";
      else if (c.eat("desc")) term.direction = "desc";
      else if (c.eat("nullsfirst")) term.nulls = "first";
      else if (c.eat("nullslast")) term.nulls = "last";
      else c.fail('"asc", "desc", "nullsfirst" or "nullslast"');
    }
    terms.push(term);
    if (c.done) return terms;
    c.expect(",");
  }
}

/** `columns="a","b"` or `on_conflict=a,b` → names. */
export function parseColumnList(text: string, what: string): string[] {
  const c = new Cursor(text, what);
  const out: string[] = [];
  for (;;) {
    out.push(identifier(c));
    if (c.done) return out;
    c.expect(",");
  }
}

function nonNegativeInt(key: string, value: string): number {
  if (!/^\d+$/.test(value)) throw errors.parse(`"failed to parse ${key} parameter (${value})" (line 1, column 1)`, "unexpected input expecting digit");
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

/** True when the value starts with a known operator (`eq.`, `not.in.(`, `fts(english).`…). */
export function looksLikeOperation(value: string): boolean {
  const v = value.startsWith("not.") ? value.slice(4) : value;
  const m = /^([a-z]+)(\([^)]*\))?\./.exec(v);
  return !!m && OPS.includes(m[1]!);
}
