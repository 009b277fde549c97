// `order=` terms and the column lists of `columns=` and `on_conflict=`.
import type { OrderTerm } from "./ast.ts";
import { Cursor, field, identifier } from "./cursor.ts";

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
