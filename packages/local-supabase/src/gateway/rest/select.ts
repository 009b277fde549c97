// Select lists, embedded resources (lateral JSON subqueries), filters and order for one level of a read.
import { findRelationship, isToOne, type Relationship } from "./embed.ts";
import { errors } from "./errors.ts";
import { fieldSql, filterSql, findColumn, logicSql, type FilterScope } from "./filters.ts";
import type { EmbedItem, OrderTerm, ParsedQuery, SelectItem } from "./query-params.ts";
import type { Column, SchemaCache, Table } from "./schema-cache.ts";
import { ident, qident, type Params } from "./sql.ts";

export interface BuildContext {
  cache: SchemaCache;
  params: Params;
  query: ParsedQuery;
  /** Scope keys (embed paths) that an embed or the top level used; the rest are PGRST108. */
  consumed: Set<string>;
  aliasCount: number;
  /** `pgrst.db_aggregates_enabled` (off by default, as on Supabase). */
  aggregates: boolean;
}

/** What a level reads from: a table, view, function result or mutation CTE. */
export interface Source {
  alias: string;
  /** Name for error messages ("column <name>.x does not exist"). */
  relationName: string;
  columns: Column[];
  /** The table whose relationships embeds follow (null: nothing can be embedded). */
  table: Table | null;
}

export interface LevelSql {
  /** `expr as "name"` items. */
  columns: string[];
  /** Output key of each item in `columns`. */
  names: string[];
  /** `left join lateral (…) as "x" on true` clauses. */
  joins: string[];
  where: string[];
  order: string[];
  limit?: number;
  offset?: number;
  /** Source columns this level reads (selected, joined on, ordered by): what a mutation must RETURN. */
  uses: Set<string>;
  /** With aggregates in the select list: the plain (grouping) expressions, or [] for one group. */
  groupBy?: string[];
}

interface EmbedBuild {
  item: EmbedItem;
  rel: Relationship;
  alias: string;
  outName: string;
  child: LevelSql;
  orderColumns: string[];
}

export function newContext(cache: SchemaCache, params: Params, query: ParsedQuery): BuildContext {
  const aggregates =
    cache.roleSettings.get("authenticator")?.some(([k, v]) => k === "pgrst.db_aggregates_enabled" && v === "true") ??
    false;
  return { cache, params, query, consumed: new Set(), aliasCount: 0, aggregates };
}

const joinedAlias = (alias: string) => `${alias}_j`;

