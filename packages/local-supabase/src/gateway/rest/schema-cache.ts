// The schema cache: tables, views, columns, keys, foreign keys, functions and role settings read from pg_catalog.
import type pg from "pg";

export interface Column {
  name: string;
  /** format_type() with an empty search_path, so it is always schema-qualified when needed. */
  type: string;
  /** Name of the base type (domains resolved), e.g. `jsonb`, `tsvector`, `_int4` for arrays. */
  base: string;
  nullable: boolean;
  /** Default expression as PostgreSQL prints it, or null. */
  default: string | null;
  /** A computed field: `fn(row)` of this function, with `rowType` the relation whose row it takes. */
  computed?: { schema: string; name: string; rowType: { schema: string; name: string } };
}

export interface Table {
  schema: string;
  name: string;
  /** pg_class.relkind: r table, p partitioned, v view, m matview, f foreign. */
  kind: string;
  columns: Column[];
  pk: string[];
  uniques: string[][];
  /** Computed fields: functions of this relation's row returning one scalar, selectable, filterable and orderable by name. */
  computed: Map<string, Column>;
}

export interface ForeignKey {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
}

export interface FunctionArg {
  name: string;
  type: string;
  hasDefault: boolean;
  variadic: boolean;
  /** The type (or, for an array, its element type) is a row type: JSON objects are read into it field by field. */
  composite: boolean;
}

export type ReturnShape =
  | { kind: "void" }
  | { kind: "scalar"; type: string }
  | { kind: "composite"; columns: Column[]; relation: { schema: string; name: string } | null };

export interface DbFunction {
  schema: string;
  name: string;
  args: FunctionArg[];
  returns: ReturnShape;
  setof: boolean;
  /** provolatile: v volatile, s stable, i immutable. */
  volatility: string;
  /** `schema.table` when the only parameter is a table's row type: a computed relationship from that table. */
  argRelation: string | null;
  /**
   * Callable by /rpc (PostgREST's rule): every parameter named, or one unnamed json/jsonb/text/xml/bytea parameter.
   * Others stay in the cache for computed relationships and fields.
   */
  callable: boolean;
  /** Declared `rows` estimate (`rows 1` makes a set-returning computed relationship to-one). */
  rows: number;
}

export interface SchemaCache {
  /** `schema.name` → table/view. */
  tables: Map<string, Table>;
  foreignKeys: ForeignKey[];
  /** `schema.name` → overloads. */
  functions: Map<string, DbFunction[]>;
  /** role → [setting, value] pairs from ALTER ROLE … SET. */
  roleSettings: Map<string, Array<[string, string]>>;
  /** Roles `authenticator` may switch to (PostgREST logs in as authenticator); null when there is no such role. */
  switchableRoles: Set<string> | null;
  /** When the catalog reads began: DDL committed before this is in the cache. */
  startedAt: Date;
}

export const qualified = (schema: string, name: string): string => `${schema}.${name}`;

const RELATIONS_SQL = `
with fn_types as (
  select rt.typrelid from pg_proc p join pg_type rt on rt.oid = p.prorettype
  where p.pronamespace in (select oid from pg_namespace where nspname = any($1)) and rt.typrelid <> 0
)
select n.nspname as schema, c.relname as name, c.relkind as kind, c.oid::int8 as oid,
  coalesce(json_agg(json_build_object(
    'name', a.attname,
    'type', format_type(a.atttypid, a.atttypmod),
    'base', coalesce(bt.typname, t.typname),
    'nullable', not a.attnotnull,
    'default', case
      when t.typbasetype <> 0 and d.adbin is null then pg_get_expr(t.typdefaultbin, 0)
      when a.attidentity = 'd' then format('nextval(%L)', pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname))
      when a.attgenerated = 's' then null
      else pg_get_expr(d.adbin, d.adrelid) end
  ) order by a.attnum) filter (where a.attname is not null), '[]') as columns,
  (select array_agg(att.attname::text order by k.ord)
     from pg_constraint pk, unnest(pk.conkey) with ordinality k(attnum, ord)
     join pg_attribute att on att.attrelid = c.oid and att.attnum = k.attnum
    where pk.conrelid = c.oid and pk.contype = 'p') as pk,
  (select coalesce(json_agg(cols), '[]') from (
     select array_agg(att.attname::text order by k.ord) as cols
       from pg_constraint u, unnest(u.conkey) with ordinality k(attnum, ord)
       join pg_attribute att on att.attrelid = c.oid and att.attnum = k.attnum
      where u.conrelid = c.oid and u.contype = 'u' group by u.oid) uq) as uniques
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
left join pg_type t on t.oid = a.atttypid
left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
where (n.nspname = any($1) and c.relkind in ('r', 'v', 'm', 'f', 'p'))
   or c.oid in (select typrelid from fn_types)
group by n.nspname, c.relname, c.relkind, c.oid`;

