// POST /logout?scope=global|local|others: sessions and their refresh tokens go away.
import { describe, expect, it } from "vitest";
import { authFetch, client, signedUp } from "./helpers.ts";

describe("auth: logout", () => {
  it("answers 204 with no body", async () => {
    const { session } = await signedUp();
    const res = await authFetch("/logout?scope=global", { token: session.access_token, body: "" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });

  it("revokes the refresh token", async () => {
    const { client: c, session } = await signedUp();
    expect((await c.auth.signOut()).error).toBeNull();
    const { error } = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });

  it("makes /user refuse the old access token (session_not_found)", async () => {
    const { client: c, session } = await signedUp();
    await c.auth.signOut();
    const { error } = await client().auth.getUser(session.access_token);
    expect(error?.name).toBe("AuthSessionMissingError");
    const res = await authFetch("/user", { token: session.access_token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      code: "session_not_found",
      message: "Session from session_id claim in JWT does not exist",
    });
  });

  it("scope=global ends every session of the user", async () => {
    const { client: c, email, password } = await signedUp();
    const other = await client().auth.signInWithPassword({ email, password });
    await c.auth.signOut({ scope: "global" });
    expect(
      (await client().auth.refreshSession({ refresh_token: other.data.session!.refresh_token })).error,
    ).toMatchObject({ code: "refresh_token_not_found" });
  });

  it("scope=local ends only this session", async () => {
    const { client: c, email, password } = await signedUp();
    const other = await client().auth.signInWithPassword({ email, password });
    await c.auth.signOut({ scope: "local" });
    expect((await client().auth.refreshSession({ refresh_token: other.data.session!.refresh_token })).error).toBeNull();
  });

  it("scope=others ends every other session and keeps this one", async () => {
    const { session, email, password } = await signedUp();
    const other = await client().auth.signInWithPassword({ email, password });
    const res = await authFetch("/logout?scope=others", { token: session.access_token, body: "" });
    expect(res.status).toBe(204);
    expect(
      (await client().auth.refreshSession({ refresh_token: other.data.session!.refresh_token })).error,
    ).toMatchObject({ code: "refresh_token_not_found" });
    expect((await client().auth.refreshSession({ refresh_token: session.refresh_token })).error).toBeNull();
  });

  it("refuses an unknown scope: 400 validation_failed", async () => {
    const { session } = await signedUp();
    const res = await authFetch("/logout?scope=everything", { token: session.access_token, body: "" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "validation_failed", message: 'Unsupported logout scope "everything"' });
  });
});
