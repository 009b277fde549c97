// What the query-string grammar parses into: select items, filters, logic trees, order terms, scopes.

export interface JsonStep {
  arrow: "->" | "->>";
  key: string;
  /** True when the key is an array index (`->0`). */
  index: boolean;
}

export interface Field {
  name: string;
  json: JsonStep[];
}

export type SelectItem =
  | { type: "star" }
  | { type: "field"; field: Field; alias?: string; cast?: string; aggregate?: string; aggregateCast?: string }
  | { type: "count"; alias?: string; cast?: string }
  | EmbedItem;

export interface EmbedItem {
  type: "embed";
  name: string;
  alias?: string;
  hint?: string;
  join: "left" | "inner";
  spread: boolean;
  select: SelectItem[];
}

export type FilterOp =
  | "eq"
  | "neq"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "like"
  | "ilike"
  | "match"
  | "imatch"
  | "is"
  | "isdistinct"
  | "in"
  | "cs"
  | "cd"
  | "ov"
  | "sl"
  | "sr"
  | "nxr"
  | "nxl"
  | "adj"
  | "fts"
  | "plfts"
  | "phfts"
  | "wfts";

export interface Operation {
  negated: boolean;
  op: FilterOp;
  /** `(any)` / `(all)` quantifier on comparison operators. */
  quantifier?: "any" | "all";
  /** Text-search configuration, `fts(english)`. */
  lang?: string;
  /** The literal value; for `in` the list items. */
  value: string;
  list?: string[];
}

export interface Filter {
  type: "filter";
  field: Field;
  op: Operation;
}

export interface LogicTree {
  type: "logic";
  kind: "and" | "or";
  negated: boolean;
  children: Array<LogicTree | Filter>;
}

export interface OrderTerm {
  /** Set for `rel(col)` ordering on a to-one embed. */
  relation?: string;
  field: Field;
  direction?: "asc" | "desc";
  nulls?: "first" | "last";
}

/** Everything addressed to one embed level (top level = path []). */
export interface Scoped {
  filters: Filter[];
  logic: LogicTree[];
  order?: OrderTerm[];
  limit?: number;
  offset?: number;
}

export interface ParsedQuery {
  select: SelectItem[];
  /** Keyed by embed path joined with '.', '' for the top level. */
  scopes: Map<string, Scoped>;
  columns?: string[];
  onConflict?: string[];
  /** For GET/HEAD RPC: parameters that are not filters. */
  args: Array<[string, string]>;
  /** True when `select` was given explicitly. */
  hasSelect: boolean;
}
