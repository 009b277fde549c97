// /rest/v1 resource embedding through foreign keys: to-one, to-many, many-to-many, nested, hints, inner, spread, scoped filters.
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

describe("embedding", () => {
  it("embeds a to-one parent through an FK column hint as an object", async () => {
    const { data, error } = await sb.from(fx.books).select(`id,author:${fx.authors}!author_id(name)`).eq("id", 1);
    expect(error).toBeNull();
    expect(data).toEqual([{ id: 1, author: { name: "Ada" } }]);
  });

  it("embeds through a constraint-name hint and gives null when the FK is null", async () => {
    const { data } = await sb
      .from(fx.books)
      .select(`id,editor:${fx.authors}!${fx.books}_editor_fkey(name)`)
      .in("id", [1, 3])
      .order("id");
    expect(data).toEqual([
      { id: 1, editor: { name: "Grace" } },
      { id: 3, editor: null },
    ]);
  });

  it("embeds by FK column name without a hint", async () => {
    const { data } = await sb.from(fx.books).select("id,author_id(name)").eq("id", 2);
    expect(data).toEqual([{ id: 2, author_id: { name: "Brian" } }]);
  });

  it("answers 300 PGRST201 with the candidates when two FKs lead to the same table", async () => {
    const { error, status } = await sb.from(fx.books).select(`id,${fx.authors}(name)`);
    expect(status).toBe(300);
    expect(error?.code).toBe("PGRST201");
    expect(error?.message).toBe(
      `Could not embed because more than one relationship was found for '${fx.books}' and '${fx.authors}'`,
    );
    const details = error?.details as unknown as Array<{ cardinality: string; relationship: string }>;
    expect(details.map((d) => d.cardinality)).toEqual(["many-to-one", "many-to-one"]);
    expect(error?.hint).toContain(`'${fx.authors}!${fx.books}_author_fkey'`);
  });

  it("answers 400 PGRST200 when no relationship exists", async () => {
    const { error, status } = await sb.from(fx.authors).select(`id,${fx.genres}(name)`);
    expect(status).toBe(400);
    expect(error?.code).toBe("PGRST200");
    expect(error?.message).toBe(
      `Could not find a relationship between '${fx.authors}' and '${fx.genres}' in the schema cache`,
    );
  });

  it("embeds to-many children as an array (empty when none)", async () => {
    const { data } = await sb
      .from(fx.authors)
      .select(`id,written:${fx.books}!author_id(id)`)
      .in("id", [2, 4])
      .order("id");
    expect(data).toEqual([
      { id: 2, written: [{ id: 2 }, { id: 3 }] },
      { id: 4, written: [] },
    ]);
  });

  it("embeds many-to-many through a junction table", async () => {
    const { data } = await sb
      .from(fx.books)
      .select(`id,${fx.genres}(name)`)
      .eq("id", 1)
      .order("name", { referencedTable: fx.genres });
    expect(data).toEqual([{ id: 1, [fx.genres]: [{ name: "history" }, { name: "science" }] }]);
  });

  it("nests embeds", async () => {
    const { data } = await sb
      .from(fx.authors)
      .select(`name,${fx.books}!author_id(title,${fx.genres}(name))`)
      .eq("id", 1);
    expect(data).toEqual([
      {
        name: "Ada",
        [fx.books]: [
          {
            title: "Notes on the Engine",
            [fx.genres]: expect.arrayContaining([{ name: "science" }, { name: "history" }]),
          },
        ],
      },
    ]);
  });

  it("filters, orders and limits inside an embed", async () => {
    const { data } = await sb
      .from(fx.authors)
      .select(`id,${fx.books}!author_id(id,pages)`)
      .eq("id", 2)
      .gt(`${fx.books}.pages`, 100)
      .order("pages", { referencedTable: fx.books, ascending: false })
      .limit(1, { referencedTable: fx.books });
    expect(data).toEqual([{ id: 2, [fx.books]: [{ id: 2, pages: 272 }] }]);
  });

  it("drops parents without a matching child with !inner", async () => {
    const { data } = await sb
      .from(fx.authors)
      .select(`id,${fx.books}!author_id!inner(id)`)
      .eq(`${fx.books}.title`, "Compilers");
    expect(data).toEqual([{ id: 3, [fx.books]: [{ id: 4 }] }]);
  });

  it("keeps parents with an empty embed with the default left join", async () => {
    const { data } = await sb
      .from(fx.authors)
      .select(`id,${fx.books}!author_id(id)`)
      .eq(`${fx.books}.title`, "Compilers")
      .order("id");
    expect((data as unknown as Array<{ id: number }>).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it("filters parents by an embed's null test", async () => {
    const { data } = await sb.from(fx.authors).select(`id,${fx.books}!author_id()`).is(fx.books, null).order("id");
    expect(data).toEqual([{ id: 4 }]);
  });

  it("lifts to-one columns into the parent with a spread", async () => {
    const { data } = await sb.from(fx.books).select(`id,...${fx.authors}!author_id(author_name:name)`).eq("id", 4);
    expect(data).toEqual([{ id: 4, author_name: "Grace" }]);
  });

  it("orders parents by a to-one embed column", async () => {
    const res = await rest(`/${fx.books}?select=id,a:${fx.authors}!author_id(name)&order=a(name).desc,id`);
    const rows = (await res.json()) as Array<{ id: number }>;
    expect(rows.map((r) => r.id)).toEqual([4, 2, 3, 1]);
  });

  it("answers 400 PGRST108 for a filter on a resource that is not embedded", async () => {
    const res = await rest(`/${fx.authors}?select=id&${fx.books}.id=eq.1`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST108");
  });

  it("embeds in the representation returned by a write", async () => {
    const { data } = await sb
      .from(fx.books)
      .update({ pages: 51 })
      .eq("id", 1)
      .select(`id,pages,author:${fx.authors}!author_id(name)`);
    expect(data).toEqual([{ id: 1, pages: 51, author: { name: "Ada" } }]);
  });

  it("embeds on the rows of a set-returning function", async () => {
    const { data } = await sb.rpc(fx.fn("books_by"), { author: 1 }).select(`id,editor:${fx.authors}!editor_id(name)`);
    expect(data).toEqual([{ id: 1, editor: { name: "Grace" } }]);
  });

  it("embeds through a view that exposes its base table's foreign key", async () => {
    const { data, error } = await sb.from(fx.bookTitles).select(`title,${fx.authors}(name)`).eq("id", 3);
    expect(error).toBeNull();
    expect(data).toEqual([{ title: "Unix Tales", [fx.authors]: { name: "Brian" } }]);
  });

  it("embeds a view under a table and a view under a view", async () => {
    const { data } = await sb
      .from(fx.people)
      .select(`name,${fx.bookTitles}(title)`)
      .eq("id", 2)
      .order("title", { referencedTable: fx.bookTitles });
    expect(data).toEqual([{ name: "Brian", [fx.bookTitles]: [{ title: "The C Book" }, { title: "Unix Tales" }] }]);
    const { data: up } = await sb.from(fx.bookTitles).select(`id,${fx.people}(name)`).eq("id", 4);
    expect(up).toEqual([{ id: 4, [fx.people]: { name: "Grace" } }]);
  });

  it("embeds computed relationships: a function of the row, to-one with rows 1, to-many otherwise", async () => {
    const { data, error } = await sb
      .from(fx.authors)
      .select(`name,top:${fx.fn("top_book")}(title),long:${fx.fn("long_books")}(id)`)
      .eq("id", 2)
      .order("id", { referencedTable: "long" });
    expect(error).toBeNull();
    expect(data).toEqual([{ name: "Brian", top: { title: "The C Book" }, long: [{ id: 2 }, { id: 3 }] }]);
  });

  it("counts related rows with rel(count)", async () => {
    const { data, error } = await sb
      .from(fx.authors)
      .select(`id,${fx.books}!author_id(count)`)
      .in("id", [2, 4])
      .order("id");
    expect(error).toBeNull();
    expect(data).toEqual([
      { id: 2, [fx.books]: [{ count: 2 }] },
      { id: 4, [fx.books]: [{ count: 0 }] },
    ]);
  });
});
