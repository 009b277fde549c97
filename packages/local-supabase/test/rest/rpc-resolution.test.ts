// /rest/v1/rpc through postgrest-js: row-typed arguments, single unnamed parameters, overload resolution (PGRST202/203),
// max-affected on results and counts of one-value results, worded as PostgREST v14 words them.
import type { PostgrestError, SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, closeDb, db, ddlAndReload, FIXTURE_SCHEMA, rest, uniquePrefix } from "./support.ts";

const S = FIXTURE_SCHEMA;
let p: string;
let sb: SupabaseClient;
const fn = (name: string) => `${p}_${name}`;
/** postgrest-js types offer maxAffected() only for PostgREST 13+ schemas; the untyped client has it at run time. */
const maxAffected = (builder: unknown, n: number) =>
  (builder as { maxAffected(n: number): PromiseLike<{ error: PostgrestError | null; status: number }> }).maxAffected(n);

beforeAll(async () => {
  p = uniquePrefix();
  sb = client(undefined, S);
  await ddlAndReload(
    `
create table ${S}.${p}_people (id int primary key, name text not null, tags text[]);
insert into ${S}.${p}_people values (1, 'Ada', '{a}'), (2, 'Brian', '{b}'), (3, 'Grace', '{c}');
grant select, insert, update, delete on ${S}.${p}_people to anon;
-- A row-typed parameter (a table's row) and a composite type's.
create type ${S}.${p}_point as (x int, y int);
create function ${S}.${p}_roll_call(people ${S}.${p}_people[]) returns text language sql immutable set search_path = ''
  as $f$ select string_agg(p.name || '#' || p.id, ', ' order by o) from unnest(people) with ordinality as p(id, name, tags, o) $f$;
create function ${S}.${p}_greet(person ${S}.${p}_people) returns text language sql immutable set search_path = ''
  as $f$ select 'hello ' || person.name || ' #' || person.id || ' ' || coalesce(array_to_string(person.tags, '+'), '-') $f$;
create function ${S}.${p}_norm(pt ${S}.${p}_point) returns int language sql immutable set search_path = '' as $f$ select pt.x * pt.x + pt.y * pt.y $f$;
-- A single unnamed jsonb parameter; and json vs jsonb overloads that only a name could tell apart.
create function ${S}.${p}_keys(jsonb) returns int language sql immutable set search_path = '' as $f$ select count(*)::int from jsonb_object_keys($1) $f$;
create function ${S}.${p}_twin(json) returns text language sql immutable set search_path = '' as $f$ select 'json' $f$;
create function ${S}.${p}_twin(jsonb) returns text language sql immutable set search_path = '' as $f$ select 'jsonb' $f$;
-- Overloads that the same argument names fit.
create function ${S}.${p}_pick(a int) returns text language sql immutable set search_path = '' as $f$ select 'int' $f$;
create function ${S}.${p}_pick(a text, b int default 1) returns text language sql immutable set search_path = '' as $f$ select 'text' $f$;
create function ${S}.${p}_pick(a text) returns text language sql immutable set search_path = '' as $f$ select 'text1' $f$;
-- Overloads that names do tell apart.
create function ${S}.${p}_area(w int) returns int language sql immutable set search_path = '' as $f$ select w * w $f$;
create function ${S}.${p}_area(w int, h int) returns int language sql immutable set search_path = '' as $f$ select w * h $f$;
create function ${S}.${p}_count_people() returns setof ${S}.${p}_people language sql stable set search_path = '' as $f$ select * from ${S}.${p}_people order by id $f$;
create function ${S}.${p}_names() returns setof text language sql stable set search_path = '' as $f$ select name from ${S}.${p}_people order by id $f$;
create function ${S}.${p}_rename_all(suffix text) returns setof ${S}.${p}_people language sql volatile set search_path = ''
  as $f$ update ${S}.${p}_people set name = name || suffix returning * $f$;
-- Two unnamed parameters: not callable through /rpc (PostgREST leaves it out of its schema cache).
create function ${S}.${p}_unnamed2(int, int) returns int language sql immutable set search_path = '' as $f$ select $1 + $2 $f$;
create function ${S}.${p}_answer() returns int language sql immutable set search_path = '' as $f$ select 42 $f$;
grant execute on function ${S}.${p}_greet, ${S}.${p}_norm, ${S}.${p}_roll_call, ${S}.${p}_keys, ${S}.${p}_area(int), ${S}.${p}_area(int, int),
  ${S}.${p}_count_people, ${S}.${p}_names, ${S}.${p}_rename_all, ${S}.${p}_answer to anon;
grant execute on function ${S}.${p}_unnamed2 to anon;
grant execute on function ${S}.${p}_twin(json), ${S}.${p}_twin(jsonb), ${S}.${p}_pick(int), ${S}.${p}_pick(text, int), ${S}.${p}_pick(text) to anon;
`,
    `/rpc/${p}_answer`,
  );
});
afterAll(async () => {
  await db().query(`drop table if exists ${S}.${p}_people cascade; drop type if exists ${S}.${p}_point cascade;
    drop function if exists ${S}.${p}_keys, ${S}.${p}_twin(json), ${S}.${p}_twin(jsonb), ${S}.${p}_pick(int), ${S}.${p}_pick(text, int), ${S}.${p}_pick(text),
      ${S}.${p}_area(int), ${S}.${p}_area(int, int), ${S}.${p}_names, ${S}.${p}_answer, ${S}.${p}_unnamed2;
    notify pgrst, 'reload schema';`);
  await closeDb();
});

