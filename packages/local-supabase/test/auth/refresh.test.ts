// POST /token?grant_type=refresh_token: rotation, the reuse interval, and reuse detection.
import { describe, expect, it } from "vitest";
import pg from "pg";
import { stackEnv } from "../support/env.ts";
import { authFetch, client, jwtPayload, signedUp } from "./helpers.ts";

/** Moves a refresh token's revocation time into the past, beyond any reuse interval (a fixture, not a wait). */
async function ageToken(token: string): Promise<void> {
  const db = new pg.Client({ connectionString: stackEnv.dbUrl });
  await db.connect();
  try {
    await db.query(`update auth.refresh_tokens set updated_at = now() - interval '1 hour' where token = $1`, [token]);
  } finally {
    await db.end();
  }
}

/** Marks a refresh token as revoked just now, so a reuse falls inside any reuse interval (a fixture, not a wait). */
async function reviseToken(token: string): Promise<void> {
  const db = new pg.Client({ connectionString: stackEnv.dbUrl });
  await db.connect();
  try {
    await db.query(`update auth.refresh_tokens set updated_at = now() where token = $1`, [token]);
  } finally {
    await db.end();
  }
}

describe("auth: refresh tokens", () => {
  it("rotates: a refresh returns a new refresh token in the same session", async () => {
    const { session } = await signedUp();
    const { data, error } = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(error).toBeNull();
    expect(data.session?.refresh_token).toBeTruthy();
    expect(data.session?.refresh_token).not.toBe(session.refresh_token);
    expect(jwtPayload(data.session!.access_token).session_id).toBe(jwtPayload(session.access_token).session_id);
  });

  it("records the old token as revoked and the parent of the new one", async () => {
    const { session } = await signedUp();
    const { data } = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    const db = new pg.Client({ connectionString: stackEnv.dbUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ token: string; revoked: boolean; parent: string | null }>(
        `select token, revoked, parent from auth.refresh_tokens where token = any($1) order by id`,
        [[session.refresh_token, data.session!.refresh_token]],
      );
      expect(rows).toEqual([
        { token: session.refresh_token, revoked: true, parent: null },
        { token: data.session!.refresh_token, revoked: false, parent: session.refresh_token },
      ]);
    } finally {
      await db.end();
    }
  });

  it("keeps the sign-in method in amr after a refresh", async () => {
    const { session } = await signedUp();
    const { data } = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect((jwtPayload(data.session!.access_token).amr as Array<{ method: string }>)[0]?.method).toBe("password");
  });

  it("answers a repeated refresh with the same child token (concurrent refresh)", async () => {
    const { session } = await signedUp();
    const a = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    const b = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(b.error).toBeNull();
    expect(b.data.session?.refresh_token).toBe(a.data.session?.refresh_token);
  });

  it("answers two simultaneous refreshes of one token with the same child", async () => {
    const { session } = await signedUp();
    const [a, b] = await Promise.all([
      client().auth.refreshSession({ refresh_token: session.refresh_token }),
      client().auth.refreshSession({ refresh_token: session.refresh_token }),
    ]);
    expect(a.error).toBeNull();
    expect(b.error).toBeNull();
    expect(a.data.session?.refresh_token).toBe(b.data.session?.refresh_token);
  });

  it("refuses reuse of an old token after the reuse interval and revokes the whole session", async () => {
    const { session } = await signedUp();
    const first = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    const second = await client().auth.refreshSession({ refresh_token: first.data.session!.refresh_token });
    await ageToken(session.refresh_token);
    const reuse = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(reuse.error).toMatchObject({
      status: 400,
      code: "refresh_token_already_used",
      message: "Invalid Refresh Token: Already Used",
    });
    await ageToken(second.data.session!.refresh_token);
    const latest = await client().auth.refreshSession({ refresh_token: second.data.session!.refresh_token });
    expect(latest.error).toMatchObject({ status: 400, code: "refresh_token_already_used" });
  });

  it("gives another child to a revoked token reused within the reuse interval", async () => {
    const { session } = await signedUp();
    const first = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    const second = await client().auth.refreshSession({ refresh_token: first.data.session!.refresh_token });
    await reviseToken(session.refresh_token);
    const reuse = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(reuse.error).toBeNull();
    expect(reuse.data.session?.refresh_token).not.toBe(second.data.session?.refresh_token);
    expect(reuse.data.session?.refresh_token).not.toBe(first.data.session?.refresh_token);
  });

  it("refuses an unknown refresh token: 400 refresh_token_not_found", async () => {
    const res = await authFetch("/token?grant_type=refresh_token", { body: { refresh_token: "doesnotexist" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: "refresh_token_not_found",
      message: "Invalid Refresh Token: Refresh Token Not Found",
    });
  });
});
