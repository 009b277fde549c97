// Filter values (`[not.]op[(modifier)].value`) and the `or=`/`and=` logic trees built from them.
import type { Filter, FilterOp, LogicTree, Operation } from "./ast.ts";
import { Cursor, field } from "./cursor.ts";

const OPS: readonly string[] = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "like",
  "ilike",
  "match",
  "imatch",
  "is",
  "isdistinct",
  "in",
  "cs",
  "cd",
  "ov",
  "sl",
  "sr",
  "nxr",
  "nxl",
  "adj",
  "fts",
  "plfts",
  "phfts",
  "wfts",
];
const QUANTIFIABLE = new Set(["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"]);
const FTS = new Set(["fts", "plfts", "phfts", "wfts"]);

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

/** True when the value starts with a known operator (`eq.`, `not.in.(`, `fts(english).`…). */
export function looksLikeOperation(value: string): boolean {
  const v = value.startsWith("not.") ? value.slice(4) : value;
  const m = /^([a-z]+)(\([^)]*\))?\./.exec(v);
  return !!m && OPS.includes(m[1]!);
}
