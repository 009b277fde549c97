// /rest/v1 writes through postgrest-js: insert, bulk insert, missing=default, upsert, update, delete, RLS refusals.
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { createFixture, type Fixture } from "./fixtures.ts";
import { client, closeDb, db, rest, serviceClient, sqlUser, uniquePrefix, FIXTURE_SCHEMA } from "./support.ts";

let fx: Fixture;
let sb: SupabaseClient;
let nextId = 100;
/** A fresh author id per test keeps tests independent. */
const newId = () => nextId++;

beforeAll(async () => {
  fx = await createFixture(uniquePrefix());
  sb = client(undefined, FIXTURE_SCHEMA);
});
afterAll(async () => {
  await fx.drop();
  await closeDb();
});

const authorRow = async (id: number) =>
  (await db().query(`select * from ${FIXTURE_SCHEMA}.${fx.authors} where id = $1`, [id])).rows[0] as
    Record<string, unknown> | undefined;

describe("insert", () => {
  it("inserts one row and answers 201 with no body by default", async () => {
    const id = newId();
    const { data, error, status } = await sb.from(fx.authors).insert({ id, name: "Linus" });
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toBeNull();
    expect((await authorRow(id))?.name).toBe("Linus");
  });

  it("returns the inserted rows shaped by select() with return=representation", async () => {
    const id = newId();
    const { data } = await sb
      .from(fx.authors)
      .insert({ id, name: "Ken", tags: ["b"] })
      .select("id,name,tags");
    expect(data).toEqual([{ id, name: "Ken", tags: ["b"] }]);
  });

  it("inserts many rows with the union of their keys as columns", async () => {
    const [a, b] = [newId(), newId()];
    const { data, error } = await sb
      .from(fx.authors)
      .insert([
        { id: a, name: "One" },
        { id: b, name: "Two", bio: "has bio" },
      ])
      .select("id,bio")
      .order("id");
    expect(error).toBeNull();
    expect(data).toEqual([
      { id: a, bio: null },
      { id: b, bio: "has bio" },
    ]);
  });

  it("fills absent keys with column defaults when defaultToNull is false (missing=default)", async () => {
    const u = await sqlUser(FIXTURE_SCHEMA);
    const { data, error } = await u.client
      .from(fx.notes)
      .insert([{ body: "a", status: "sent" }, { body: "b" }], { defaultToNull: false })
      .select("body,status,owner_id");
    expect(error).toBeNull();
    expect(data).toEqual([
      { body: "a", status: "sent", owner_id: u.id },
      { body: "b", status: "draft", owner_id: u.id },
    ]);
  });

  it("answers 409 with the SQLSTATE for a duplicate key", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "First" });
    const { error, status } = await sb.from(fx.authors).insert({ id, name: "Again" });
    expect(status).toBe(409);
    expect(error?.code).toBe("23505");
    expect(error?.details).toContain(`(id)=(${id})`);
  });

  it("answers 409 for a foreign key violation and 400 for a check violation", async () => {
    const fk = await sb.from(fx.books).insert({ id: newId(), title: "Orphan", author_id: 9999 });
    expect(fk.status).toBe(409);
    expect(fk.error?.code).toBe("23503");
    const u = await sqlUser(FIXTURE_SCHEMA);
    const check = await u.client.from(fx.notes).insert({ body: "" });
    expect(check.status).toBe(400);
    expect(check.error?.code).toBe("23514");
  });

  it("answers 400 PGRST204 for a payload key that is not a column", async () => {
    const { error, status } = await sb.from(fx.authors).insert({ id: newId(), name: "X", nope: 1 });
    expect(status).toBe(400);
    expect(error?.code).toBe("PGRST204");
    expect(error?.message).toBe(`Could not find the 'nope' column of '${fx.authors}' in the schema cache`);
  });

  it("answers 400 PGRST102 for a body that is not JSON", async () => {
    const res = await rest(`/${fx.authors}`, {
      method: "POST",
      body: "{oops",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST102");
  });

  it("adds a Location header with return=headers-only", async () => {
    const id = newId();
    const res = await rest(`/${fx.authors}`, {
      method: "POST",
      body: JSON.stringify({ id, name: "Loc" }),
      headers: { "content-type": "application/json", prefer: "return=headers-only" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/${fx.authors}?id=eq.${id}`);
  });

  it("returns only the selected columns, so column-level SELECT grants behave as on Supabase", async () => {
    const ok = await sb.from(fx.secrets).insert({ id: newId(), label: "visible", secret: "hidden" }).select("label");
    expect(ok.error).toBeNull();
    expect(ok.data).toEqual([{ label: "visible" }]);
    const refused = await sb.from(fx.secrets).insert({ id: newId(), label: "x", secret: "y" }).select("*");
    expect(refused.status).toBe(401);
    expect(refused.error?.code).toBe("42501");
  });

  it("returns one object for insert().select().single()", async () => {
    const id = newId();
    const { data } = await sb.from(fx.authors).insert({ id, name: "Solo" }).select("id").single();
    expect(data).toEqual({ id });
  });
});

describe("upsert", () => {
  it("merges duplicates on the primary key", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "Before", bio: "kept?" });
    const { data, error, status } = await sb.from(fx.authors).upsert({ id, name: "After" }).select("id,name,bio");
    expect(error).toBeNull();
    expect(data).toEqual([{ id, name: "After", bio: "kept?" }]);
    expect(status).toBe(200);
  });

  it("answers 201 when a merging upsert inserted at least one row", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "Exists" });
    const { status } = await sb.from(fx.authors).upsert([
      { id, name: "Exists" },
      { id: id + 2000, name: "Brand new" },
    ]);
    expect(status).toBe(201);
  });

  it("ignores duplicates with ignoreDuplicates", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "Original" });
    const { error } = await sb.from(fx.authors).upsert(
      [
        { id, name: "Ignored" },
        { id: id + 1000, name: "New" },
      ],
      { ignoreDuplicates: true },
    );
    expect(error).toBeNull();
    expect((await authorRow(id))?.name).toBe("Original");
    expect((await authorRow(id + 1000))?.name).toBe("New");
  });

  it("resolves conflicts on the columns named by onConflict", async () => {
    const gid = newId();
    await sb.from(fx.genres).insert({ id: gid, name: `g${gid}` });
    const { data, error } = await sb
      .from(fx.genres)
      .upsert({ id: gid, name: `g${gid}` }, { onConflict: "name" })
      .select("id,name");
    expect(error).toBeNull();
    expect(data).toEqual([{ id: gid, name: `g${gid}` }]);
  });

  it("still answers 409 for a conflict on another unique constraint", async () => {
    const gid = newId();
    await sb.from(fx.genres).insert({ id: gid, name: `dup${gid}` });
    const { error, status } = await sb.from(fx.genres).upsert({ id: gid + 5000, name: `dup${gid}` });
    expect(status).toBe(409);
    expect(error?.code).toBe("23505");
  });
});

describe("update and delete", () => {
  it("updates the filtered rows and returns them with select()", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "Old" });
    const { data, error, status } = await sb.from(fx.authors).update({ name: "New" }).eq("id", id).select("id,name");
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toEqual([{ id, name: "New" }]);
  });

  it("answers 204 without select() and counts affected rows with count: exact", async () => {
    const [a, b] = [newId(), newId()];
    await sb.from(fx.authors).insert([
      { id: a, name: "c1" },
      { id: b, name: "c1" },
    ]);
    const { status, count } = await sb.from(fx.authors).update({ bio: "counted" }, { count: "exact" }).in("id", [a, b]);
    expect(status).toBe(204);
    expect(count).toBe(2);
  });

  it("deletes the filtered rows and returns them with select()", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "Doomed" });
    const { data } = await sb.from(fx.authors).delete().eq("id", id).select("name");
    expect(data).toEqual([{ name: "Doomed" }]);
    expect(await authorRow(id)).toBeUndefined();
  });

  it("updates and deletes only the first rows with order and limit", async () => {
    const ids = [newId(), newId(), newId()];
    await sb.from(fx.authors).insert(ids.map((id) => ({ id, name: "batch" })));
    const upd = await rest(`/${fx.authors}?name=eq.batch&order=id.desc&limit=2`, {
      method: "PATCH",
      body: JSON.stringify({ bio: "top two" }),
      headers: { "content-type": "application/json", prefer: "return=representation" },
    });
    expect(((await upd.json()) as Array<{ id: number }>).map((r) => r.id).sort()).toEqual([ids[1], ids[2]]);
    const del = await rest(`/${fx.authors}?name=eq.batch&order=id&limit=1`, {
      method: "DELETE",
      headers: { prefer: "return=representation" },
    });
    expect(((await del.json()) as Array<{ id: number }>).map((r) => r.id)).toEqual([ids[0]]);
  });

  it("leaves a row hidden by RLS untouched: update and delete match nothing", async () => {
    const owner = await sqlUser(FIXTURE_SCHEMA);
    const stranger = await sqlUser(FIXTURE_SCHEMA);
    const { data: note } = await owner.client.from(fx.notes).insert({ body: "private" }).select("id").single();
    const upd = await stranger.client.from(fx.notes).update({ body: "hacked" }).eq("id", note!.id).select();
    expect(upd.data).toEqual([]);
    const del = await stranger.client.from(fx.notes).delete().eq("id", note!.id).select();
    expect(del.data).toEqual([]);
    const { data: again } = await owner.client.from(fx.notes).select("body").eq("id", note!.id).single();
    expect(again).toEqual({ body: "private" });
  });

  it("hides other users' rows from reads", async () => {
    const owner = await sqlUser(FIXTURE_SCHEMA);
    const stranger = await sqlUser(FIXTURE_SCHEMA);
    const { data: note } = await owner.client.from(fx.notes).insert({ body: "mine" }).select("id").single();
    const { data } = await stranger.client.from(fx.notes).select("*").eq("id", note!.id);
    expect(data).toEqual([]);
  });

  it("rolls back and answers 400 PGRST124 when more rows than max-affected would change", async () => {
    const [a, b] = [newId(), newId()];
    await sb.from(fx.authors).insert([
      { id: a, name: "m" },
      { id: b, name: "m" },
    ]);
    // What postgrest-js's maxAffected(1) sends (its types only offer it for PostgREST 13+ schemas).
    const res = await rest(`/${fx.authors}?id=in.(${a},${b})`, {
      method: "PATCH",
      body: JSON.stringify({ bio: "too many" }),
      headers: { "content-type": "application/json", prefer: "handling=strict, max-affected=1" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST124");
    expect((await authorRow(a))?.bio).toBeNull();
  });

  it("lets the service role bypass RLS", async () => {
    const owner = await sqlUser(FIXTURE_SCHEMA);
    await owner.client.from(fx.notes).insert({ body: "for admins" });
    const { data } = await serviceClient(FIXTURE_SCHEMA).from(fx.notes).select("body").eq("owner_id", owner.id);
    expect(data).toEqual([{ body: "for admins" }]);
    expect(stackEnv.serviceRoleKey).toBeTruthy();
  });
});

describe("other bodies and PUT", () => {
  it("inserts rows from a text/csv body, NULL meaning null", async () => {
    const [a, b] = [newId(), newId()];
    const res = await rest(`/${fx.authors}?select=id,name,bio`, {
      method: "POST",
      body: `id,name,bio\n${a},"Comma, Inc",NULL\n${b},Plain,"say ""hi"""`,
      headers: { "content-type": "text/csv", prefer: "return=representation" },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual([
      { id: a, name: "Comma, Inc", bio: null },
      { id: b, name: "Plain", bio: 'say "hi"' },
    ]);
  });

  it("updates from an x-www-form-urlencoded body", async () => {
    const id = newId();
    await sb.from(fx.authors).insert({ id, name: "Form" });
    const res = await rest(`/${fx.authors}?id=eq.${id}`, {
      method: "PATCH",
      body: "bio=from+a+form",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(204);
    expect((await authorRow(id))?.bio).toBe("from a form");
  });

  it("refuses an unsupported body type with 400 PGRST102", async () => {
    const res = await rest(`/${fx.authors}`, {
      method: "POST",
      body: "<a/>",
      headers: { "content-type": "application/xml" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST102");
  });

  it("PUT creates (201) then replaces (200) the row named by its primary key", async () => {
    const id = newId();
    const put = (name: string) =>
      rest(`/${fx.authors}?id=eq.${id}`, {
        method: "PUT",
        body: JSON.stringify({ id, name }),
        headers: { "content-type": "application/json", prefer: "return=representation" },
      });
    const created = await put("Put one");
    expect(created.status).toBe(201);
    const replaced = await put("Put two");
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toEqual([{ id, name: "Put two", born: null, tags: null, meta: null, bio: null }]);
  });

  it("refuses PUT whose body disagrees with the URL's primary key (PGRST115) or without a pk filter (PGRST105)", async () => {
    const id = newId();
    const mismatch = await rest(`/${fx.authors}?id=eq.${id}`, {
      method: "PUT",
      body: JSON.stringify({ id: id + 1, name: "x" }),
      headers: { "content-type": "application/json" },
    });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { code: string }).code).toBe("PGRST115");
    const noPk = await rest(`/${fx.authors}?name=eq.x`, {
      method: "PUT",
      body: JSON.stringify({ id, name: "x" }),
      headers: { "content-type": "application/json" },
    });
    expect(noPk.status).toBe(405);
    expect(((await noPk.json()) as { code: string }).code).toBe("PGRST105");
  });
});
