// POST /token?grant_type=password through the official client.
import { describe, expect, it } from "vitest";
import { authFetch, client, credentials, jwtPayload, signedUp } from "./helpers.ts";

describe("auth: password sign-in", () => {
  it("signs in with the right password and gets a new session", async () => {
    const { email, password, session: first } = await signedUp();
    const { data, error } = await client().auth.signInWithPassword({ email, password });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    expect(data.user?.email).toBe(email);
    expect(data.user?.last_sign_in_at).toBeTruthy();
    expect(jwtPayload(data.session!.access_token).session_id).not.toBe(jwtPayload(first.access_token).session_id);
  });

  it("matches the email case-insensitively", async () => {
    const { email, password } = await signedUp();
    const { error } = await client().auth.signInWithPassword({ email: email.toUpperCase(), password });
    expect(error).toBeNull();
  });

  it("refuses a wrong password: 400 invalid_credentials", async () => {
    const { email } = await signedUp();
    const { data, error } = await client().auth.signInWithPassword({ email, password: "wrong-password-1" });
    expect(data.session).toBeNull();
    expect(error).toMatchObject({ status: 400, code: "invalid_credentials", message: "Invalid login credentials" });
  });

  it("refuses an unknown email the same way", async () => {
    const { error } = await client().auth.signInWithPassword(credentials());
    expect(error).toMatchObject({ status: 400, code: "invalid_credentials", message: "Invalid login credentials" });
  });

  it("refuses a request without email or phone: 400 validation_failed", async () => {
    const res = await authFetch("/token?grant_type=password", { body: { password: "x" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "validation_failed", message: "missing email or phone" });
  });

  it("refuses an unknown grant type", async () => {
    const res = await authFetch("/token?grant_type=nope", { body: {} });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "invalid_credentials", message: "unsupported_grant_type" });
  });
});
