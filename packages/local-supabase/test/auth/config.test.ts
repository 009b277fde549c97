// Settings-driven refusals, driven in-process: signup and anonymous sign-in switched off refuse before any database work.
import { describe, expect, it } from "vitest";
import type pg from "pg";
import { loadConfig } from "../../src/config.ts";
import { TEST_PROJECT } from "../support/project.ts";
import { createAuthService } from "../../src/gateway/auth/index.ts";

/** A pool that fails the test if the service touches the database. */
const noDb = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error("database touched");
    },
  },
) as unknown as pg.Pool;

function service(auth: { enableSignup: boolean; enableAnonymousSignIns: boolean }) {
  const config = loadConfig({ workdir: TEST_PROJECT });
  return createAuthService({ config: { ...config, auth: { ...config.auth, ...auth } }, db: noDb, log: () => {} });
}

const post = (body: unknown) =>
  new Request("http://local/auth/v1/signup", {
    method: "POST",
    headers: { "content-type": "application/json", "x-supabase-api-version": "2024-01-01" },
    body: JSON.stringify(body),
  });

describe("auth: configuration switches", () => {
  it("refuses anonymous sign-in when enable_anonymous_sign_ins is off: 422 anonymous_provider_disabled", async () => {
    const res = await service({ enableSignup: true, enableAnonymousSignIns: false }).fetch(
      post({ data: {} }),
      "/signup",
    );
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      code: "anonymous_provider_disabled",
      message: "Anonymous sign-ins are disabled",
    });
  });

  it("refuses sign-up when enable_signup is off: 422 signup_disabled", async () => {
    const res = await service({ enableSignup: false, enableAnonymousSignIns: false }).fetch(
      post({ email: "a@b.test", password: "long-enough" }),
      "/signup",
    );
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ code: "signup_disabled", message: "Signups not allowed for this instance" });
  });
});
