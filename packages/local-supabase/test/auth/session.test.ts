// Client-side session calls that lean on the server: getSession, setSession, getClaims.
import { describe, expect, it } from "vitest";
import { client, signedUp } from "./helpers.ts";

describe("auth: client session calls", () => {
  it("keeps the signed-up session in the client (getSession)", async () => {
    const { client: c, session } = await signedUp();
    const { data } = await c.auth.getSession();
    expect(data.session?.access_token).toBe(session.access_token);
  });

  it("adopts a session from its tokens (setSession)", async () => {
    const { session, user } = await signedUp();
    const c = client();
    const { data, error } = await c.auth.setSession({
      access_token: session.access_token,
      refresh_token: session.refresh_token,
    });
    expect(error).toBeNull();
    expect(data.user?.id).toBe(user.id);
  });

  it("verifies HS256 claims through /user (getClaims)", async () => {
    const { client: c, user } = await signedUp();
    const { data, error } = await c.auth.getClaims();
    expect(error).toBeNull();
    expect(data?.claims.sub).toBe(user.id);
    expect(data?.header.alg).toBe("HS256");
  });

  it("refuses getClaims for a token whose session was signed out", async () => {
    const { client: c, session } = await signedUp();
    await c.auth.signOut();
    const { error } = await client().auth.getClaims(session.access_token);
    expect(error?.name).toBe("AuthSessionMissingError");
  });
});