const FOREIGN_KEYS_SQL = `
select con.conname as name, n1.nspname as schema, c1.relname as table, n2.nspname as ref_schema, c2.relname as ref_table,
  array(select a.attname::text from unnest(con.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o) as columns,
  array(select a.attname::text from unnest(con.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o) as ref_columns
from pg_constraint con
join pg_class c1 on c1.oid = con.conrelid join pg_namespace n1 on n1.oid = c1.relnamespace
join pg_class c2 on c2.oid = con.confrelid join pg_namespace n2 on n2.oid = c2.relnamespace
where con.contype = 'f' and con.conparentid = 0 and n1.nspname = any($1) and n2.nspname = any($1)`;

const FUNCTIONS_SQL = `
select n.nspname as schema, p.proname as name, p.provolatile as volatility, p.proretset as setof,
  p.pronargs as nargs, p.pronargdefaults as ndefaults, p.provariadic <> 0 as variadic,
  coalesce(p.proargnames, '{}') as argnames,
  coalesce(p.proargmodes::text[], '{}') as modes,
  array(select format_type(x, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) x) as argtypes,
  array(select coalesce(nullif(xt.typrelid, 0), et.typrelid, 0) <> 0 from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality x(oid, o)
        left join pg_type xt on xt.oid = x.oid left join pg_type et on et.oid = xt.typelem and xt.typcategory = 'A' order by x.o) as argcomposite,
  format_type(p.prorettype, null) as rettype, rt.typname as rettypname, rt.typrelid::int8 as retrelid,
  rt.typtype as rettyptype,
  p.prorows as rows,
  (select format('%s.%s', an.nspname, ac.relname) from pg_type at join pg_class ac on ac.oid = at.typrelid join pg_namespace an on an.oid = ac.relnamespace
    where p.pronargs = 1 and at.oid = p.proargtypes[0] and ac.relkind in ('r', 'v', 'm', 'f', 'p')) as arg_relation
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
where n.nspname = any($1) and p.prokind = 'f'`;

// View columns that come straight from a base-table column of the same name (pg_depend of the view's rewrite rule).
// PostgREST follows the full rewrite tree; same-name lineage covers `select a, b from t` and `select t.* from t …` views.
const VIEW_COLUMNS_SQL = `
select distinct vn.nspname as view_schema, v.relname as view_name, tn.nspname as base_schema, t.relname as base_name, a.attname::text as column_name
from pg_depend d
join pg_rewrite r on r.oid = d.objid
join pg_class v on v.oid = r.ev_class and v.relkind in ('v', 'm')
join pg_namespace vn on vn.oid = v.relnamespace
join pg_class t on t.oid = d.refobjid and t.relkind in ('r', 'p', 'f')
join pg_namespace tn on tn.oid = t.relnamespace
join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
join pg_attribute va on va.attrelid = v.oid and va.attname = a.attname and not va.attisdropped
where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0
  and vn.nspname = any($1) and tn.nspname = any($1)`;

// The stack connects as a superuser, but PostgREST logs in as `authenticator` and can only become its member roles.
const SWITCHABLE_ROLES_SQL = `
select r.rolname from pg_catalog.pg_roles r
where exists (select 1 from pg_catalog.pg_roles a where a.rolname = 'authenticator' and pg_catalog.pg_has_role(a.oid, r.oid, 'member'))`;

const ROLE_SETTINGS_SQL = `
select r.rolname as role, s.setconfig as config
from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
order by s.setdatabase`;

interface RelationRow {
  schema: string;
  name: string;
  kind: string;
  oid: string;
  columns: Column[];
  pk: string[] | null;
  uniques: string[][];
}