/** Builds the SQL parts of one level (top level: path []). */
export function buildLevel(ctx: BuildContext, src: Source, items: SelectItem[], path: string[]): LevelSql {
  const key = path.join(".");
  ctx.consumed.add(key);
  const scoped = ctx.query.scopes.get(key);
  const out: LevelSql = {
    columns: [],
    names: [],
    joins: [],
    where: [],
    order: [],
    limit: scoped?.limit,
    offset: scoped?.offset,
    uses: new Set(),
  };
  const embeds: EmbedBuild[] = [];
  const nullTests = new Map<string, string>();
  /** Non-aggregate select expressions: the GROUP BY when the level aggregates. */
  const plain: string[] = [];
  const colSql = (c: Column) => `${ident(src.alias)}.${ident(c.name)}`;

  for (const item of items) {
    switch (item.type) {
      case "star":
        for (const c of src.columns) {
          out.columns.push(`${colSql(c)} as ${ident(c.name)}`);
          out.names.push(c.name);
          out.uses.add(c.name);
        }
        break;
      case "field": {
        if (item.aggregate && !ctx.aggregates) throw errors.aggregates();
        // `rel(count)`: inside an embed, a bare `count` on a table without such a column counts the related rows
        // (the form Supabase documents: `select('*, cities(count)')` → `cities: [{ count: 3 }]`).
        if (
          path.length > 0 &&
          item.field.name === "count" &&
          !item.field.json.length &&
          !src.columns.some((c) => c.name === "count")
        ) {
          out.columns.push(`count(*)${item.cast ? `::${item.cast}` : ""} as ${ident(item.alias ?? "count")}`);
          out.names.push(item.alias ?? "count");
          break;
        }
        const col = findColumn(filterScope(src, nullTests), item.field.name);
        use(out.uses, src, col);
        let expr = fieldSql(src.alias, item.field, col, ctx.params);
        // The parser only accepts identifier-shaped type names (isSafeTypeName), so the cast is written as is.
        if (item.cast) expr = `cast(${expr} as ${item.cast})`;
        if (item.aggregate) {
          // `col.sum()`, `col::int.avg()::text`: the aggregate of the column, named after the function.
          expr = `${item.aggregate}(${expr})`;
          if (item.aggregateCast) expr = `cast(${expr} as ${item.aggregateCast})`;
          const aggName = item.alias ?? item.aggregate;
          out.columns.push(`${expr} as ${ident(aggName)}`);
          out.names.push(aggName);
          out.groupBy ??= [];
          break;
        }
        const name =
          item.alias ?? (item.field.json.length ? item.field.json[item.field.json.length - 1]!.key : col.name);
        out.columns.push(`${expr} as ${ident(name)}`);
        out.names.push(name);
        plain.push(expr);
        break;
      }
      case "count": {
        if (!ctx.aggregates) throw errors.aggregates();
        const countName = item.alias ?? "count";
        out.columns.push(`${item.cast ? `cast(count(*) as ${item.cast})` : "count(*)"} as ${ident(countName)}`);
        out.names.push(countName);
        out.groupBy ??= [];
        break;
      }
      case "embed": {
        if (!src.table) throw errors.notImplemented(`Cannot embed '${item.name}' on a result without a table type`);
        const rel = findRelationship(ctx.cache, src.table, item.name, item.hint);
        const alias = `pgrst_${++ctx.aliasCount}`;
        const outName = item.alias ?? item.name;
        const childPath = [...path, outName];
        // Filters may still address an aliased embed by its table name (PostgREST's legacy target names).
        if (
          item.alias &&
          !ctx.query.scopes.has(childPath.join(".")) &&
          ctx.query.scopes.has([...path, item.name].join("."))
        )
          childPath[childPath.length - 1] = item.name;
        const child = buildLevel(
          ctx,
          { alias, relationName: rel.target.name, columns: rel.target.columns, table: rel.target },
          item.select,
          childPath,
        );
        const e: EmbedBuild = { item, rel, alias, outName, child, orderColumns: [] };
        for (const [oc] of rel.junction ? rel.junction.toOrigin.map(([jc, oc2]) => [oc2, jc]) : rel.pairs)
          out.uses.add(oc!);
        // A computed relationship's function may read any column of the parent row.
        if (rel.computed) for (const c of src.columns) out.uses.add(c.name);
        embeds.push(e);
        const marker = `${ident(joinedAlias(alias))}.${item.spread ? "pgrst_found" : "pgrst_body"}`;
        nullTests.set(outName, marker);
        if (item.alias) nullTests.set(item.name, marker);
        if (item.join === "inner") out.where.push(`${marker} is not null`);
        if (item.spread) {
          for (const n of child.names) {
            const v = `${ident(joinedAlias(alias))}.${ident(n)}`;
            out.columns.push(`${isToOne(rel) ? v : `coalesce(${v}, '[]'::json)`} as ${ident(n)}`);
            out.names.push(n);
          }
        } else if (item.select.length > 0) {
          out.columns.push(`${isToOne(rel) ? marker : `coalesce(${marker}, '[]'::json)`} as ${ident(outName)}`);
          out.names.push(outName);
        }
        break;
      }
    }
  }

  if (out.groupBy) {
    if (embeds.length || items.some((i) => i.type === "star"))
      throw errors.notImplemented("Aggregates together with '*' or embedded resources at the same level");
    out.groupBy = plain;
  }
  const fscope = filterScope(src, nullTests);
  for (const f of scoped?.filters ?? []) out.where.push(filterSql(fscope, f, ctx.params));
  for (const t of scoped?.logic ?? []) out.where.push(logicSql(fscope, t, ctx.params));
  for (const term of scoped?.order ?? []) out.order.push(orderSql(ctx, src, term, embeds, out.uses));
  for (const e of embeds) out.joins.push(lateralJoin(e, src.alias));
  return out;
}

