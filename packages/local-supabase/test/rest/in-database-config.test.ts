// In-database PostgREST settings on the authenticator role: db_pre_request, db_tx_end (with Prefer: tx), db_aggregates_enabled.
// These are cluster-wide while set, so the pre-request function is harmless (it only records that it ran) and
// every setting is reset, and the reset seen by the service, before anything it names is dropped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./fixtures.ts";
import { closeDb, db, FIXTURE_SCHEMA, rest, uniquePrefix } from "./support.ts";

let fx: Fixture;
let pre: string;

/** Reloads the schema cache and waits until `ready` holds. */
async function reloadUntil(ready: () => Promise<boolean>): Promise<void> {
  await db().query("notify pgrst, 'reload schema'");
  for (let i = 0; i < 100; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the REST service never picked up the setting");
}

beforeAll(async () => {
  fx = await createFixture(uniquePrefix());
  pre = `${fx.fn("pre_request")}`;
  await db().query(`create function ${FIXTURE_SCHEMA}.${pre}() returns void language sql set search_path = ''
    as $f$ select set_config('request.rf_pre_ran', 'yes', true) $f$;
    grant execute on function ${FIXTURE_SCHEMA}.${pre}() to anon, authenticated, service_role`);
});

afterAll(async () => {
  await db().query(
    "alter role authenticator reset pgrst.db_pre_request; alter role authenticator reset pgrst.db_tx_end; alter role authenticator reset pgrst.db_aggregates_enabled",
  );
  await reloadUntil(
    async () =>
      (
        await rest(`/rpc/${fx.fn("add")}`, {
          method: "POST",
          body: '{"a":1}',
          headers: { "content-type": "application/json" },
        })
      ).status === 200,
  );
  await db().query(`drop function if exists ${FIXTURE_SCHEMA}.${pre}()`);
  await fx.drop();
  await closeDb();
});

describe("in-database configuration", () => {
  it("calls pgrst.db_pre_request in the request's transaction before the statement", async () => {
    await db().query(`alter role authenticator set pgrst.db_pre_request = '${FIXTURE_SCHEMA}.${pre}'`);
    // whoami is declared without a pinned search_path, so it can read the setting the pre-request made.
    await db()
      .query(`create or replace function ${FIXTURE_SCHEMA}.${fx.fn("pre_seen")}() returns text language sql stable as $f$ select current_setting('request.rf_pre_ran', true) $f$;
      grant execute on function ${FIXTURE_SCHEMA}.${fx.fn("pre_seen")}() to anon`);
    await reloadUntil(async () => (await (await rest(`/rpc/${fx.fn("pre_seen")}`)).json()) === "yes");
    expect(await (await rest(`/rpc/${fx.fn("pre_seen")}`)).json()).toBe("yes");
    await db().query("alter role authenticator reset pgrst.db_pre_request");
    await reloadUntil(async () => (await (await rest(`/rpc/${fx.fn("pre_seen")}`)).json()) !== "yes");
    await db().query(`drop function ${FIXTURE_SCHEMA}.${fx.fn("pre_seen")}()`);
  });

  it("rolls back on Prefer: tx=rollback when db_tx_end allows the override", async () => {
    await db().query("alter role authenticator set pgrst.db_tx_end = 'commit-allow-override'");
    await db().query("notify pgrst, 'reload schema'");
    let id = 900;
    // Until the service has read the setting, each attempt commits; a fresh id per attempt keeps them apart.
    await reloadUntil(async () => {
      id++;
      const res = await rest(`/${fx.authors}`, {
        method: "POST",
        body: JSON.stringify({ id, name: "Ghost" }),
        headers: { "content-type": "application/json", prefer: "tx=rollback, return=representation" },
      });
      return (
        res.status === 201 &&
        (await db().query(`select 1 from ${FIXTURE_SCHEMA}.${fx.authors} where id = $1`, [id])).rowCount === 0
      );
    });
    const committed = await rest(`/${fx.authors}`, {
      method: "POST",
      body: JSON.stringify({ id: 999, name: "Real" }),
      headers: { "content-type": "application/json" },
    });
    expect(committed.status).toBe(201);
    expect((await db().query(`select name from ${FIXTURE_SCHEMA}.${fx.authors} where id = 999`)).rows).toEqual([
      { name: "Real" },
    ]);
  });

  it("refuses aggregates with 400 PGRST123 while db_aggregates_enabled is off (Supabase's default)", async () => {
    const res = await rest(`/${fx.books}?select=pages.sum()`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST123");
  });

  it("aggregates, grouped by the other selected columns, once db_aggregates_enabled is on", async () => {
    await db().query("alter role authenticator set pgrst.db_aggregates_enabled = 'true'");
    await db().query("notify pgrst, 'reload config'");
    await reloadUntil(async () => (await rest(`/${fx.books}?select=pages.sum()`)).status === 200);
    const total = await rest(`/${fx.books}?select=pages.sum(),count()`);
    expect(await total.json()).toEqual([{ sum: 742, count: 4 }]);
    const grouped = await rest(
      `/${fx.books}?select=author_id,pages:pages.max(),n:count()&author_id=not.is.null&order=author_id`,
    );
    expect(await grouped.json()).toEqual([
      { author_id: 1, pages: 50, n: 1 },
      { author_id: 2, pages: 272, n: 2 },
      { author_id: 3, pages: 300, n: 1 },
    ]);
    const embedded = await rest(`/${fx.authors}?select=name,${fx.books}!author_id(pages.sum())&id=eq.2`);
    expect(await embedded.json()).toEqual([{ name: "Brian", [fx.books]: [{ sum: 392 }] }]);
    await db().query("alter role authenticator reset pgrst.db_aggregates_enabled");
    await reloadUntil(async () => (await rest(`/${fx.books}?select=pages.sum()`)).status === 400);
  });
});
