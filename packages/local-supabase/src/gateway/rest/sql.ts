// SQL text helpers: quoted identifiers and a parameter list. User values only ever travel as $n parameters.

/** Quotes an identifier (already validated against the schema cache) for SQL text. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** `"schema"."name"`. */
export const qident = (schema: string, name: string): string => `${ident(schema)}.${ident(name)}`;

/** Collects bound values; `add` returns the placeholder to put in the SQL text. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

/** Builds a PostgreSQL array literal `{"a","b"}` from text items (quotes and backslashes escaped). */
export function arrayLiteral(items: string[]): string {
  return `{${items.map((i) => `"${i.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}

/**
 * Cast type names from the URL (`col::text`) are written unquoted like PostgREST writes them, so they are limited to
 * one identifier (optionally schema-qualified elsewhere: not here), the multi-word SQL type names, and a trailing `[]`.
 */
const TYPE_NAME = /^[A-Za-z_][A-Za-z0-9_]*( (precision|varying|with|without|time|zone))*(\[\])?$/;
export function isSafeTypeName(t: string): boolean {
  return TYPE_NAME.test(t);
}
