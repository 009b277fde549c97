// auth.audit_log_entries: the rows GoTrue writes for sign-up, sign-in, refresh and logout.
import { describe, expect, it } from "vitest";
import pg from "pg";
import { stackEnv } from "../support/env.ts";
import { client, signedUp } from "./helpers.ts";

async function actions(userId: string): Promise<string[]> {
  const db = new pg.Client({ connectionString: stackEnv.dbUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ action: string }>(
      `select payload ->> 'action' as action from auth.audit_log_entries where payload ->> 'actor_id' = $1 order by created_at`,
      [userId],
    );
    return rows.map((r) => r.action);
  } finally {
    await db.end();
  }
}

describe("auth: audit log", () => {
  it("records a sign-up as user_signedup then login", async () => {
    const { user } = await signedUp();
    expect(await actions(user.id)).toEqual(["user_signedup", "login"]);
  });

  it("records a refresh and a logout", async () => {
    const { user, client: c, session } = await signedUp();
    await client().auth.refreshSession({ refresh_token: session.refresh_token });
    await c.auth.signOut();
    const seen = await actions(user.id);
    expect(seen).toEqual(expect.arrayContaining(["token_refreshed", "token_revoked", "logout"]));
  });
});
