// The `select` parameter: columns, aliases, casts, JSON paths, aggregates, embeds and spreads.
import type { EmbedItem, SelectItem } from "./ast.ts";
import { Cursor, castType, field, identifier } from "./cursor.ts";

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
