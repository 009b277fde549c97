// PostgREST's query-string grammar, parsed without a database: select lists, filters, logic trees, order,
// limits per embed, RPC arguments, and the PGRST100 errors PostgREST words for bad input.
import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.ts";
import { parseQuery, type ParsedQuery } from "./query-params.ts";

const parse = (qs: string, rpcGet = false): ParsedQuery => parseQuery(new URLSearchParams(qs), { rpcGet });
const top = (qs: string) => parse(qs).scopes.get("")!;
const col = (name: string) => ({ name, json: [] });

/** The error body PostgREST answers for a query string it cannot parse. */
function refusal(qs: string): unknown {
  try {
    parse(qs);
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, ...e.body() };
    throw e;
  }
  throw new Error(`${qs} parsed`);
}

describe("select", () => {
  it("is * when absent, and says whether it was given", () => {
    expect(parse("")).toMatchObject({ select: [{ type: "star" }], hasSelect: false });
    expect(parse("select=")).toMatchObject({ select: [], hasSelect: true });
  });

  it("reads fields, casts, aliases, JSON paths, count() and aggregates", () => {
    expect(parse("select=id::text,label:name,tags->>0,meta->a->b,count(),amount.sum()").select).toEqual([
      { type: "field", field: col("id"), cast: "text" },
      { type: "field", field: col("name"), alias: "label" },
      { type: "field", field: { name: "tags", json: [{ arrow: "->>", key: "0", index: true }] } },
      {
        type: "field",
        field: {
          name: "meta",
          json: [
            { arrow: "->", key: "a", index: false },
            { arrow: "->", key: "b", index: false },
          ],
        },
      },
      { type: "count" },
      { type: "field", field: col("amount"), aggregate: "sum" },
    ]);
  });

  it("reads embeds with an alias, a hint, !inner and the ... spread", () => {
    expect(parse("select=id,author:authors!books_author_fkey(name),genres!inner(*),...editor(name)").select).toEqual([
      { type: "field", field: col("id") },
      {
        type: "embed",
        name: "authors",
        alias: "author",
        hint: "books_author_fkey",
        join: "left",
        spread: false,
        select: [{ type: "field", field: col("name") }],
      },
      { type: "embed", name: "genres", join: "inner", spread: false, select: [{ type: "star" }] },
      { type: "embed", name: "editor", join: "left", spread: true, select: [{ type: "field", field: col("name") }] },
    ]);
  });

  it("refuses a dangling comma with PostgREST's position and expectation", () => {
    expect(refusal("select=id,")).toEqual({
      status: 400,
      code: "PGRST100",
      message: '"failed to parse select (id,)" (line 1, column 4)',
      details: "unexpected end of input expecting field name (* or [a..z0..9_$])",
      hint: null,
    });
  });
});

describe("filters", () => {
  it("reads operators, negation, quantifiers, lists and text-search languages", () => {
    expect(top("id=eq.1&x=not.eq.2&y=eq(any).{1,2}&id=in.(1,2,3)&body=fts(english).hello").filters).toEqual([
      { type: "filter", field: col("id"), op: { negated: false, op: "eq", value: "1" } },
      { type: "filter", field: col("x"), op: { negated: true, op: "eq", value: "2" } },
      { type: "filter", field: col("y"), op: { negated: false, op: "eq", value: "{1,2}", quantifier: "any" } },
      { type: "filter", field: col("id"), op: { negated: false, op: "in", value: "", list: ["1", "2", "3"] } },
      { type: "filter", field: col("body"), op: { negated: false, op: "fts", value: "hello", lang: "english" } },
    ]);
  });

  it("keeps the rest of the value after the operator as it is (dots included)", () => {
    expect(top("name=like.a.b*").filters[0]!.op).toEqual({ negated: false, op: "like", value: "a.b*" });
  });

  it("puts a filter on an embed in that embed's scope", () => {
    const q = parse("authors.books.pages=gt.100&meta->a->>b=eq.x");
    expect(q.scopes.get("authors.books")!.filters).toEqual([
      { type: "filter", field: col("pages"), op: { negated: false, op: "gt", value: "100" } },
    ]);
    expect(q.scopes.get("")!.filters[0]!.field).toEqual({
      name: "meta",
      json: [
        { arrow: "->", key: "a", index: false },
        { arrow: "->>", key: "b", index: false },
      ],
    });
  });

  it("refuses an unknown operator", () => {
    expect(refusal("id=foo.1")).toMatchObject({
      code: "PGRST100",
      message: '"failed to parse filter (foo.1)" (line 1, column 1)',
      details: 'unexpected "f" expecting "not" or operator (eq, gt, ...)',
    });
  });
});

describe("logic trees", () => {
  it("nests and/or, with not.", () => {
    expect(top("or=(age.lt.18,and(a.eq.1,b.is.null))&not.and=(c.gte.2)").logic).toEqual([
      {
        type: "logic",
        kind: "or",
        negated: false,
        children: [
          { type: "filter", field: col("age"), op: { negated: false, op: "lt", value: "18" } },
          {
            type: "logic",
            kind: "and",
            negated: false,
            children: [
              { type: "filter", field: col("a"), op: { negated: false, op: "eq", value: "1" } },
              { type: "filter", field: col("b"), op: { negated: false, op: "is", value: "null" } },
            ],
          },
        ],
      },
      {
        type: "logic",
        kind: "and",
        negated: true,
        children: [{ type: "filter", field: col("c"), op: { negated: false, op: "gte", value: "2" } }],
      },
    ]);
  });
});

describe("order, limit and offset", () => {
  it("read per scope, with direction and nulls placement", () => {
    const q = parse("order=name.desc.nullslast,id&limit=10&offset=5&authors.order=name&authors.limit=2");
    expect(q.scopes.get("")).toMatchObject({
      order: [{ field: col("name"), direction: "desc", nulls: "last" }, { field: col("id") }],
      limit: 10,
      offset: 5,
    });
    expect(q.scopes.get("authors")).toMatchObject({ order: [{ field: col("name") }], limit: 2 });
  });

  it("refuse a limit that is not a number", () => {
    expect(refusal("limit=abc")).toMatchObject({
      code: "PGRST100",
      message: '"failed to parse limit parameter (abc)" (line 1, column 1)',
      details: "unexpected input expecting digit",
    });
  });
});

describe("columns, on_conflict and RPC arguments", () => {
  it("reads column lists", () => {
    expect(parse("columns=a,b&on_conflict=id")).toMatchObject({ columns: ["a", "b"], onConflict: ["id"] });
  });

  it("takes parameters without an operator as arguments of a GET RPC, and filters otherwise", () => {
    const q = parse("a=1&b=eq.2", true);
    expect(q.args).toEqual([["a", "1"]]);
    expect(q.scopes.get("")!.filters).toEqual([
      { type: "filter", field: col("b"), op: { negated: false, op: "eq", value: "2" } },
    ]);
  });
});
