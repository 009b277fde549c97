// Relationships between tables (from foreign keys) and PostgREST's rules for choosing one when embedding.
import { ApiError } from "./errors.ts";
import { closest } from "./did-you-mean.ts";
import { qualified, type DbFunction, type ForeignKey, type SchemaCache, type Table } from "./schema-cache.ts";

export type Cardinality = "many-to-one" | "one-to-many" | "one-to-one" | "many-to-many";

export interface Relationship {
  cardinality: Cardinality;
  origin: Table;
  target: Table;
  /** Constraint name, or the junction table's name for many-to-many. */
  name: string;
  /** (origin column, target column) pairs for direct relationships. */
  pairs: Array<[string, string]>;
  /** Many-to-many: junction table and its (junction column, origin/target column) pairs. */
  junction?: {
    table: Table;
    toOrigin: Array<[string, string]>;
    toTarget: Array<[string, string]>;
    fkOrigin: ForeignKey;
    fkTarget: ForeignKey;
  };
  fk?: ForeignKey;
  /** Computed relationship: a function taking the origin's row and returning the target's rows. */
  computed?: DbFunction;
  /** For hint matching: the FK columns on the origin and target side. */
  originColumns: string[];
  targetColumns: string[];
  selfReference: boolean;
}

export const isToOne = (r: Relationship): boolean => r.cardinality === "many-to-one" || r.cardinality === "one-to-one";

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const zip = (a: string[], b: string[]): Array<[string, string]> => a.map((x, i) => [x, b[i]!]);
const isUniqueOn = (t: Table, cols: string[]) => sameSet(t.pk, cols) || t.uniques.some((u) => sameSet(u, cols));

/** Every relationship whose origin is `origin`. */
export function relationshipsOf(cache: SchemaCache, origin: Table): Relationship[] {
  const out: Relationship[] = [];
  const table = (schema: string, name: string) => cache.tables.get(qualified(schema, name));
  for (const fk of cache.foreignKeys) {
    const child = table(fk.schema, fk.table);
    const parent = table(fk.refSchema, fk.refTable);
    if (!child || !parent) continue;
    const self = child === parent;
    const oneToOne = isUniqueOn(child, fk.columns);
    if (child === origin) {
      out.push({
        cardinality: oneToOne ? "one-to-one" : "many-to-one",
        origin,
        target: parent,
        name: fk.name,
        pairs: zip(fk.columns, fk.refColumns),
        fk,
        originColumns: fk.columns,
        targetColumns: fk.refColumns,
        selfReference: self,
      });
    }
    if (parent === origin) {
      out.push({
        cardinality: oneToOne ? "one-to-one" : "one-to-many",
        origin,
        target: child,
        name: fk.name,
        pairs: zip(fk.refColumns, fk.columns),
        fk,
        originColumns: fk.refColumns,
        targetColumns: fk.columns,
        selfReference: self,
      });
    }
  }
  // Many-to-many through a junction whose primary key covers both foreign keys.
  for (const j of cache.tables.values()) {
    if (!j.pk.length) continue;
    const fks = cache.foreignKeys.filter(
      (f) => f.schema === j.schema && f.table === j.name && f.columns.every((c) => j.pk.includes(c)),
    );
    for (const f1 of fks) {
      if (f1.refSchema !== origin.schema || f1.refTable !== origin.name) continue;
      for (const f2 of fks) {
        if (f2 === f1) continue;
        const target = table(f2.refSchema, f2.refTable);
        if (!target) continue;
        out.push({
          cardinality: "many-to-many",
          origin,
          target,
          name: j.name,
          pairs: [],
          junction: {
            table: j,
            toOrigin: zip(f1.columns, f1.refColumns),
            toTarget: zip(f2.columns, f2.refColumns),
            fkOrigin: f1,
            fkTarget: f2,
          },
          originColumns: f1.refColumns,
          targetColumns: f2.refColumns,
          selfReference: false,
        });
      }
    }
  }
  // Computed relationships: f(origin) returning rows of a table or view.
  for (const fns of cache.functions.values()) {
    for (const f of fns) {
      if (
        f.argRelation !== qualified(origin.schema, origin.name) ||
        f.returns.kind !== "composite" ||
        !f.returns.relation
      )
        continue;
      const target = table(f.returns.relation.schema, f.returns.relation.name);
      if (!target) continue;
      out.push({
        cardinality: f.setof && f.rows !== 1 ? "one-to-many" : "many-to-one",
        origin,
        target,
        name: f.name,
        pairs: [],
        computed: f,
        originColumns: [],
        targetColumns: [],
        selfReference: false,
      });
    }
  }
  return out;
}

