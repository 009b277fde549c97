// /rest/v1 reads through postgrest-js: select lists, every filter operator, logic trees, order, paging, counts, media types.
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures.ts";
import { client, closeDb, rest, uniquePrefix, FIXTURE_SCHEMA } from "./support.ts";

let fx: Fixture;
let sb: SupabaseClient;
beforeAll(async () => {
  fx = await createFixture(uniquePrefix());
  sb = client(undefined, FIXTURE_SCHEMA);
});
afterAll(async () => {
  await fx.drop();
  await closeDb();
});

const ids = (rows: Array<{ id: number }> | null) => (rows ?? []).map((r) => r.id);

describe("select lists", () => {
  it("returns every column for *", async () => {
    const { data, error } = await sb.from(fx.authors).select("*").eq("id", 1);
    expect(error).toBeNull();
    expect(data).toEqual([
      {
        id: 1,
        name: "Ada",
        born: "1815-12-10",
        tags: ["math", "poetry"],
        meta: { country: "UK", langs: { first: "en" }, n: 1 },
        bio: "first programmer",
      },
    ]);
  });

  it("renames with alias:col and casts with col::type", async () => {
    const { data } = await sb.from(fx.authors).select("who:name,id::text").eq("id", 2);
    expect(data).toEqual([{ who: "Brian", id: "2" }]);
  });

  it("selects JSON paths with -> and ->>, named by the last key", async () => {
    const { data } = await sb
      .from(fx.authors)
      .select("id,meta->langs->>first,country:meta->>country,n:meta->n")
      .eq("id", 1);
    expect(data).toEqual([{ id: 1, first: "en", country: "UK", n: 1 }]);
  });

  it("answers 400 with PostgreSQL's wording for an unknown column", async () => {
    const { error, status } = await sb.from(fx.authors).select("nope");
    expect(status).toBe(400);
    expect(error?.code).toBe("42703");
    expect(error?.message).toBe(`column ${fx.authors}.nope does not exist`);
  });

  it("refuses a cast that is not a plain type name with 400 PGRST100", async () => {
    const res = await rest(`/${fx.authors}?select=${encodeURIComponent("id::int union select usename from pg_user")}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST100");
    const ok = await rest(`/${fx.books}?select=${encodeURIComponent("rating::double precision")}&id=eq.1`);
    expect(await ok.json()).toEqual([{ rating: 4.5 }]);
  });

  it("answers 404 PGRST205 with a hint for an unknown table", async () => {
    const { error, status } = await sb.from(`${fx.authors}x`).select("*");
    expect(status).toBe(404);
    expect(error?.code).toBe("PGRST205");
    expect(error?.hint).toBe(`Perhaps you meant the table '${FIXTURE_SCHEMA}.${fx.authors}'`);
  });
});

describe("filters", () => {
  it("eq, neq, gt, gte, lt, lte", async () => {
    expect(ids((await sb.from(fx.books).select("id").eq("author_id", 2).order("id")).data)).toEqual([2, 3]);
    expect(ids((await sb.from(fx.books).select("id").neq("author_id", 2).order("id")).data)).toEqual([1, 4]);
    expect(ids((await sb.from(fx.books).select("id").gt("pages", 120).order("id")).data)).toEqual([2, 4]);
    expect(ids((await sb.from(fx.books).select("id").gte("pages", 120).order("id")).data)).toEqual([2, 3, 4]);
    expect(ids((await sb.from(fx.books).select("id").lt("pages", 120).order("id")).data)).toEqual([1]);
    expect(ids((await sb.from(fx.books).select("id").lte("pages", 120).order("id")).data)).toEqual([1, 3]);
  });

  it("like and ilike with * wildcards, and their any/all forms", async () => {
    expect(ids((await sb.from(fx.books).select("id").like("title", "*Book*")).data)).toEqual([2]);
    expect(ids((await sb.from(fx.books).select("id").ilike("title", "*book*")).data)).toEqual([2]);
    expect(ids((await sb.from(fx.books).select("id").likeAnyOf("title", ["Unix*", "Comp*"]).order("id")).data)).toEqual(
      [3, 4],
    );
    expect(ids((await sb.from(fx.books).select("id").ilikeAllOf("title", ["*the*", "*engine*"])).data)).toEqual([1]);
  });

  it("match and imatch (regular expressions)", async () => {
    expect(ids((await sb.from(fx.authors).select("id").match({ id: 3 })).data)).toEqual([3]);
    expect(ids((await sb.from(fx.authors).select("id").filter("name", "match", "^[AB]").order("id")).data)).toEqual([
      1, 2,
    ]);
    expect(ids((await sb.from(fx.authors).select("id").filter("name", "imatch", "^g")).data)).toEqual([3]);
  });

  it("is null / not null / true, and in with quoted items", async () => {
    expect(ids((await sb.from(fx.authors).select("id").is("bio", null).order("id")).data)).toEqual([2, 4]);
    expect(ids((await sb.from(fx.authors).select("id").not("bio", "is", null).order("id")).data)).toEqual([1, 3]);
    expect(ids((await sb.from(fx.authors).select("id").in("name", ["Ada", "Grace", "x,y"]).order("id")).data)).toEqual([
      1, 3,
    ]);
    expect(ids((await sb.from(fx.authors).select("id").not("id", "in", "(1,2)").order("id")).data)).toEqual([3, 4]);
  });

  it("cs, cd, ov on arrays and jsonb", async () => {
    expect(ids((await sb.from(fx.authors).select("id").contains("tags", ["unix"])).data)).toEqual([2]);
    expect(
      ids((await sb.from(fx.authors).select("id").containedBy("tags", ["c", "unix", "cobol"]).order("id")).data),
    ).toEqual([2, 3, 4]);
    expect(ids((await sb.from(fx.authors).select("id").overlaps("tags", ["math", "cobol"]).order("id")).data)).toEqual([
      1, 3,
    ]);
    expect(ids((await sb.from(fx.authors).select("id").contains("meta", { country: "CA" })).data)).toEqual([2]);
  });

  it("range operators sl, sr, nxl, nxr, adj", async () => {
    expect(ids((await sb.from(fx.books).select("id").rangeLt("during", "[1960,1970)").order("id")).data)).toEqual([
      1, 4,
    ]);
    expect(ids((await sb.from(fx.books).select("id").rangeGt("during", "[1960,1970)").order("id")).data)).toEqual([
      2, 3,
    ]);
    expect(ids((await sb.from(fx.books).select("id").rangeGte("during", "[1980,1981)").order("id")).data)).toEqual([3]);
    expect(ids((await sb.from(fx.books).select("id").rangeLte("during", "[1841,1846)").order("id")).data)).toEqual([1]);
    expect(ids((await sb.from(fx.books).select("id").rangeAdjacent("during", "[1979,1983)").order("id")).data)).toEqual(
      [2, 3],
    );
  });

  it("full-text search fts, plfts, phfts, wfts with a configuration", async () => {
    expect(ids((await sb.from(fx.books).select("id").textSearch("tsv", "unix & stories")).data)).toEqual([3]);
    expect(
      ids(
        (
          await sb
            .from(fx.books)
            .select("id")
            .textSearch("tsv", "compiler programs", { type: "plain", config: "english" })
        ).data,
      ),
    ).toEqual([4]);
    expect(
      ids(
        (
          await sb
            .from(fx.books)
            .select("id")
            .textSearch("tsv", "programming language", { type: "phrase", config: "english" })
        ).data,
      ),
    ).toEqual([2]);
    expect(
      ids(
        (
          await sb
            .from(fx.books)
            .select("id")
            .textSearch("summary", "unix or engine", { type: "websearch", config: "english" })
            .order("id")
        ).data,
      ),
    ).toEqual([1, 3]);
  });

  it("filters on JSON paths", async () => {
    expect(ids((await sb.from(fx.authors).select("id").eq("meta->>country", "US")).data)).toEqual([3]);
    expect(ids((await sb.from(fx.authors).select("id").gt("meta->n", 1).order("id")).data)).toEqual([2, 3]);
  });

  it("or=(…) with nested and(…) and not.", async () => {
    const { data } = await sb
      .from(fx.books)
      .select("id")
      .or("pages.lt.100,and(author_id.eq.2,rating.not.is.null)")
      .order("id");
    expect(ids(data)).toEqual([1, 2]);
  });

  it("not.or and a quoted value containing a comma inside a tree", async () => {
    const res = await rest(`/${fx.authors}?select=id&not.or=(name.eq.Ada,name.eq."x,y")&order=id`);
    expect(ids((await res.json()) as Array<{ id: number }>)).toEqual([2, 3, 4]);
  });

  it("answers 400 PGRST100 for an unknown operator", async () => {
    const res = await rest(`/${fx.authors}?id=noop.1`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("PGRST100");
    expect(body.message).toContain("failed to parse filter (noop.1)");
  });

  it("answers 400 with the SQLSTATE when a value does not fit the column type", async () => {
    const { error, status } = await sb.from(fx.authors).select("id").eq("id", "abc");
    expect(status).toBe(400);
    expect(error?.code).toBe("22P02");
  });
});

describe("order and paging", () => {
  it("orders desc with nulls first/last", async () => {
    expect(
      ids((await sb.from(fx.books).select("id").order("rating", { ascending: false, nullsFirst: false })).data),
    ).toEqual([2, 1, 4, 3]);
    expect(
      ids((await sb.from(fx.books).select("id").order("rating", { ascending: true, nullsFirst: true })).data),
    ).toEqual([3, 4, 1, 2]);
  });

  it("orders by several columns and by a JSON path", async () => {
    expect(
      ids((await sb.from(fx.books).select("id").order("author_id").order("pages", { ascending: false })).data),
    ).toEqual([1, 2, 3, 4]);
    expect(ids((await sb.from(fx.authors).select("id").not("meta", "is", null).order("meta->>country")).data)).toEqual([
      2, 1, 3,
    ]);
  });

  it("limits and offsets with range()", async () => {
    expect(ids((await sb.from(fx.books).select("id").order("id").range(1, 2)).data)).toEqual([2, 3]);
    expect(ids((await sb.from(fx.books).select("id").order("id").limit(1)).data)).toEqual([1]);
  });

  it("honours a Range header", async () => {
    const res = await rest(`/${fx.books}?select=id&order=id`, { headers: { range: "2-3" } });
    expect(res.headers.get("content-range")).toBe("2-3/*");
    expect(ids((await res.json()) as Array<{ id: number }>)).toEqual([3, 4]);
  });

  it("counts exactly with Content-Range and 206 for a partial page", async () => {
    const res = await rest(`/${fx.books}?select=id&order=id&limit=2`, { headers: { prefer: "count=exact" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("0-1/4");
    const { count, data } = await sb.from(fx.books).select("id", { count: "exact" }).eq("author_id", 2);
    expect(count).toBe(2);
    expect(data).toHaveLength(2);
  });

  it("accepts planned and estimated counts", async () => {
    for (const c of ["planned", "estimated"] as const) {
      const { count, error } = await sb.from(fx.books).select("id", { count: c });
      expect(error).toBeNull();
      expect(typeof count).toBe("number");
    }
  });

  it("answers HEAD with the count and no body", async () => {
    const { count, data, status } = await sb.from(fx.books).select("*", { count: "exact", head: true });
    expect(status).toBe(200);
    expect(count).toBe(4);
    expect(data).toBeNull();
  });

  it("answers 416 PGRST103 for an offset past the end", async () => {
    const res = await rest(`/${fx.books}?offset=10`, { headers: { prefer: "count=exact" } });
    expect(res.status).toBe(416);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST103");
  });
});

describe("media types", () => {
  it("returns one object for single()", async () => {
    const { data, error } = await sb.from(fx.authors).select("id,name").eq("id", 1).single();
    expect(error).toBeNull();
    expect(data).toEqual({ id: 1, name: "Ada" });
  });

  it("answers single() on zero rows with 406 PGRST116", async () => {
    const { data, error, status } = await sb.from(fx.authors).select("id").eq("id", 999).single();
    expect(data).toBeNull();
    expect(status).toBe(406);
    expect(error?.code).toBe("PGRST116");
    expect(error?.details).toBe("The result contains 0 rows");
  });

  it("answers single() on two rows with 406 PGRST116", async () => {
    const { error, status } = await sb.from(fx.books).select("id").eq("author_id", 2).single();
    expect(status).toBe(406);
    expect(error?.code).toBe("PGRST116");
    expect(error?.details).toBe("The result contains 2 rows");
  });

  it("maybeSingle() gives null on zero rows and an error on two", async () => {
    expect((await sb.from(fx.authors).select("id").eq("id", 999).maybeSingle()).data).toBeNull();
    expect((await sb.from(fx.books).select("id").eq("author_id", 2).maybeSingle()).error?.code).toBe("PGRST116");
  });

  it("strips null fields with stripNulls()", async () => {
    const { data, error } = await sb.from(fx.authors).select("id,bio").in("id", [1, 2]).order("id").stripNulls();
    expect(error).toBeNull();
    expect(data).toEqual([{ id: 1, bio: "first programmer" }, { id: 2 }]);
  });

  it("returns CSV for Accept: text/csv", async () => {
    const { data } = await sb.from(fx.authors).select("id,name,bio").in("id", [1, 2]).order("id").csv();
    expect(data).toBe('id,name,bio\n1,Ada,"first programmer"\n2,Brian,');
  });

  it("sets the transaction time zone from Prefer: timezone", async () => {
    const tz = async (prefer: string) =>
      ((await (await rest(`/rpc/${fx.fn("whoami")}`, { headers: { prefer } })).json()) as { timezone: string })
        .timezone;
    expect(await tz("timezone=Asia/Tokyo")).toBe("Asia/Tokyo");
    // An unknown zone is ignored (PostgREST v14), leaving the server's.
    expect(await tz("timezone=Not/AZone")).toBe(await tz(""));
  });

  it("answers 406 PGRST107 for an unavailable media type", async () => {
    const res = await rest(`/${fx.authors}`, { headers: { accept: "image/png" } });
    expect(res.status).toBe(406);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST107");
  });

  it("selects the schema by Accept-Profile and refuses an unexposed one with 406 PGRST106", async () => {
    const ok = await rest(`/${fx.authors}?select=id&limit=1`, { headers: { "accept-profile": FIXTURE_SCHEMA } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-profile")).toBe(FIXTURE_SCHEMA);
    const elsewhere = await rest(`/${fx.authors}`, { headers: { "accept-profile": "public" } });
    expect(elsewhere.status).toBe(404);
    const res = await rest(`/${fx.authors}`, { headers: { "accept-profile": "auth" } });
    expect(res.status).toBe(406);
    const body = (await res.json()) as { code: string; hint: string };
    expect(body.code).toBe("PGRST106");
    expect(body.hint).toMatch(/^Only the following schemas are exposed: public/);
  });
});
