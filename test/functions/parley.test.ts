// Parley's own functions behind the test stack's /functions/v1, in an HS256 project (Parley's own config):
// call-token and call-end verify the caller themselves (verify_jwt = false), livekit-webhook checks LiveKit's
// signature, and the runtime answers 404 for an unknown function.
import { randomUUID } from "node:crypto";
import { FunctionsHttpError } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import { signJwt } from "@parley/local-supabase";
import { makeClient, newUser } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";

const fn = (name: string) => `${stackEnv.url}/functions/v1/${name}`;
const now = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}, secret = stackEnv.jwtSecret) =>
  signJwt({ sub: randomUUID(), role: "authenticated", aud: "authenticated", exp: now() + 600, ...claims }, secret);
const invoke = (name: string, headers: Record<string, string>, body: unknown) =>
  fetch(fn(name), {
    method: "POST",
    headers: { "content-type": "application/json", apikey: stackEnv.anonKey, ...headers },
    body: JSON.stringify(body),
  });

const BODIES = { "call-token": { callId: randomUUID() }, "call-end": { callId: randomUUID(), scope: "me" } } as const;
type Caller = { error: { code: string; message: string } };

describe.each(["call-token", "call-end"] as const)("%s verifies the caller itself (verify_jwt = false)", (name) => {
  it("answers 401 unauthorized, in its own error shape, without a JWT or with one that is not Bearer", async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { Authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      { Authorization: "Bearer not-a-jwt" },
    ];
    for (const headers of variants) {
      const res = await invoke(name, headers, BODIES[name]);
      expect(res.status).toBe(401);
      expect(((await res.json()) as Caller).error.code).toBe("unauthorized");
    }
  });

  it("answers 401 unauthorized to a forged, an expired, a signed-out user's token and to the anon key", async () => {
    const user = await newUser();
    const forged = await token({ sub: user.id }, "not-the-project-secret-but-long-enough-000");
    const expired = await token({ sub: user.id, exp: now() - 30 });
    const signedOut = await newUser();
    await signedOut.client.auth.signOut(); // the session the token names is gone: Auth refuses it
    for (const jwt of [forged, expired, signedOut.accessToken, stackEnv.anonKey]) {
      const res = await invoke(name, { Authorization: `Bearer ${jwt}` }, BODIES[name]);
      expect(res.status).toBe(401);
      const body = (await res.json()) as Caller;
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toEqual(expect.any(String));
    }
  });

  it("acts for a signed-in user (HS256 token): an unknown call is that user's 404", async () => {
    const user = await newUser();
    const res = await invoke(name, { Authorization: `Bearer ${user.accessToken}` }, BODIES[name]);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Caller).error.code).toBe("call_not_found");
  });
});

describe("call-token through supabase.functions.invoke", () => {
  it("refuses a client with no session (the anon key is not a user) with the function's 401", async () => {
    const { data, error } = await makeClient().functions.invoke("call-token", { body: { callId: randomUUID() } });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(401);
    expect(((await response.json()) as Caller).error.code).toBe("unauthorized");
  });

  it("passes the user's session; the function judges the body, then answers for that user", async () => {
    const user = await newUser();
    const bad = await user.client.functions.invoke("call-token", { body: { callId: "not-a-uuid" } });
    expect(bad.error).toBeInstanceOf(FunctionsHttpError);
    const badResponse = (bad.error as FunctionsHttpError).context as Response;
    expect(badResponse.status).toBe(400);
    expect(((await badResponse.json()) as Caller).error.code).toBe("invalid_body");

    const { data, error } = await user.client.functions.invoke("call-token", { body: { callId: randomUUID() } });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(404);
    expect(((await response.json()) as Caller).error.code).toBe("call_not_found");
  });
});

describe("livekit-webhook (verify_jwt = false)", () => {
  it("reaches the function without any Supabase key, which checks LiveKit's signature itself", async () => {
    const res = await fetch(fn("livekit-webhook"), {
      method: "POST",
      headers: { "content-type": "application/webhook+json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
  });
});

describe("routing", () => {
  it("answers an unknown function with the runtime's 404", async () => {
    const res = await fetch(fn("no-such-function"), {
      headers: { apikey: stackEnv.anonKey, Authorization: `Bearer ${stackEnv.anonKey}` },
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("Function not found");
  });
});
