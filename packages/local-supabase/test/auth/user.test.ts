// GET/PUT /user through the official client, and the JWT refusals of user endpoints.
import { describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { stackEnv } from "../support/env.ts";
import { authFetch, client, credentials, jwtPayload, signedUp } from "./helpers.ts";

const sign = (claims: Record<string, unknown>, secret: string) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));

describe("auth: the user endpoint", () => {
  it("returns the signed-in user", async () => {
    const { client: c, user } = await signedUp();
    const { data, error } = await c.auth.getUser();
    expect(error).toBeNull();
    expect(data.user?.id).toBe(user.id);
    expect(data.user?.identities?.[0]?.provider).toBe("email");
  });

  it("merges user_metadata on update, a null value deleting the key", async () => {
    const { client: c } = await signedUp({ keep: 1, drop: 2 });
    const { data, error } = await c.auth.updateUser({ data: { added: "x", drop: null } });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toEqual({ keep: 1, added: "x", email_verified: true });
  });

  it("changes the password: the new one signs in, the old one no longer does", async () => {
    const { client: c, email, password } = await signedUp();
    const next = `${password}-new`;
    expect((await c.auth.updateUser({ password: next })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password: next })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password })).error).toMatchObject({
      code: "invalid_credentials",
    });
  });

  it("signs out the user's other sessions when the password changes", async () => {
    const { client: c, email, password } = await signedUp();
    const other = await client().auth.signInWithPassword({ email, password });
    await c.auth.updateUser({ password: `${password}-2` });
    const refresh = await client().auth.refreshSession({ refresh_token: other.data.session!.refresh_token });
    expect(refresh.error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });

  it("refuses the same password: 422 same_password", async () => {
    const { client: c, password } = await signedUp();
    const { error } = await c.auth.updateUser({ password });
    expect(error).toMatchObject({
      status: 422,
      code: "same_password",
      message: "New password should be different from the old password.",
    });
  });

  it("refuses a weak new password: 422 weak_password", async () => {
    const { client: c } = await signedUp();
    const { error } = await c.auth.updateUser({ password: "123" });
    expect(error).toMatchObject({ status: 422, code: "weak_password" });
  });

  it("keeps an email change pending as new_email (confirmation by mail, as GoTrue)", async () => {
    const { client: c, email } = await signedUp();
    const next = credentials().email;
    const { data, error } = await c.auth.updateUser({ email: next });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.new_email).toBe(next);
    expect(data.user?.email_change_sent_at).toBeTruthy();
  });

  it("refuses an email that another user has: 422 email_exists", async () => {
    const { email: taken } = await signedUp();
    const { client: c } = await signedUp();
    const { error } = await c.auth.updateUser({ email: taken });
    expect(error).toMatchObject({ status: 422, code: "email_exists" });
  });

  it("refuses app_metadata from the user: 403 not_admin", async () => {
    const { session } = await signedUp();
    const res = await authFetch("/user", {
      method: "PUT",
      token: session.access_token,
      body: { app_metadata: { role: "admin" } },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: "not_admin", message: "Updating app_metadata requires admin privileges" });
  });

  it("refuses a request without a bearer token: 401 no_authorization", async () => {
    const res = await fetch(`${stackEnv.url}/auth/v1/user`, { headers: { "x-supabase-api-version": "2024-01-01" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      code: "no_authorization",
      message: "This endpoint requires a valid Bearer token",
    });
  });

  it("refuses a JWT signed with another secret: 403 bad_jwt", async () => {
    const { session } = await signedUp();
    const forged = await sign(jwtPayload(session.access_token), "not-the-project-secret-not-the-project-secret");
    const { data, error } = await client().auth.getUser(forged);
    expect(data.user).toBeNull();
    expect(error).toMatchObject({
      status: 403,
      code: "bad_jwt",
      message: "invalid JWT: unable to parse or verify signature, token signature is invalid: signature is invalid",
    });
  });

  it("refuses an expired JWT: 403 bad_jwt", async () => {
    const { session } = await signedUp();
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign(
      { ...jwtPayload(session.access_token), iat: now - 7200, exp: now - 3600 },
      stackEnv.jwtSecret,
    );
    const { error } = await client().auth.getUser(expired);
    expect(error).toMatchObject({
      status: 403,
      code: "bad_jwt",
      message: "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired",
    });
  });

  it("refuses a token that is not a JWT: 403 bad_jwt (malformed)", async () => {
    const res = await authFetch("/user", { token: "not-a-jwt" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      code: "bad_jwt",
      message:
        "invalid JWT: unable to parse or verify signature, token is malformed: token contains an invalid number of segments",
    });
  });

  it("refuses the anon key as a user token: 403 bad_jwt (no sub)", async () => {
    const res = await authFetch("/user");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: "bad_jwt", message: "invalid claim: missing sub claim" });
  });

  it("refuses the token of a deleted user: 403 user_not_found", async () => {
    const { session, user } = await signedUp();
    await client(stackEnv.serviceRoleKey).auth.admin.deleteUser(user.id);
    const res = await authFetch("/user", { token: session.access_token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: "user_not_found", message: "User from sub claim in JWT does not exist" });
  });
});
