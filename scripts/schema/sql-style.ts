// Rewrites generated SQL (pg-delta prints upper-case keywords and quotes every identifier) in the
// project's style: lower-case keywords, bare identifiers. Only spelling changes, never meaning.
//
// Safe by construction: unquoted words are case-folded by Postgres anyway, so lower-casing them is a
// no-op; string literals, dollar-quoted bodies and comments are copied byte for byte; a quoted
// identifier loses its quotes only when it is already lower-case snake_case and not a keyword that
// would need them.

/** Keywords that cannot stand bare as an identifier everywhere: pg_get_keywords() with catcode <> 'U'. */
export type KeywordSet = ReadonlySet<string>;

const IDENT = /^[a-z_][a-z0-9_$]*$/;

/** Every privilege a table has (Postgres 17): pg-delta lists them one by one, `all` says the same. */
const ALL_TABLE_PRIVILEGES =
  /^grant delete, insert, maintain, references, select, trigger, truncate, update on table /gm;

/**
 * The project's spelling of generated SQL. Also writes a grant of every table privilege as `grant all`,
 * which means the same on Postgres 17 and, unlike the list's `maintain`, also applies on Postgres 15.
 */
export function styleSql(sql: string, keywords: KeywordSet): string {
  return lowerCase(sql, keywords).replace(ALL_TABLE_PRIVILEGES, "grant all on table ");
}

/** Lower-cases keywords and drops needless identifier quotes outside literals, bodies and comments. */
function lowerCase(sql: string, keywords: KeywordSet): string {
  let out = "";
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const j = end < 0 ? n : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const j = end < 0 ? n : end + 2;
      out += sql.slice(i, j);
      i = j;
    } else if (c === "'") {
      const j = endOfString(sql, i, /[eE]$/.test(out) && !/[A-Za-z0-9_]$/.test(out.slice(0, -1)));
      out += sql.slice(i, j);
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && !(sql[j] === '"' && sql[j + 1] !== '"')) j += sql[j] === '"' ? 2 : 1;
      const name = sql.slice(i + 1, j);
      out += IDENT.test(name) && !keywords.has(name) ? name : sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === "$" && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      const j = end < 0 ? n : end + tag.length;
      out += sql.slice(i, j);
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      out += sql.slice(i, j).toLowerCase();
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The index just past a '…' literal starting at `start`; E'…' strings also escape with backslashes. */
function endOfString(sql: string, start: number, backslashEscapes: boolean): number {
  let j = start + 1;
  while (j < sql.length) {
    const ch = sql[j]!;
    if (backslashEscapes && ch === "\\") j += 2;
    else if (ch === "'" && sql[j + 1] === "'") j += 2;
    else if (ch === "'") return j + 1;
    else j++;
  }
  return sql.length;
}