function filterScope(src: Source, embeds: Map<string, string>): FilterScope {
  return {
    alias: src.alias,
    relationName: src.relationName,
    columns: src.columns,
    embeds,
    computed: src.table?.computed,
  };
}

/** Records a column the level reads; a computed field reads the whole row. */
function use(uses: Set<string>, src: Source, col: Column): void {
  if (!col.computed) uses.add(col.name);
  else for (const c of src.columns) uses.add(c.name);
}

function orderSql(ctx: BuildContext, src: Source, term: OrderTerm, embeds: EmbedBuild[], uses: Set<string>): string {
  let expr: string;
  if (term.relation) {
    const e = embeds.find((x) => x.outName === term.relation) ?? embeds.find((x) => x.item.name === term.relation);
    if (!e) throw errors.notEmbedded(term.relation);
    if (!isToOne(e.rel)) throw errors.orderRelation(term.relation);
    const col = findColumn(
      {
        alias: e.alias,
        relationName: e.rel.target.name,
        columns: e.rel.target.columns,
        embeds: new Map(),
        computed: e.rel.target.computed,
      },
      term.field.name,
    );
    const hidden = `pgrst_o${e.orderColumns.length}`;
    e.orderColumns.push(`${fieldSql(e.alias, term.field, col, ctx.params)} as ${hidden}`);
    expr = `${ident(joinedAlias(e.alias))}.${hidden}`;
  } else {
    const col = findColumn(filterScope(src, new Map()), term.field.name);
    use(uses, src, col);
    expr = fieldSql(src.alias, term.field, col, ctx.params);
  }
  if (term.direction) expr += ` ${term.direction}`;
  if (term.nulls) expr += ` nulls ${term.nulls}`;
  return expr;
}

/** The `left join lateral` that computes one embed for each parent row. */
function lateralJoin(e: EmbedBuild, parentAlias: string): string {
  const { rel, alias, child } = e;
  const t = rel.target;
  let from = `${qident(t.schema, t.name)} as ${ident(alias)}`;
  const cond: string[] = [];
  if (rel.computed) {
    // The function receives the parent row and does the matching itself.
    from = `${qident(rel.computed.schema, rel.computed.name)}(${ident(parentAlias)}) as ${ident(alias)}`;
    cond.push("true");
  } else if (rel.junction) {
    const jt = `${alias}_jt`;
    from += ` join ${qident(rel.junction.table.schema, rel.junction.table.name)} as ${ident(jt)} on ${rel.junction.toTarget.map(([jc, tc]) => `${ident(jt)}.${ident(jc)} = ${ident(alias)}.${ident(tc)}`).join(" and ")}`;
    for (const [jc, oc] of rel.junction.toOrigin)
      cond.push(`${ident(jt)}.${ident(jc)} = ${ident(parentAlias)}.${ident(oc)}`);
  } else {
    for (const [oc, tc] of rel.pairs) cond.push(`${ident(alias)}.${ident(tc)} = ${ident(parentAlias)}.${ident(oc)}`);
  }
  const where = [...cond, ...child.where];
  const tail = `${child.joins.join(" ")} where ${where.join(" and ")}`;
  const shape = `${child.order.length ? ` order by ${child.order.join(", ")}` : ""}${child.limit !== undefined ? ` limit ${child.limit}` : ""}${child.offset !== undefined ? ` offset ${child.offset}` : ""}`;
  const inner = `select ${child.columns.join(", ")} from ${from} ${tail}${groupBy(child)}${shape}`;
  const extra = e.orderColumns.length ? `, ${e.orderColumns.join(", ")}` : "";
  let body: string;
  if (isToOne(rel)) {
    body = e.item.spread
      ? `select ${[...child.columns, "1 as pgrst_found"].join(", ")}${extra} from ${from} ${tail}`
      : `select (select row_to_json(_r) from (select ${child.columns.join(", ")}) as _r) as pgrst_body${extra} from ${from} ${tail}`;
  } else if (e.item.spread) {
    const aggs = child.names.map((n) => `json_agg(_r.${ident(n)}) as ${ident(n)}`);
    body = `select ${[...aggs, "nullif(count(*), 0) as pgrst_found"].join(", ")} from (${inner}) as _r`;
  } else {
    body = `select json_agg(_r) as pgrst_body from (${inner}) as _r`;
  }
  return `left join lateral (${body}) as ${ident(joinedAlias(alias))} on true`;
}

