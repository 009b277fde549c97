// /rest/v1/rpc through postgrest-js: named arguments, GET calls, result shapes, filters on results, errors.
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures.ts";
import { client, closeDb, rest, sqlUser, uniquePrefix, FIXTURE_SCHEMA } from "./support.ts";

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

describe("rpc", () => {
  it("calls a scalar function with named arguments by POST", async () => {
    const { data, error } = await sb.rpc(fx.fn("add"), { a: 2, b: 5 });
    expect(error).toBeNull();
    expect(data).toBe(7);
  });

  it("uses parameter defaults for omitted arguments", async () => {
    expect((await sb.rpc(fx.fn("add"), { a: 2 })).data).toBe(3);
  });

  it("calls by GET with query arguments", async () => {
    const { data } = await sb.rpc(fx.fn("add"), { a: 40, b: 2 }, { get: true });
    expect(data).toBe(42);
  });

  it("passes arrays in GET calls as PostgreSQL array literals", async () => {
    const { data, error } = await sb.rpc(fx.fn("tagged"), { tags: ["a", "b"] }, { get: true });
    expect(error).toBeNull();
    expect(data).toBe(2);
  });

  it("answers a HEAD call with the count of a set-returning function and no body", async () => {
    const { data, count, status } = await sb.rpc(fx.fn("books_by"), { author: 2 }, { head: true, count: "exact" });
    expect(status).toBe(200);
    expect(count).toBe(2);
    expect(data).toBeNull();
  });

  it("passes JSON arrays as PostgreSQL arrays", async () => {
    expect((await sb.rpc(fx.fn("tagged"), { tags: ["a", "b,c", 'd"e'] })).data).toBe(3);
  });

  it("returns rows of a set-returning function, with filters, order and select applied", async () => {
    const { data } = await sb.rpc(fx.fn("books_by"), { author: 2 }).select("id,title").gt("pages", 200).order("id");
    expect(data).toEqual([{ id: 2, title: "The C Book" }]);
  });

  it("returns a single composite as an object", async () => {
    const { data } = await sb.rpc(fx.fn("first_book")).select("id,title");
    expect(data).toEqual({ id: 1, title: "Notes on the Engine" });
  });

  it("returns set-returning scalars as an array", async () => {
    const { data } = await sb.rpc(fx.fn("titles"));
    expect(data).toEqual(["Notes on the Engine", "The C Book", "Unix Tales", "Compilers"]);
  });

  it("answers a void function with 204 and no body", async () => {
    const { data, error, status } = await sb.rpc(fx.fn("noop"));
    expect(error).toBeNull();
    expect(status).toBe(204);
    expect(data).toBeNull();
  });

  it("passes the whole body to a function with a single unnamed json parameter", async () => {
    const { data } = await sb.rpc(fx.fn("echo"), { anything: [1, 2], goes: true });
    expect(data).toEqual({ anything: [1, 2], goes: true });
  });

  it("passes a text/plain body to a single unnamed text parameter and octet-stream to bytea", async () => {
    const text = await rest(`/rpc/${fx.fn("shout")}`, {
      method: "POST",
      body: "hello, world",
      headers: { "content-type": "text/plain" },
    });
    expect(await text.json()).toBe("HELLO, WORLD");
    const bytes = await rest(`/rpc/${fx.fn("size")}`, {
      method: "POST",
      body: new Uint8Array([0, 1, 2, 255]),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(await bytes.json()).toBe(4);
  });

  it("answers 400 with the raised message, detail and hint for RAISE EXCEPTION", async () => {
    const { data, error, status } = await sb.rpc(fx.fn("fail"), { msg: "nope, not today" });
    expect(data).toBeNull();
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: "P0001", message: "nope, not today", details: "the detail", hint: "the hint" });
  });

  it("uses the status of a PTxxx SQLSTATE", async () => {
    const { error, status } = await sb.rpc(fx.fn("teapot"));
    expect(status).toBe(418);
    expect(error?.code).toBe("PT418");
  });

  it("lets SQL shape the whole error with RAISE SQLSTATE 'PGRST'", async () => {
    const res = await rest(`/rpc/${fx.fn("payment_required")}`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(402);
    expect(res.headers.get("x-powered-by")).toBe("Nerd Rage");
    expect(await res.json()).toEqual({
      code: "123",
      message: "Payment Required",
      details: "Quota exceeded",
      hint: "Upgrade your plan",
    });
  });

  it("applies response.status and response.headers set by the function", async () => {
    const res = await rest(`/rpc/${fx.fn("created")}`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-rest-test")).toBe("yes");
    expect(await res.json()).toEqual({ ok: true });
  });

  it("answers 404 PGRST202 for an unknown function or unknown arguments", async () => {
    const a = await sb.rpc(`${fx.fn("add")}x`, { a: 1 });
    expect(a.status).toBe(404);
    expect(a.error?.code).toBe("PGRST202");
    expect(a.error?.hint).toBe(`Perhaps you meant to call the function ${FIXTURE_SCHEMA}.${fx.fn("add")}`);
    const b = await sb.rpc(fx.fn("add"), { z: 1 });
    expect(b.error?.message).toBe(
      `Could not find the function ${FIXTURE_SCHEMA}.${fx.fn("add")}(z) in the schema cache`,
    );
  });

  it("runs GET calls read-only: a volatile write fails with 405", async () => {
    const u = await sqlUser(FIXTURE_SCHEMA);
    const res = await rest(`/rpc/${fx.fn("write_note")}?body=hi`, { token: u.token });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { code: string }).code).toBe("25006");
    const ok = await u.client.rpc(fx.fn("write_note"), { body: "hi" });
    expect(typeof ok.data).toBe("number");
  });

  it("calls a volatile set-returning function once even when a count is asked for", async () => {
    const u = await sqlUser(FIXTURE_SCHEMA);
    const { data, count, error } = await u.client
      .rpc(fx.fn("spawn_notes"), { n: 2 }, { count: "exact" })
      .select("body");
    expect(error).toBeNull();
    expect(count).toBe(2);
    expect(data).toEqual([{ body: "spawned 1" }, { body: "spawned 2" }]);
    const { count: stored } = await u.client.from(fx.notes).select("*", { count: "exact", head: true });
    expect(stored).toBe(2);
  });

  it("refuses other methods on /rpc with 405 PGRST101", async () => {
    const res = await rest(`/rpc/${fx.fn("add")}`, {
      method: "PATCH",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST101");
  });
});