/** PostgREST's `findRel`: picks the relationship for `target[!hint]` under `origin`, or throws PGRST200/PGRST201. */
export function findRelationship(
  cache: SchemaCache,
  origin: Table,
  target: string,
  hint: string | undefined,
): Relationship {
  const all = relationshipsOf(cache, origin);
  let candidates: Relationship[];
  if (hint === undefined) {
    candidates = all.filter((r) => {
      if (r.computed) return r.name === target;
      // Self-reference: the table name means the children (one-to-many), the FK column the parent (many-to-one).
      if (r.selfReference) {
        return (
          (r.target.name === target && r.cardinality === "one-to-many") ||
          (r.cardinality === "many-to-one" && r.originColumns.length === 1 && r.originColumns[0] === target)
        );
      }
      if (r.target.name === target) return true;
      if (r.cardinality === "many-to-many" || r.target.kind === "v") return false;
      if (r.name === target) return true;
      return r.cardinality !== "one-to-many" && r.originColumns.length === 1 && r.originColumns[0] === target;
    });
  } else {
    candidates = all.filter((r) => {
      if (r.computed) return r.name === target;
      if (r.target.name !== target) return false;
      if (r.cardinality === "many-to-many")
        return r.name === hint || r.junction!.fkOrigin.name === hint || r.junction!.fkTarget.name === hint;
      // Self-reference with a hint: the one-to-many side whose FK column is the hint (`replies:messages!reply_to_id`).
      if (r.selfReference)
        return r.cardinality === "one-to-many" && r.targetColumns.length === 1 && r.targetColumns[0] === hint;
      if (r.name === hint) return true;
      return (
        (r.originColumns.length === 1 && r.originColumns[0] === hint) ||
        (r.targetColumns.length === 1 && r.targetColumns[0] === hint)
      );
    });
  }
  // A computed relationship overrides foreign-key ones of the same name.
  if (candidates.some((r) => r.computed)) candidates = candidates.filter((r) => r.computed);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const suggestion = closest(
      target,
      all.map((r) => r.target.name),
    );
    return raise(
      new ApiError(
        400,
        "PGRST200",
        `Could not find a relationship between '${origin.name}' and '${target}' in the schema cache`,
        `Searched for a foreign key relationship between '${origin.name}' and '${target}'${hint ? ` using the hint '${hint}'` : ""} in the schema '${origin.schema}', but no matches were found.`,
        suggestion && suggestion !== target ? `Perhaps you meant '${suggestion}' instead of '${target}'.` : null,
      ),
    );
  }
  return raise(
    new ApiError(
      300,
      "PGRST201",
      `Could not embed because more than one relationship was found for '${origin.name}' and '${target}'`,
      candidates.map((r) => ({
        cardinality: r.cardinality,
        embedding: `${origin.name} with ${r.target.name}`,
        relationship: describe(r),
      })),
      `Try changing '${target}' to one of the following: ${candidates.map((r) => `'${target}!${r.name}'`).join(", ")}. Find the desired relationship in the 'details' key.`,
    ),
  );
}

function describe(r: Relationship): string {
  if (r.junction) {
    const j = r.junction;
    return `${r.name} using ${j.fkOrigin.name}(${j.fkOrigin.columns.join(", ")}) and ${j.fkTarget.name}(${j.fkTarget.columns.join(", ")})`;
  }
  return `${r.name} using ${r.origin.name}(${r.originColumns.join(", ")}) and ${r.target.name}(${r.targetColumns.join(", ")})`;
}

function raise(e: ApiError): never {
  throw e;
}
