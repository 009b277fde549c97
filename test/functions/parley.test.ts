// Parley's own functions behind the test stack's /functions/v1: the runtime's verify_jwt gate as
// supabase/config.toml sets it (call-token checked, livekit-webhook not), and the runtime's 404.
import { randomUUID } from "node:crypto";
import { FunctionsHttpError } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import { signJwt } from "../../stack/gateway/jwt.ts";
import { makeClient, newUser } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";

const fn = (name: string) => `${stackEnv.url}/functions/v1/${name}`;
const now = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}, secret = stackEnv.jwtSecret) =>
  signJwt({ sub: randomUUID(), role: "authenticated", aud: "authenticated", exp: now() + 600, ...claims }, secret);
const callToken = (headers: Record<string, string>, body: unknown = { callId: 42 }) =>
  fetch(fn("call-token"), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("call-token (verify_jwt = true)", () => {
  it("is refused by the runtime without a JWT", async () => {
    const res = await callToken({});
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "Error: Missing authorization header" });
  });

  it("is refused by the runtime with a forged or an expired JWT", async () => {
    const forged = await token({}, "not-the-project-secret-but-long-enough-000");
    const expired = await token({ exp: now() - 30 });
    for (const jwt of [forged, expired]) {
      const res = await callToken({ Authorization: `Bearer ${jwt}` });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ msg: "Invalid JWT" });
    }
  });

  it("reaches the function with a valid JWT (which then judges the body itself)", async () => {
    const res = await callToken({ Authorization: `Bearer ${await token()}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_body");
  });

  it("answers supabase.functions.invoke with the function's own error as FunctionsHttpError", async () => {
    const { data, error } = await makeClient().functions.invoke("call-token", { body: { callId: "not-a-uuid" } });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_body");
  });
});

describe("call-token with a signed-in user", () => {
  it("passes the user's session through functions.invoke; the function answers for that user", async () => {
    const user = await newUser();
    const { data, error } = await user.client.functions.invoke("call-token", { body: { callId: randomUUID() } });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("call_not_found");
  });
});

describe("livekit-webhook (verify_jwt = false)", () => {
  it("reaches the function without any Supabase key, which checks LiveKit's signature itself", async () => {
    const res = await fetch(fn("livekit-webhook"), { method: "POST", headers: { "content-type": "application/webhook+json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
  });
});

describe("routing", () => {
  it("answers an unknown function with the runtime's 404", async () => {
    const res = await fetch(fn("no-such-function"), { headers: { apikey: stackEnv.anonKey, Authorization: `Bearer ${stackEnv.anonKey}` } });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("Function not found");
  });
});
