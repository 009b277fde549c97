// realtime.messages partitions keep rolling: missing days ahead are created, days older than 72 h dropped.
import { describe, expect, it } from "vitest";
import { maintainPartitions } from "../../src/gateway/realtime/partitions.ts";
import { db } from "./support.ts";

const exists = async (name: string) =>
  (await db().query<{ r: string | null }>(`select to_regclass($1)::text as r`, [`realtime.${name}`])).rows[0]?.r !==
  null;

describe("realtime.messages partitions", () => {
  it("creates the days ahead that are missing and drops those older than 72 hours", async () => {
    const ahead = (
      await db().query<{ n: string }>(
        `select 'messages_' || to_char((now() at time zone 'utc')::date + 6, 'YYYY_MM_DD') as n`,
      )
    ).rows[0]!.n;
    await db().query(`drop table if exists realtime.${ahead}`);
    await db().query(
      `create table if not exists realtime.messages_2020_01_01 partition of realtime.messages for values from ('2020-01-01') to ('2020-01-02')`,
    );
    await maintainPartitions(db());
    expect(await exists(ahead)).toBe(true);
    expect(await exists("messages_2020_01_01")).toBe(false);
  });
});
