// Bodies PostgREST treats in a way of its own (issue 23): JSON nested thousands of levels deep goes on to
// PostgreSQL as PostgREST passes it (aeson has no depth limit; PostgreSQL decides), never a gateway 500
// from JSON.stringify; a lone UTF-16 surrogate, escaped or as CESU-8 bytes, is refused as aeson refuses it
// (400 PGRST102 "Empty or invalid json"), never stored as U+FFFD.
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, closeDb, db, ddlAndReload, FIXTURE_SCHEMA, rest, uniquePrefix } from "./support.ts";

const S = FIXTURE_SCHEMA;
let p: string;
let sb: SupabaseClient;

beforeAll(async () => {
  p = uniquePrefix();
  await ddlAndReload(
    `create table ${S}.${p}_docs (id int primary key, doc jsonb, note text);
     grant select, insert, update, delete on ${S}.${p}_docs to anon, authenticated, service_role;
     insert into ${S}.${p}_docs (id, doc, note) values (1, '{}', 'first');
     -- The size and nesting of what arrived, so a test can tell it came through whole.
     create function ${S}.${p}_doc_size(doc jsonb) returns int language sql immutable set search_path = ''
       as 'select octet_length(doc::text)';
     create function ${S}.${p}_echo_text(t text) returns text language sql immutable set search_path = '' as 'select t';
     grant execute on function ${S}.${p}_doc_size, ${S}.${p}_echo_text to anon, authenticated, service_role;`,
    `/${p}_docs?limit=0`,
  );
  sb = client(undefined, FIXTURE_SCHEMA);
});
afterAll(async () => {
  await db()
    .query(`drop table if exists ${S}.${p}_docs; drop function if exists ${S}.${p}_doc_size, ${S}.${p}_echo_text;
                    notify pgrst, 'reload schema';`);
  await closeDb();
});

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const post = (path: string, body: string | Uint8Array<ArrayBuffer>, method = "POST") =>
  rest(path, { method, headers: { "content-type": "application/json", prefer: "return=minimal" }, body });

describe("JSON nested 5,000 levels deep (a 10 KB body)", () => {
  it("reaches the function of an RPC whole, as PostgREST passes it on", async () => {
    const res = await post(`/rpc/${p}_doc_size`, `{"doc":${nested(5000)}}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(10_000);
  });

  it("is written by a PATCH and a POST, and read back whole", async () => {
    const patched = await post(`/${p}_docs?id=eq.1`, `{"doc":{"deep":${nested(5000)}}}`, "PATCH");
    expect(patched.status).toBe(204);
    const inserted = await post(`/${p}_docs`, `{"id":2,"doc":${nested(5000)}}`);
    expect(inserted.status).toBe(201);
    const { rows } = await db().query<{ id: number; size: number }>(
      `select id, octet_length(doc::text) as size from ${S}.${p}_docs where id in (1, 2) order by id`,
    );
    expect(rows).toEqual([
      { id: 1, size: 10_010 },
      { id: 2, size: 10_000 },
    ]);
    const read = await rest(`/${p}_docs?id=eq.2&select=doc`);
    expect(read.status).toBe(200);
    expect((await read.text()).replaceAll(" ", "")).toBe(`[{"doc":${nested(5000)}}]`);
  });

  it("deeper than PostgreSQL's stack allows gets PostgreSQL's own answer, as from PostgREST (54001, 500)", async () => {
    const res = await post(`/rpc/${p}_doc_size`, `{"doc":${nested(100_000)}}`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { code: string }).code).toBe("54001");
  });
});

describe("lone UTF-16 surrogates", () => {
  const refusedAsInvalidJson = async (res: Response) => {
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "PGRST102", message: "Empty or invalid json", details: null, hint: null });
  };

  it("an escaped lone surrogate (high, low, in a key, deep inside) is refused, not stored as U+FFFD", async () => {
    await refusedAsInvalidJson(await post(`/rpc/${p}_echo_text`, '{"t":"\\ud800"}'));
    await refusedAsInvalidJson(await post(`/rpc/${p}_echo_text`, '{"t":"a\\uDC00b"}'));
    await refusedAsInvalidJson(await post(`/rpc/${p}_doc_size`, '{"doc":{"\\ud83d":1}}'));
    await refusedAsInvalidJson(await post(`/${p}_docs?id=eq.1`, '{"note":"\\ud800 x"}', "PATCH"));
    await refusedAsInvalidJson(await post(`/${p}_docs`, `{"id":3,"doc":${"[".repeat(50)}"\\udfff"${"]".repeat(50)}}`));
    const { rows } = await db().query(`select note from ${S}.${p}_docs where id = 1 or id = 3`);
    expect(rows).toEqual([{ note: "first" }]);
  });

  it("a surrogate sent as raw CESU-8 bytes (ED A0 80) is refused too", async () => {
    const body = Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    await refusedAsInvalidJson(await post(`/rpc/${p}_echo_text`, new Uint8Array(body)));
  });

  it("the official client's lone surrogate is refused with PGRST102", async () => {
    const { data, error } = await sb.rpc(`${p}_echo_text`, { t: "x\ud800y" });
    expect(data).toBeNull();
    expect(error).toMatchObject({ code: "PGRST102", message: "Empty or invalid json" });
  });

  it("surrogate pairs, escaped or not, and U+FFFD itself are text like any other", async () => {
    const res = await post(`/rpc/${p}_echo_text`, '{"t":"\\ud83d\\ude00 😀 \\ufffd \\\\ud800"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("😀 😀 \ufffd \\ud800");
    expect((await sb.rpc(`${p}_echo_text`, { t: "👩‍💻" })).data).toBe("👩‍💻");
  });
});
