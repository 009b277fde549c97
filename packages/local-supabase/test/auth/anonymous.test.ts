// Anonymous sign-in (POST /signup without email or phone) and turning an anonymous user into an email user.
import { describe, expect, it } from "vitest";
import { client, credentials, jwtPayload } from "./helpers.ts";

describe("auth: anonymous sign-in", () => {
  it("returns a session for an anonymous user", async () => {
    const { data, error } = await client().auth.signInAnonymously();
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    expect(data.user).toMatchObject({
      is_anonymous: true,
      email: "",
      phone: "",
      app_metadata: {},
      identities: [],
      role: "authenticated",
    });
  });

  it("marks the token anonymous with amr method anonymous", async () => {
    const { data } = await client().auth.signInAnonymously();
    const claims = jwtPayload(data.session!.access_token);
    expect(claims.is_anonymous).toBe(true);
    expect(claims.role).toBe("authenticated");
    expect((claims.amr as Array<{ method: string }>)[0]?.method).toBe("anonymous");
  });

  it("stores the sign-in data as user_metadata", async () => {
    const { data } = await client().auth.signInAnonymously({ options: { data: { nick: "anon" } } });
    expect(data.user?.user_metadata).toEqual({ nick: "anon" });
  });

  it("becomes an email user when an email is set", async () => {
    const c = client();
    await c.auth.signInAnonymously();
    const { email } = credentials();
    const { data, error } = await c.auth.updateUser({ email });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email, is_anonymous: false });
    expect(data.user?.email_confirmed_at).toBeTruthy();
    expect(data.user?.identities?.[0]?.provider).toBe("email");
  });

  it("refuses a password without an email: 422 validation_failed", async () => {
    const c = client();
    await c.auth.signInAnonymously();
    const { error } = await c.auth.updateUser({ password: "long-enough-1" });
    expect(error).toMatchObject({
      status: 422,
      code: "validation_failed",
      message: "Updating password of an anonymous user without an email or phone is not allowed",
    });
  });
});
