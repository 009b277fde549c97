// POST /signup through the official client: sessions, stored rows, and the refusals GoTrue gives.
import { describe, expect, it } from "vitest";
import pg from "pg";
import { stackEnv } from "../support/env.ts";
import { installFixture } from "../support/fixture-sql.ts";
import { authFetch, client, credentials, jwtPayload, signedUp } from "./helpers.ts";

describe("auth: sign-up", () => {
  it("returns a session for a new email user (email confirmation off)", async () => {
    const c = client();
    const creds = credentials();
    const { data, error } = await c.auth.signUp(creds);
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    expect(data.session?.refresh_token).toBeTruthy();
    expect(data.session?.token_type).toBe("bearer");
    expect(data.user?.email).toBe(creds.email);
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect(data.user?.role).toBe("authenticated");
    expect(data.user?.aud).toBe("authenticated");
  });

  it("stores the sign-up data as user_metadata", async () => {
    const { user } = await signedUp({ username: "meta_user", display_name: "Meta" });
    expect(user.user_metadata).toMatchObject({ username: "meta_user", display_name: "Meta", email_verified: true });
  });

  it("records the email provider in app_metadata and one email identity", async () => {
    const { user } = await signedUp();
    expect(user.app_metadata).toEqual({ provider: "email", providers: ["email"] });
    expect(user.identities).toHaveLength(1);
    expect(user.identities?.[0]).toMatchObject({ provider: "email", id: user.id, user_id: user.id });
    expect(user.identities?.[0]?.identity_data).toMatchObject({ sub: user.id, email: user.email });
  });

  it("lower-cases the email", async () => {
    const c = client();
    const creds = credentials();
    const { data } = await c.auth.signUp({ email: creds.email.toUpperCase(), password: creds.password });
    expect(data.user?.email).toBe(creds.email.toLowerCase());
  });

  it("stores a bcrypt hash, never the password", async () => {
    const { user, password } = await signedUp();
    const db = new pg.Client({ connectionString: stackEnv.dbUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ encrypted_password: string }>(
        `select encrypted_password from auth.users where id = $1`,
        [user.id],
      );
      expect(rows[0]?.encrypted_password).toMatch(/^\$2[aby]\$10\$/);
      expect(rows[0]?.encrypted_password).not.toContain(password);
    } finally {
      await db.end();
    }
  });

  it("fires the project's triggers on auth.users, with the sign-up's user metadata", async () => {
    const db = new pg.Pool({ connectionString: stackEnv.dbUrl, max: 1 });
    try {
      // A trigger as a project's profile trigger is written (Supabase's user-management starter), made once.
      await installFixture(
        db,
        "au_test_fixture",
        `create schema if not exists au_test;
        comment on schema au_test is 'Auth tests only: what a trigger on auth.users saw.';
        create table if not exists au_test.signups (user_id uuid primary key, username text);
        comment on table au_test.signups is 'Auth tests only: one row per user the trigger saw.';
        create or replace function au_test.on_signup() returns trigger language plpgsql security definer set search_path = '' as $f$
          begin insert into au_test.signups values (new.id, new.raw_user_meta_data ->> 'username'); return new; end $f$;
        create or replace trigger au_test_on_signup after insert on auth.users for each row execute function au_test.on_signup();`,
      );
      const username = `p_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
      const { user } = await signedUp({ username });
      const { rows } = await db.query(`select username from au_test.signups where user_id = $1`, [user.id]);
      expect(rows).toEqual([{ username }]);
    } finally {
      await db.end();
    }
  });

  it("issues an access token with GoTrue's claims", async () => {
    const { session, user } = await signedUp();
    const claims = jwtPayload(session.access_token);
    expect(Object.keys(claims)).toEqual([
      "iss",
      "sub",
      "aud",
      "exp",
      "iat",
      "email",
      "phone",
      "app_metadata",
      "user_metadata",
      "role",
      "aal",
      "amr",
      "session_id",
      "is_anonymous",
    ]);
    expect(claims).toMatchObject({
      iss: `${stackEnv.url}/auth/v1`,
      sub: user.id,
      aud: "authenticated",
      role: "authenticated",
      aal: "aal1",
      email: user.email,
      phone: "",
      is_anonymous: false,
    });
    expect(claims.amr).toEqual([{ method: "password", timestamp: expect.any(Number) }]);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect(session.expires_at).toBe(claims.exp);
  });

  it("refuses a second sign-up with the same email: 422 user_already_exists", async () => {
    const { email, password } = await signedUp();
    const { data, error } = await client().auth.signUp({ email, password });
    expect(data.session).toBeNull();
    expect(error).toMatchObject({ status: 422, code: "user_already_exists", message: "User already registered" });
  });

  it("refuses a short password: 422 weak_password with reasons", async () => {
    const { email } = credentials();
    const { error } = await client().auth.signUp({ email, password: "12345" });
    expect(error).toMatchObject({
      status: 422,
      code: "weak_password",
      message: "Password should be at least 6 characters.",
    });
    expect((error as unknown as { reasons: string[] }).reasons).toEqual(["length"]);
  });

  it("answers weak_password with GoTrue's body", async () => {
    const res = await authFetch("/signup", { body: { ...credentials(), password: "abc" } });
    expect(res.status).toBe(422);
    expect(res.headers.get("x-supabase-api-version")).toBe("2024-01-01");
    expect(await res.json()).toEqual({
      code: "weak_password",
      message: "Password should be at least 6 characters.",
      weak_password: { reasons: ["length"] },
    });
  });

  it("refuses a malformed email: 400 validation_failed", async () => {
    const { error } = await client().auth.signUp({ email: "not-an-email", password: "long-enough-1" });
    expect(error).toMatchObject({
      status: 400,
      code: "validation_failed",
      message: "Unable to validate email address: invalid format",
    });
  });

  it("refuses a sign-up without a password: 400 validation_failed", async () => {
    const res = await authFetch("/signup", { body: { email: credentials().email } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "validation_failed", message: "Signup requires a valid password" });
  });

  it("refuses a password longer than 72 bytes: 400 validation_failed", async () => {
    const res = await authFetch("/signup", { body: { email: credentials().email, password: "x".repeat(73) } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: "validation_failed",
      message: "Password cannot be longer than 72 characters",
    });
  });

  it("refuses both an email and a phone: 400 validation_failed", async () => {
    const res = await authFetch("/signup", {
      body: { email: credentials().email, phone: "15555550100", password: "long-enough-1" },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: "validation_failed",
      message: "Only an email address or phone number should be provided on signup.",
    });
  });

  it("answers weak_password in the legacy shape when no API version is sent", async () => {
    const res = await authFetch("/signup", { body: { ...credentials(), password: "abc" }, apiVersion: null });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      code: 422,
      error_code: "weak_password",
      msg: "Password should be at least 6 characters.",
      weak_password: { reasons: ["length"] },
    });
  });

  it("refuses a body that is not JSON: 400 bad_json", async () => {
    const res = await authFetch("/signup", { body: "{nope" });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe("bad_json");
  });

  it("uses the legacy error body when no API version is sent", async () => {
    const { email, password } = await signedUp();
    const res = await authFetch("/signup", { body: { email, password }, apiVersion: null });
    expect(res.status).toBe(422);
    expect(res.headers.get("x-supabase-api-version")).toBeNull();
    expect(res.headers.get("x-sb-error-code")).toBe("user_already_exists");
    expect(await res.json()).toEqual({ code: 422, error_code: "user_already_exists", msg: "User already registered" });
  });
});
