// realtime_rows_per_send_*: how many realtime.messages rows one send_message writes — every row is a
// delivery Realtime makes and counts against a project's message quota. Measured in transactions that
// are rolled back, so nothing is sent: a direct conversation (one row per member: 2), a 10-member
// group (10) and a group one above the inbox fan-out bound (one content-free notice on
// conversation:<id>:events, whatever the size).
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { claimsOf, lit } from "../sql.ts";
import type { StageContext } from "./context.ts";
import type { Metric } from "../report.ts";

/** Rows about `conversation` in realtime.messages, as this transaction sees them (its own included). */
const rowsAbout = (conversation: string) =>
  `select count(*)::int as n from realtime.messages where payload ->> 'conversation_id' = ${lit(conversation)}`;

/** Rows one send by `sender` in `conversation` writes, after `setup` (run as superuser in the same transaction). */
async function rowsOfOneSend(db: pg.Client, conversation: string, sender: string, setup = ""): Promise<number> {
  const res = (await db.query(`begin; ${setup}
     ${rowsAbout(conversation)};
     select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${lit(claimsOf(sender))}, true);
     select id from parley.send_message(${lit(conversation)}, 'rows per send probe', 'text', null, null, null, ${lit(randomUUID())});
     reset role;
     ${rowsAbout(conversation)};
     rollback;`)) as unknown as pg.QueryResult[];
  const counts = res
    .filter((r) => r.command === "SELECT" && r.rows[0] && "n" in r.rows[0])
    .map((r) => (r.rows[0] as { n: number }).n);
  return counts[counts.length - 1]! - counts[counts.length - 2]!;
}

export async function rowsPerSend(
  ctx: StageContext,
  db: pg.Client,
): Promise<{ metrics: Metric[]; figures: Record<string, number> }> {
  const { seeded } = ctx;
  const bound = (
    await db.query<{ n: number }>(`select (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int as n`)
  ).rows[0]!.n;
  const direct = await rowsOfOneSend(db, seeded.conversations.send[0]!, seeded.users.senders[0]!);
  const group10 = await rowsOfOneSend(db, seeded.conversations.send[1]!, seeded.users.senders[1]!);
  // A group of bound + 1 pool users, made inside the rolled-back transaction.
  const large = randomUUID();
  const members = `(select id from ${seeded.schema}.pool order by n limit ${bound + 1})`;
  const owner = (await db.query<{ id: string }>(`select id from ${seeded.schema}.pool order by n limit 1`)).rows[0]!.id;
  const groupLarge = await rowsOfOneSend(
    db,
    large,
    owner,
    `
     insert into parley.conversations (id, kind, title, created_by) values (${lit(large)}, 'group', 'bench fan-out', ${lit(owner)});
     insert into parley.conversation_members (conversation_id, user_id, role)
       select ${lit(large)}, m.id, case when m.id = ${lit(owner)} then 'owner' else 'member' end from ${members} m;`,
  );
  const metric = (key: string, value: number, expected: number, what: string): Metric => ({
    key,
    value,
    unit: "count",
    target: { op: "=", value: expected },
    detail: what,
  });
  return {
    metrics: [
      metric("realtime_rows_per_send_direct", direct, 2, "one row per member on user:<id> (2 members)"),
      metric("realtime_rows_per_send_group10", group10, 10, "one row per member on user:<id> (10 members)"),
      metric(
        `realtime_rows_per_send_group${bound + 1}`,
        groupLarge,
        1,
        `one notice on conversation:<id>:events (${bound + 1} members, above the fan-out bound)`,
      ),
    ],
    figures: { realtime_fanout_bound: bound },
  };
}