interface FunctionRow {
  schema: string;
  name: string;
  volatility: string;
  setof: boolean;
  nargs: number;
  ndefaults: number;
  variadic: boolean;
  argnames: string[];
  modes: string[];
  argtypes: string[];
  argcomposite: boolean[];
  rettype: string;
  rettypname: string;
  retrelid: string;
  rettyptype: string;
  rows: number;
  arg_relation: string | null;
}

/** Reads the catalogs for the exposed schemas. Runs with an empty search_path so type names come out qualified. */
export async function loadSchemaCache(db: pg.Pool, schemas: string[]): Promise<SchemaCache> {
  const startedAt = new Date();
  const client = await db.connect();
  try {
    await client.query("begin read only");
    await client.query("set local search_path = ''");
    const rels = (await client.query<RelationRow>(RELATIONS_SQL, [schemas])).rows;
    const fks = (await client.query(FOREIGN_KEYS_SQL, [schemas])).rows as Array<Record<string, unknown>>;
    const fns = (await client.query<FunctionRow>(FUNCTIONS_SQL, [schemas])).rows;
    const roles = (await client.query<{ role: string; config: string[] }>(ROLE_SETTINGS_SQL)).rows;
    const viewCols = (await client.query<ViewColumnRow>(VIEW_COLUMNS_SQL, [schemas])).rows;
    const switchable = (await client.query<{ rolname: string }>(SWITCHABLE_ROLES_SQL)).rows;
    const hasAuthenticator =
      (await client.query("select 1 from pg_catalog.pg_roles where rolname = 'authenticator'")).rowCount === 1;
    await client.query("commit");

    const tables = new Map<string, Table>();
    const byOid = new Map<string, RelationRow>();
    for (const r of rels) {
      byOid.set(String(r.oid), r);
      if (!schemas.includes(r.schema) || r.kind === "c") continue;
      tables.set(qualified(r.schema, r.name), {
        schema: r.schema,
        name: r.name,
        kind: r.kind,
        columns: r.columns,
        pk: r.pk ?? [],
        uniques: r.uniques ?? [],
        computed: new Map(),
      });
    }

    const foreignKeys: ForeignKey[] = fks.map((f) => ({
      name: String(f.name),
      schema: String(f.schema),
      table: String(f.table),
      columns: f.columns as string[],
      refSchema: String(f.ref_schema),
      refTable: String(f.ref_table),
      refColumns: f.ref_columns as string[],
    }));

    addViewKeys(tables, foreignKeys, viewCols);

    const functions = new Map<string, DbFunction[]>();
    for (const f of fns) {
      const fn = toFunction(f, byOid);
      const key = qualified(f.schema, f.name);
      const list = functions.get(key) ?? [];
      list.push(fn);
      functions.set(key, list);
      addComputedField(tables, fn);
    }

    const roleSettings = new Map<string, Array<[string, string]>>();
    for (const r of roles) {
      const pairs = roleSettings.get(r.role) ?? [];
      for (const item of r.config ?? []) {
        const i = item.indexOf("=");
        if (i > 0) pairs.push([item.slice(0, i), item.slice(i + 1)]);
      }
      roleSettings.set(r.role, pairs);
    }
    const switchableRoles = hasAuthenticator ? new Set(switchable.map((r) => r.rolname)) : null;
    return { tables, foreignKeys, functions, roleSettings, switchableRoles, startedAt };
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** `fn(t) returns <scalar>` in the relation's own schema is a computed field of `t` (a column that is not stored). */
function addComputedField(tables: Map<string, Table>, fn: DbFunction): void {
  if (!fn.argRelation || fn.setof || fn.returns.kind !== "scalar") return;
  const t = tables.get(fn.argRelation);
  if (!t || t.schema !== fn.schema || t.columns.some((c) => c.name === fn.name)) return;
  const type = fn.returns.type;
  t.computed.set(fn.name, {
    name: fn.name,
    type,
    base: type,
    nullable: true,
    default: null,
    computed: { schema: fn.schema, name: fn.name, rowType: { schema: t.schema, name: t.name } },
  });
}

interface ViewColumnRow {
  view_schema: string;
  view_name: string;
  base_schema: string;
  base_name: string;
  column_name: string;
}

/**
 * Gives views the keys of their base tables: a view that exposes every column of a primary key / unique constraint /
 * foreign key of its base table (under the same names) gets that key too, so views can be embedded like tables.
 */
function addViewKeys(tables: Map<string, Table>, foreignKeys: ForeignKey[], rows: ViewColumnRow[]): void {
  // view → base table → columns taken from it; a column name claimed by two bases is ambiguous and dropped.
  const lineage = new Map<string, Map<string, Set<string>>>();
  const owners = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const v = qualified(r.view_schema, r.view_name);
    const b = qualified(r.base_schema, r.base_name);
    if (!lineage.has(v)) lineage.set(v, new Map());
    if (!owners.has(v)) owners.set(v, new Map());
    const perBase = lineage.get(v)!;
    if (!perBase.has(b)) perBase.set(b, new Set());
    perBase.get(b)!.add(r.column_name);
    owners.get(v)!.set(r.column_name, (owners.get(v)!.get(r.column_name) ?? 0) + 1);
  }
  const covers = (view: string, base: string, cols: string[]) =>
    cols.length > 0 && cols.every((c) => lineage.get(view)?.get(base)?.has(c) && owners.get(view)?.get(c) === 1);
  const viewsOver = (base: string, cols: string[]) => [...lineage.keys()].filter((v) => covers(v, base, cols));

  for (const [v, bases] of lineage) {
    const view = tables.get(v);
    if (!view) continue;
    for (const b of bases.keys()) {
      const base = tables.get(b);
      if (!base) continue;
      if (!view.pk.length && covers(v, b, base.pk)) view.pk = [...base.pk];
      for (const u of base.uniques) if (covers(v, b, u)) view.uniques.push([...u]);
    }
  }
  const extra: ForeignKey[] = [];
  for (const fk of foreignKeys) {
    const child = qualified(fk.schema, fk.table);
    const parent = qualified(fk.refSchema, fk.refTable);
    const children = [child, ...viewsOver(child, fk.columns)];
    const parents = [parent, ...viewsOver(parent, fk.refColumns)];
    for (const c of children) {
      for (const p of parents) {
        if (c === child && p === parent) continue;
        const ct = tables.get(c);
        const pt = tables.get(p);
        if (!ct || !pt) continue;
        extra.push({ ...fk, schema: ct.schema, table: ct.name, refSchema: pt.schema, refTable: pt.name });
      }
    }
  }
  foreignKeys.push(...extra);
}

function toFunction(f: FunctionRow, byOid: Map<string, RelationRow>): DbFunction {
  const args: FunctionArg[] = [];
  const outs: Column[] = [];
  const inputs = f.argtypes.map((type, i) => ({
    type,
    name: f.argnames[i] ?? "",
    mode: f.modes[i] ?? "i",
    composite: f.argcomposite[i] ?? false,
  }));
  const inputCount = inputs.filter((a) => a.mode === "i" || a.mode === "b" || a.mode === "v").length;
  let inputIndex = 0;
  for (const a of inputs) {
    if (a.mode === "i" || a.mode === "b" || a.mode === "v") {
      args.push({
        name: a.name,
        type: a.type,
        hasDefault: inputIndex >= inputCount - f.ndefaults,
        variadic: a.mode === "v",
        composite: a.composite,
      });
      inputIndex++;
    }
    if (a.mode === "o" || a.mode === "b" || a.mode === "t")
      outs.push({ name: a.name, type: a.type, base: a.type, nullable: true, default: null });
  }
  let returns: ReturnShape;
  const rel = f.retrelid !== "0" ? byOid.get(String(f.retrelid)) : undefined;
  if (f.rettypname === "void") returns = { kind: "void" };
  else if (rel)
    returns = {
      kind: "composite",
      columns: rel.columns,
      relation: rel.kind === "c" ? null : { schema: rel.schema, name: rel.name },
    };
  else if (f.rettypname === "record" && outs.length) returns = { kind: "composite", columns: outs, relation: null };
  else returns = { kind: "scalar", type: f.rettype };
  // proargnames is absent when no parameter is named; a '' name in it counts as named, as in PostgREST's query.
  const unnamed = f.argnames.length ? 0 : args.length;
  const callable =
    unnamed === 0 || (unnamed === 1 && ["bytea", "json", "jsonb", "text", "xml"].includes(args[0]!.type));
  return {
    schema: f.schema,
    name: f.name,
    args,
    returns,
    setof: f.setof,
    volatility: f.volatility,
    argRelation: f.arg_relation,
    rows: Number(f.rows),
    callable,
  };
}
