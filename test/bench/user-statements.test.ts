// The statements `npm run bench` runs as a signed-in user, run here on the test stack with Parley's grants
// and policies: a change of grants that breaks one (as issue 16's column grants broke the naive inbox)
// fails here instead of as a "failed:" figure in the next bench run.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@parley/local-supabase/testing/realtime";
import { INBOX_PAGE, naiveInbox, naiveMembershipsView } from "../../bench/stages/inbox.ts";
import { asUser } from "../../bench/sql.ts";
import { newUser, parleyOf, type TestUser } from "../support/clients.ts";

const schema = `bench_test_${randomBytes(4).toString("hex")}`;
let alice: TestUser;
let conversation: string;

beforeAll(async () => {
  const [a, bob] = [await newUser(), await newUser()];
  alice = a;
  const { rows } = await db().query<{ id: string }>(
    "insert into parley.conversations (kind, title, created_by) values ('group', 'bench statements', $1) returning id",
    [alice.id],
  );
  conversation = rows[0]!.id;
  await db().query(
    "insert into parley.conversation_members (conversation_id, user_id, role) values ($1, $2, 'owner'), ($1, $3, 'member')",
    [conversation, alice.id, bob.id],
  );
  for (const body of ["one", "two"]) {
    const sent = await parleyOf(bob.client).rpc("send_message", { conversation_id: conversation, body });
    expect(sent.error).toBeNull();
  }
  await db().query(`create schema ${schema}`);
  await db().query(naiveMembershipsView(schema));
});

afterAll(async () => {
  await db().query(`drop schema if exists ${schema} cascade`);
});

/** The rows of the statement inside the bench's `begin; settings; statement; commit` wrapper. */
async function rowsAsUser(userId: string, statement: string): Promise<Record<string, unknown>[]> {
  const results = (await db().query(asUser(userId, statement))) as unknown as { rows: Record<string, unknown>[] }[];
  return results[2]!.rows;
}

describe("the bench's inbox statements, as a member", () => {
  it("the naive inbox lists the member's conversation with its newest message and unread count", async () => {
    const rows = await rowsAsUser(alice.id, naiveInbox(schema));
    expect(rows).toEqual([expect.objectContaining({ id: conversation, body: "two", unread_count: "2" })]);
  });

  it("list_conversations, the page it is compared with, lists the same conversation", async () => {
    const rows = await rowsAsUser(alice.id, INBOX_PAGE);
    expect(rows).toEqual([expect.objectContaining({ conversation_id: conversation, unread_count: "2" })]);
  });
});
