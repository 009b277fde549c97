// Supabase Database Webhooks in the local stack: a trigger calling supabase_functions.http_request
// (what the dashboard creates) posts each row change, in Supabase's payload shape, after commit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPool, recordingServer, uniqueName, until, type Received } from "./background-support.ts";

const pool = newPool();
const schema = uniqueName("hooks_t");
let server: Awaited<ReturnType<typeof recordingServer>>;

beforeAll(async () => {
  server = await recordingServer();
  // A table the API roles may write, and the webhook as the dashboard writes it: url, method,
  // headers, params, timeout (ms), all as text arguments.
  await pool.query(`
    create schema ${schema};
    create table ${schema}.items (id int primary key, name text);
    grant usage on schema ${schema} to authenticated;
    grant insert, update, delete, select on ${schema}.items to authenticated;
    create trigger items_webhook after insert or update or delete on ${schema}.items
      for each row execute function supabase_functions.http_request(
        '${server.url}/hook', 'POST', '{"Content-Type":"application/json","X-Webhook-Secret":"s3cret"}', '{"source":"items"}', '1000');
    create trigger items_get_webhook after insert on ${schema}.items
      for each row execute function supabase_functions.http_request('${server.url}/ping', 'GET', 'null', '{"from":"trigger"}', 'null');`);
});

afterAll(async () => {
  await pool.query(`drop schema ${schema} cascade`);
  await server.close();
  await pool.end();
});

const payloadOf = (r: Received) =>
  JSON.parse(r.body) as { type: string; table: string; schema: string; record: unknown; old_record: unknown };
const forRow = (id: number, type: string) => (r: Received) =>
  r.url.startsWith("/hook") &&
  r.body !== "" &&
  payloadOf(r).type === type &&
  (payloadOf(r).record as { id?: number } | null)?.id === id;

describe("Database Webhooks (supabase_functions.http_request)", () => {
  it("posts an insert after commit with type, table, schema, record and old_record, and records the hook", async () => {
    await pool.query(`insert into ${schema}.items values (1, 'first')`);
    const got = await server.next(forRow(1, "INSERT"));
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/hook?source=items");
    expect(got.headers).toMatchObject({ "content-type": "application/json", "x-webhook-secret": "s3cret" });
    expect(payloadOf(got)).toEqual({
      type: "INSERT",
      table: "items",
      schema,
      record: { id: 1, name: "first" },
      old_record: null,
    });

    const { rows } = await pool.query<{ hook_name: string; request_id: string; table_name: string }>(
      `select h.hook_name, h.request_id, h.hook_table_id::regclass::text as table_name from supabase_functions.hooks h
        where h.hook_table_id = $1::regclass::oid and h.hook_name = 'items_webhook'`,
      [`${schema}.items`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.table_name).toBe(`${schema}.items`);
    const response = await until(
      "the webhook's recorded response",
      async () =>
        (await pool.query(`select status_code from net._http_response where id = $1`, [rows[0]!.request_id])).rows[0],
    );
    expect(response).toEqual({ status_code: 200 });
  });

  it("a GET webhook carries its params and no body", async () => {
    await pool.query(`insert into ${schema}.items values (5, 'pinged')`);
    const got = await server.next((r) => r.url.startsWith("/ping"));
    expect(got).toMatchObject({ method: "GET", url: "/ping?from=trigger", body: "" });
  });

  it("posts updates and deletes with the old row, for a change made by an API role", async () => {
    await pool.query(`insert into ${schema}.items values (2, 'before')`);
    const c = await pool.connect();
    try {
      // As PostgREST runs a request: the API role has no rights on pg_net or the hooks table itself.
      await c.query("begin; set local role authenticated");
      await c.query(`update ${schema}.items set name = 'after' where id = 2`);
      await c.query(`delete from ${schema}.items where id = 2`);
      await c.query("commit");
    } finally {
      c.release();
    }
    const updated = await server.next(forRow(2, "UPDATE"));
    expect(payloadOf(updated)).toEqual({
      type: "UPDATE",
      table: "items",
      schema,
      record: { id: 2, name: "after" },
      old_record: { id: 2, name: "before" },
    });
    const deleted = await server.next(
      (r) =>
        r.url.startsWith("/hook") &&
        payloadOf(r).type === "DELETE" &&
        (payloadOf(r).old_record as { id: number }).id === 2,
    );
    expect(payloadOf(deleted)).toEqual({
      type: "DELETE",
      table: "items",
      schema,
      record: null,
      old_record: { id: 2, name: "after" },
    });
  });

  it("sends nothing for a change that rolls back", async () => {
    const c = await pool.connect();
    try {
      await c.query("begin");
      await c.query(`insert into ${schema}.items values (3, 'never')`);
      await c.query("rollback");
    } finally {
      c.release();
    }
    await pool.query(`insert into ${schema}.items values (4, 'sentinel')`);
    await server.next(forRow(4, "INSERT"));
    expect(server.received.filter(forRow(3, "INSERT"))).toEqual([]);
  });
});
