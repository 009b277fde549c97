// The lexical layer of the grammar: a cursor over one parameter value that raises PostgREST-style
// PGRST100 errors, and the pieces every parameter shares (identifiers, JSON paths, fields, cast types).
import { errors } from "../errors.ts";
import { isSafeTypeName } from "../sql.ts";
import type { Field, JsonStep } from "./ast.ts";

/** A small cursor over one parameter value, raising PostgREST-style PGRST100 errors. */
export class Cursor {
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
    throw errors.parse(
      `"failed to parse ${this.what} (${this.text})" (line 1, column ${this.pos + 1})`,
      `unexpected ${found} expecting ${expecting}`,
    );
  }
  expect(s: string): void {
    if (!this.eat(s)) this.fail(`"${s}"`);
  }
}

const IDENT_CHAR = /[\p{L}\p{N}_$ ]/u;

/** Identifier: a run of letters/digits/_/$/space (and '-' not starting '->'), or a double-quoted name. */
export function identifier(c: Cursor): string {
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
    if (
      m &&
      (after === undefined || after === "-" || after === "." || after === ":" || after === "," || after === ")")
    ) {
      c.pos += m[0].length;
      steps.push({ arrow, key: m[0], index: true });
    } else steps.push({ arrow, key: identifier(c), index: false });
  }
}

export function field(c: Cursor): Field {
  const name = identifier(c);
  return { name, json: jsonPath(c) };
}

const TYPE_RUN = /^[A-Za-z_][A-Za-z0-9_ ]*(\[\])?/;

export function castType(c: Cursor): string {
  const m = TYPE_RUN.exec(c.text.slice(c.pos));
  const name = m?.[0].trim() ?? "";
  if (!m || !isSafeTypeName(name)) c.fail("type name");
  c.pos += m[0].length;
  return name;
}
