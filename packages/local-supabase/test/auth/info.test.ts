// GET /health, GET /settings, and how endpoints outside the local stack's scope answer.
import { describe, expect, it } from "vitest";
import { authFetch, client, credentials } from "./helpers.ts";

describe("auth: health, settings and unsupported endpoints", () => {
  it("answers /health as GoTrue", async () => {
    const res = await authFetch("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name: "GoTrue",
      description: "GoTrue is a user registration and authentication API",
    });
  });

  it("reports the sign-in methods in /settings", async () => {
    const res = await authFetch("/settings");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      external: { email: true, phone: false, anonymous_users: true, github: false },
      disable_signup: false,
      mailer_autoconfirm: true,
    });
  });

  it("answers an unknown path 404", async () => {
    const res = await authFetch("/no-such-endpoint");
    expect(res.status).toBe(404);
  });
});

describe("auth: endpoints outside the local stack", () => {
  it("answers one-time-password sign-in with 404 feature_disabled through the client", async () => {
    const { error } = await client().auth.signInWithOtp({ email: credentials().email });
    expect(error).toMatchObject({ status: 404, code: "feature_disabled" });
  });
});

describe("auth: methods", () => {
  it("answers a known path with another method 405", async () => {
    const res = await authFetch("/signup");
    expect(res.status).toBe(405);
  });
});
