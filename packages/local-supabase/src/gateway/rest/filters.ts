// Filters and logic trees → SQL conditions, every value bound as a parameter (PostgreSQL coerces it to the column type).
import { errors } from "./errors.ts";
import type { Field, Filter, LogicTree, Operation } from "./query-params.ts";
import type { Column } from "./schema-cache.ts";
import { arrayLiteral, ident, qident, type Params } from "./sql.ts";

/** What a filter can name at one level: the relation's columns and the embeds' null-testable bodies. */
export interface FilterScope {
  alias: string;
  /** Name used in PostgreSQL-style "column t.x does not exist" errors. */
  relationName: string;
  columns: Column[];
  /** Embed output name → SQL expression that is null when the embed matched nothing. */
  embeds: Map<string, string>;
  /** Computed fields of the relation, found by name after its columns. */
  computed?: Map<string, Column>;
}

const COMPARE: Record<string, string> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sl: "<<",
  sr: ">>",
  nxr: "&<",
  nxl: "&>",
  adj: "-|-",
  isdistinct: "is distinct from",
};
const TSQUERY: Record<string, string> = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
};
const JSON_TYPES = new Set(["json", "jsonb"]);

export function findColumn(scope: FilterScope, name: string): Column {
  const col = scope.columns.find((c) => c.name === name) ?? scope.computed?.get(name);
  if (!col) throw errors.undefinedColumn(scope.relationName, name);
  return col;
}

/** `"alias"."col"` followed by its JSON path (`->'a'->>'b'`); non-JSON columns are wrapped in to_jsonb() first. */
export function fieldSql(alias: string, f: Field, col: Column, params: Params): string {
  let sql = columnSql(alias, col);
  if (!f.json.length) return sql;
  if (!JSON_TYPES.has(col.base)) sql = `to_jsonb(${sql})`;
  for (const step of f.json)
    sql += `${step.arrow}${step.index ? String(Number(step.key)) : params.add(step.key, "text")}`;
  return sql;
}

/**
 * A column of `alias`, or a computed field's call on the whole row. The row is cast to the function's row type, so the
 * call also works on a function result or a write's RETURNING rows (which carry every column when a computed field is used).
 */
export function columnSql(alias: string, col: Column): string {
  if (!col.computed) return `${ident(alias)}.${ident(col.name)}`;
  const { schema, name, rowType } = col.computed;
  return `${qident(schema, name)}(${ident(alias)}::${qident(rowType.schema, rowType.name)})`;
}

function operationSql(lhs: string, op: Operation, col: Column | null, params: Params): string {
  let sql: string;
  const likeValue = (v: string) => (op.op === "like" || op.op === "ilike" ? v.replaceAll("*", "%") : v);
  switch (op.op) {
    case "is":
      sql = `${lhs} is ${op.value === "not_null" ? "not null" : op.value}`;
      break;
    case "in":
      sql = `${lhs} = any(${params.add(arrayLiteral(op.list ?? []))})`;
      break;
    case "fts":
    case "plfts":
    case "phfts":
    case "wfts": {
      const lang = op.lang ? `${params.add(op.lang, "regconfig")}, ` : "";
      const doc = col && col.base === "tsvector" ? lhs : `to_tsvector(${lang}${lhs})`;
      sql = `${doc} @@ ${TSQUERY[op.op]}(${lang}${params.add(op.value)})`;
      break;
    }
    default: {
      const sym = COMPARE[op.op]!;
      if (op.quantifier) sql = `${lhs} ${sym} ${op.quantifier}(${params.add(likeValue(op.value))})`;
      else sql = `${lhs} ${sym} ${params.add(likeValue(op.value))}`;
    }
  }
  return op.negated ? `not (${sql})` : sql;
}

/** One filter at one level. */
export function filterSql(scope: FilterScope, filter: Filter, params: Params): string {
  const embed = filter.field.json.length ? undefined : scope.embeds.get(filter.field.name);
  if (embed !== undefined && !scope.columns.some((c) => c.name === filter.field.name)) {
    if (filter.op.op !== "is" || (filter.op.value !== "null" && filter.op.value !== "not_null"))
      throw errors.badEmbedOperator(filter.field.name);
    const isNull = (filter.op.value === "null") !== filter.op.negated;
    return `${embed} is ${isNull ? "" : "not "}null`;
  }
  const col = findColumn(scope, filter.field.name);
  return operationSql(fieldSql(scope.alias, filter.field, col, params), filter.op, col, params);
}

/** An `or=(…)` / `and=(…)` tree. */
export function logicSql(scope: FilterScope, tree: LogicTree, params: Params): string {
  const parts = tree.children.map((c) =>
    c.type === "logic" ? logicSql(scope, c, params) : filterSql(scope, c, params),
  );
  const joined = parts.length
    ? `(${parts.join(tree.kind === "and" ? " and " : " or ")})`
    : tree.kind === "and"
      ? "true"
      : "false";
  return tree.negated ? `not ${joined}` : joined;
}
