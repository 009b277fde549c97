// /admin/users through auth.admin with the service_role key; non-admins refused.
import { describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { authFetch, client, credentials, signedUp } from "./helpers.ts";

const admin = () => client(stackEnv.serviceRoleKey).auth.admin;

describe("auth: admin users API", () => {
  it("creates a confirmed user with metadata", async () => {
    const { email, password } = credentials();
    const { data, error } = await admin().createUser({
      email,
      password,
      email_confirm: true,
      user_metadata: { name: "Ada" },
      app_metadata: { plan: "pro" },
    });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({
      email,
      user_metadata: { name: "Ada", email_verified: true },
      app_metadata: { provider: "email", providers: ["email"], plan: "pro" },
    });
    expect(data.user?.email_confirmed_at).toBeTruthy();
  });

  it("lets a user created with email_confirm sign in", async () => {
    const creds = credentials();
    await admin().createUser({ ...creds, email_confirm: true });
    expect((await client().auth.signInWithPassword(creds)).error).toBeNull();
  });

  it("leaves a user created without email_confirm unconfirmed: 400 email_not_confirmed", async () => {
    const creds = credentials();
    await admin().createUser(creds);
    const { error } = await client().auth.signInWithPassword(creds);
    expect(error).toMatchObject({ status: 400, code: "email_not_confirmed", message: "Email not confirmed" });
  });

  it("refuses a duplicate email: 422 email_exists", async () => {
    const { email } = await signedUp();
    const { error } = await admin().createUser({ email, password: "whatever-1" });
    expect(error).toMatchObject({
      status: 422,
      code: "email_exists",
      message: "A user with this email address has already been registered",
    });
  });

  it("refuses a user without email or phone: 400 validation_failed", async () => {
    const { error } = await admin().createUser({ password: "whatever-1" });
    expect(error).toMatchObject({
      status: 400,
      code: "validation_failed",
      message: "Cannot create a user without either an email or phone",
    });
  });

  it("refuses a user id that is not a UUID: 404 validation_failed", async () => {
    const res = await authFetch("/admin/users/not-a-uuid", { key: stackEnv.serviceRoleKey });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: "validation_failed", message: "user_id must be an UUID" });
  });

  it("gets a user by id", async () => {
    const { user } = await signedUp();
    const { data, error } = await admin().getUserById(user.id);
    expect(error).toBeNull();
    expect(data.user?.email).toBe(user.email);
  });

  it("answers 404 user_not_found for an unknown id", async () => {
    const { error } = await admin().getUserById("7d1b8c1e-0000-4000-8000-000000000000");
    expect(error).toMatchObject({ status: 404, code: "user_not_found", message: "User not found" });
  });

  it("updates metadata by id, null deleting a key", async () => {
    const { user } = await signedUp({ a: 1 });
    const { data, error } = await admin().updateUserById(user.id, {
      user_metadata: { a: null, b: 2 },
      app_metadata: { tier: "gold" },
    });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toEqual({ b: 2, email_verified: true });
    expect(data.user?.app_metadata).toMatchObject({ provider: "email", tier: "gold" });
  });

  it("bans a user: password sign-in is refused with user_banned", async () => {
    const { user, email, password } = await signedUp();
    await admin().updateUserById(user.id, { ban_duration: "24h" });
    const { error } = await client().auth.signInWithPassword({ email, password });
    expect(error).toMatchObject({ status: 400, code: "user_banned" });
  });

  it("bans a user: their existing access token is refused on /user with 403 user_banned", async () => {
    const { user, session } = await signedUp();
    await admin().updateUserById(user.id, { ban_duration: "1h" });
    const res = await authFetch("/user", { token: session.access_token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: "user_banned", message: "User is banned" });
  });

  it("lifts a ban with ban_duration none", async () => {
    const { user, email, password } = await signedUp();
    await admin().updateUserById(user.id, { ban_duration: "1h" });
    await admin().updateUserById(user.id, { ban_duration: "none" });
    expect((await client().auth.signInWithPassword({ email, password })).error).toBeNull();
  });

  it("deletes a user: the id is gone and the profile with it", async () => {
    const { user } = await signedUp();
    const { error } = await admin().deleteUser(user.id);
    expect(error).toBeNull();
    expect((await admin().getUserById(user.id)).error).toMatchObject({ status: 404 });
  });

  it("soft-deletes a user: the row stays with deleted_at and no usable email", async () => {
    const { user, email, password } = await signedUp();
    await admin().deleteUser(user.id, true);
    const { data } = await admin().getUserById(user.id);
    expect(data.user?.deleted_at).toBeTruthy();
    expect(data.user?.email).not.toBe(email);
    expect((await client().auth.signInWithPassword({ email, password })).error).toMatchObject({
      code: "invalid_credentials",
    });
  });

  it("lists users a page at a time with total and last page", async () => {
    await Promise.all([signedUp(), signedUp(), signedUp()]);
    const { data, error } = await admin().listUsers({ page: 1, perPage: 2 });
    expect(error).toBeNull();
    if (!("total" in data)) throw new Error("listUsers returned no pagination");
    expect(data.users).toHaveLength(2);
    expect(data.total).toBeGreaterThanOrEqual(3);
    expect(data.nextPage).toBe(2);
    // auth-js reads only the first digit of each Link page number (a client quirk real GoTrue shares).
    expect(data.lastPage).toBe(Number(String(Math.ceil(data.total / 2))[0]));
  });

  it("sends GoTrue's Link and X-Total-Count headers", async () => {
    await signedUp();
    await signedUp();
    const res = await authFetch("/admin/users?page=1&per_page=1", { key: stackEnv.serviceRoleKey });
    expect(res.status).toBe(200);
    const total = Number(res.headers.get("x-total-count"));
    expect(total).toBeGreaterThanOrEqual(2);
    expect(res.headers.get("link")).toBe(
      `</admin/users?page=2&per_page=1>; rel="next", </admin/users?page=${total}&per_page=1>; rel="last"`,
    );
    expect((await res.json()).aud).toBe("authenticated");
  });

  it("accepts the sb_secret_ key (translated to service_role by the gateway)", async () => {
    const { error } = await client(stackEnv.secretKey).auth.admin.listUsers({ page: 1, perPage: 1 });
    expect(error).toBeNull();
  });

  it("refuses the anon key: 403 not_admin", async () => {
    const { error } = await client().auth.admin.listUsers();
    expect(error).toMatchObject({ status: 403, code: "not_admin", message: "User not allowed" });
  });

  it("refuses a signed-in user's token: 403 not_admin", async () => {
    const { session } = await signedUp();
    const res = await authFetch("/admin/users", { token: session.access_token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: "not_admin", message: "User not allowed" });
  });
});

describe("auth: admin MFA listing", () => {
  it("lists no factors for a user (MFA is not offered locally)", async () => {
    const { user } = await signedUp();
    const { data, error } = await admin().mfa.listFactors({ userId: user.id });
    expect(error).toBeNull();
    expect(data?.factors).toEqual([]);
  });
});