/** Throws PGRST108 for filters/order/limit addressed to an embed that is not in `select`. */
export function checkConsumed(ctx: BuildContext): void {
  for (const key of ctx.query.scopes.keys()) {
    if (ctx.consumed.has(key)) continue;
    const s = ctx.query.scopes.get(key)!;
    if (!s.filters.length && !s.logic.length && !s.order && s.limit === undefined && s.offset === undefined) continue;
    throw errors.notEmbedded(key.split(".").pop() ?? key);
  }
}

export type BodyShape = "array" | "object" | "csv" | "none";

/** `select … from … where … order by … limit … offset …` for a level. */
export function levelQuery(level: LevelSql, from: string, limit?: number, offset?: number): string {
  const where = level.where.length ? ` where ${level.where.join(" and ")}` : "";
  const order = level.order.length ? ` order by ${level.order.join(", ")}` : "";
  const lim = limit !== undefined ? ` limit ${limit}` : "";
  const off = offset ? ` offset ${offset}` : "";
  return `select ${level.columns.join(", ")} from ${from} ${level.joins.join(" ")}${where}${groupBy(level)}${order}${lim}${off}`;
}

const groupBy = (level: LevelSql): string => (level.groupBy?.length ? ` group by ${level.groupBy.join(", ")}` : "");

/** Row count over the same FROM/WHERE, without order or paging; only the embeds the WHERE needs are joined. `cap` stops counting early. */
export function countQuery(level: LevelSql, from: string, cap?: number): string {
  const whereText = level.where.join(" and ");
  const where = level.where.length ? ` where ${whereText}` : "";
  const joins = level.joins.filter((j) => {
    const m = / as ("pgrst_\d+_j") on true$/.exec(j);
    return !m || whereText.includes(m[1]!);
  });
  if (level.groupBy) return `select count(*) from (${levelQuery(level, from, cap)}) as _c`;
  if (cap !== undefined)
    return `select count(*) from (select 1 from ${from} ${joins.join(" ")}${where} limit ${cap}) as _c`;
  return `select count(*) from ${from} ${joins.join(" ")}${where}`;
}

/** Wraps rows in the response body: JSON array, single object, or CSV — built by PostgreSQL like PostgREST does. */
export function bodyExpr(shape: BodyShape, stripNulls = false): string {
  switch (shape) {
    case "array":
      return stripNulls ? "json_strip_nulls(coalesce(json_agg(_t), '[]'))::text" : "coalesce(json_agg(_t), '[]')::text";
    case "object":
      return stripNulls
        ? "coalesce(json_strip_nulls(json_agg(_t) -> 0)::text, 'null')"
        : "coalesce((json_agg(_t) -> 0)::text, 'null')";
    case "csv":
      return `coalesce((select string_agg(k, ',') from json_object_keys(json_agg(_t) -> 0) as k), '') || chr(10) || coalesce(string_agg(substring(_t::text, 2, length(_t::text) - 2), chr(10)), '')`;
    case "none":
      return "null::text";
  }
}

/** The final statement: total (or null), rows on this page, body text. */
export function wrapRows(
  rowsSql: string,
  countSql: string | null,
  shape: BodyShape,
  stripNulls = false,
  prefix = "",
): string {
  return `${prefix}select ${countSql ? `(${countSql})` : "null"}::int8 as total, count(*)::int8 as page_total, ${bodyExpr(shape, stripNulls)} as body from (${rowsSql}) as _t`;
}