describe("rpc arguments", () => {
  it("reads a JSON object into a table-row parameter, nested array included", async () => {
    const { data, error } = await sb.rpc(fn("greet"), { person: { id: 1, name: "Ada", tags: ["x", "y"] } });
    expect(error).toBeNull();
    expect(data).toBe("hello Ada #1 x+y");
  });

  it("reads a JSON array of objects into an array-of-rows parameter, in order", async () => {
    const { data, error } = await sb.rpc(fn("roll_call"), {
      people: [
        { id: 2, name: "Brian" },
        { id: 1, name: "Ada", tags: ["x"] },
      ],
    });
    expect(error).toBeNull();
    expect(data).toBe("Brian#2, Ada#1");
  });

  it("reads a JSON object into a composite-type parameter; missing fields are null", async () => {
    expect((await sb.rpc(fn("norm"), { pt: { x: 3, y: 4 } })).data).toBe(25);
    expect((await sb.rpc(fn("norm"), { pt: { x: 3 } })).data).toBeNull();
  });

  it("still takes a record literal for a row-typed parameter", async () => {
    const { data, error } = await sb.rpc(fn("norm"), { pt: "(6,8)" });
    expect(error).toBeNull();
    expect(data).toBe(100);
  });
});

describe("rpc resolution", () => {
  it("passes the whole JSON body to a single unnamed jsonb parameter", async () => {
    const { data, error } = await sb.rpc(fn("keys"), { a: 1, b: 2, c: 3 });
    expect(error).toBeNull();
    expect(data).toBe(3);
  });

  it("chooses overloads by argument names", async () => {
    expect((await sb.rpc(fn("area"), { w: 3 })).data).toBe(9);
    expect((await sb.rpc(fn("area"), { w: 3, h: 2 })).data).toBe(6);
  });

  it("answers 300 PGRST203 with the candidates, fewest parameters first, when several overloads fit the names", async () => {
    const { error, status } = await sb.rpc(fn("pick"), { a: "1" });
    expect(status).toBe(300);
    expect(error).toMatchObject({
      code: "PGRST203",
      message: `Could not choose the best candidate function between: ${S}.${fn("pick")}(a => integer), ${S}.${fn("pick")}(a => text), ${S}.${fn("pick")}(a => text, b => integer)`,
      details: null,
      hint: "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    });
  });

  it("answers 300 PGRST203 when two single unnamed json/jsonb overloads could take the body", async () => {
    const { error, status } = await sb.rpc(fn("twin"), { any: 1 });
    expect(status).toBe(300);
    expect(error?.message).toBe(
      `Could not choose the best candidate function between: ${S}.${fn("twin")}( => json), ${S}.${fn("twin")}( => jsonb)`,
    );
  });

  it("words PGRST202 for a GET call without the json/jsonb fallback, and hints the closest parameter list", async () => {
    const res = await rest(`/rpc/${fn("area")}?x=1&h=2`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: "PGRST202",
      message: `Could not find the function ${S}.${fn("area")}(h, x) in the schema cache`,
      details: `Searched for the function ${S}.${fn("area")} with parameters h, x, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function ${S}.${fn("area")}(h, w)`,
    });
  });

  it("does not call, nor suggest, a function with two unnamed parameters", async () => {
    const { error, status } = await sb.rpc(fn("unnamed2"), {});
    expect(status).toBe(404);
    expect(error).toMatchObject({
      code: "PGRST202",
      message: `Could not find the function ${S}.${fn("unnamed2")} without parameters in the schema cache`,
    });
    expect(error?.hint ?? "").not.toContain(fn("unnamed2"));
  });

  it("words PGRST202 for a POST body and a text/plain body as PostgREST does", async () => {
    const json = await sb.rpc(fn("area"), { q: 1 });
    expect(json.error?.details).toBe(
      `Searched for the function ${S}.${fn("area")} with parameter q or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    );
    const res = await rest(`/rpc/${fn("area")}`, {
      method: "POST",
      body: "hi",
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: "PGRST202",
      message: `Could not find the function ${S}.${fn("area")} in the schema cache`,
      details: `Searched for the function ${S}.${fn("area")} with a single unnamed text parameter, but no matches were found in the schema cache.`,
      hint: null,
    });
  });
});

describe("rpc results", () => {
  it("counts a one-value result as one row", async () => {
    const { data, count, error } = await sb.rpc(fn("answer"), {}, { count: "exact" });
    expect(error).toBeNull();
    expect(data).toBe(42);
    expect(count).toBe(1);
    const head = await sb.rpc(fn("answer"), {}, { head: true, count: "exact" });
    expect(head.count).toBe(1);
    expect(head.data).toBeNull();
  });

  it("refuses with 400 PGRST124 a set-returning result over max-affected, and rolls the call back", async () => {
    const { error, status } = await maxAffected(sb.rpc(fn("rename_all"), { suffix: "!" }), 2);
    expect(status).toBe(400);
    expect(error).toMatchObject({
      code: "PGRST124",
      message: "Query result exceeds max-affected preference constraint",
      details: "The query affects 3 rows",
    });
    const { data } = await sb.from(`${p}_people`).select("name").order("id");
    expect(data).toEqual([{ name: "Ada" }, { name: "Brian" }, { name: "Grace" }]);
  });

  it("returns a result within max-affected, with the preference applied", async () => {
    const res = await rest(`/rpc/${fn("names")}`, { headers: { prefer: "handling=strict, max-affected=3" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("preference-applied")).toBe("handling=strict, max-affected=3");
    expect(await res.json()).toEqual(["Ada", "Brian", "Grace"]);
  });

  it("answers 400 PGRST128 for max-affected on a function that returns one value", async () => {
    const { error, status } = await maxAffected(sb.rpc(fn("answer")), 1);
    expect(status).toBe(400);
    expect(error).toMatchObject({
      code: "PGRST128",
      message: "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
    });
  });
});
