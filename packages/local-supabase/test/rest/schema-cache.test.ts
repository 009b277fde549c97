// The REST schema cache follows DDL: NOTIFY pgrst reloads it, and a missed table triggers one reload before a 404.
import { afterAll, describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { closeDb, db, rest, uniquePrefix, FIXTURE_SCHEMA } from "./support.ts";

const created: string[] = [];
afterAll(async () => {
  for (const t of created) await db().query(`drop table if exists ${FIXTURE_SCHEMA}.${t}`);
  await closeDb();
});

describe("schema cache", () => {
  it("serves a table created after start-up without waiting for a notification", async () => {
    const t = `${uniquePrefix()}_fresh`;
    created.push(t);
    await db().query(
      `create table ${FIXTURE_SCHEMA}.${t} (id int primary key); insert into ${FIXTURE_SCHEMA}.${t} values (7); grant select on ${FIXTURE_SCHEMA}.${t} to anon, service_role`,
    );
    const res = await rest(`/${t}?select=id`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: 7 }]);
  });

  it("picks up a new column after NOTIFY pgrst, 'reload schema'", async () => {
    const t = `${uniquePrefix()}_grow`;
    created.push(t);
    await db().query(
      `create table ${FIXTURE_SCHEMA}.${t} (id int primary key); grant select on ${FIXTURE_SCHEMA}.${t} to anon, service_role`,
    );
    expect((await rest(`/${t}`)).status).toBe(200);
    await db().query(
      `alter table ${FIXTURE_SCHEMA}.${t} add column label text default 'x'; insert into ${FIXTURE_SCHEMA}.${t} values (1)`,
    );
    await db().query("notify pgrst, 'reload schema'");
    let last: Response | undefined;
    for (let i = 0; i < 50; i++) {
      last = await rest(`/${t}?select=label`, { token: stackEnv.serviceRoleKey });
      if (last.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await last!.json()).toEqual([{ label: "x" }]);
  });
});
