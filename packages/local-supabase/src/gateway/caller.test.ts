// Key translation as the CLI's Kong does it, for HTTP requests and WebSocket upgrades, and the caller a token names.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { anonymousCaller, callerOf, translateKey, upgradeToken, upstreamAuthorization } from "./caller.ts";
import type { Claims } from "./jwt.ts";

const keys = {
  publishableKey: "sb_publishable_ABC",
  secretKey: "sb_secret_XYZ",
  anonKey: "anon.jwt.token",
  serviceRoleKey: "service.jwt.token",
};

describe("translateKey", () => {
  it("turns the publishable and secret keys into the anon and service_role JWTs, and leaves others", () => {
    expect(translateKey("sb_publishable_ABC", keys)).toBe("anon.jwt.token");
    expect(translateKey("sb_secret_XYZ", keys)).toBe("service.jwt.token");
    expect(translateKey("some.other.jwt", keys)).toBe("some.other.jwt");
  });
});

describe("upstreamAuthorization", () => {
  it("keeps an Authorization that is not an sb_ key", () => {
    expect(upstreamAuthorization("sb_secret_XYZ", "Bearer user.jwt.token", keys)).toBe("Bearer user.jwt.token");
  });

  it("replaces an sb_ bearer with the apikey's JWT", () => {
    expect(upstreamAuthorization("sb_secret_XYZ", "Bearer sb_secret_XYZ", keys)).toBe("Bearer service.jwt.token");
    expect(upstreamAuthorization("sb_publishable_ABC", undefined, keys)).toBe("Bearer anon.jwt.token");
  });

  it("passes a legacy JWT apikey through unprefixed, and sends nothing without a key", () => {
    expect(upstreamAuthorization("anon.jwt.token", null, keys)).toBe("anon.jwt.token");
    expect(upstreamAuthorization(null, null, keys)).toBeUndefined();
    expect(upstreamAuthorization(null, "Bearer sb_publishable_ABC", keys)).toBeUndefined();
  });
});

describe("upgradeToken", () => {
  const upgrade = (url: string, headers: Record<string, string> = {}) =>
    upgradeToken({ url, headers } as unknown as IncomingMessage, keys);

  it("reads x-api-key, else ?apikey=, translated", () => {
    expect(upgrade("/realtime/v1/websocket?apikey=sb_publishable_ABC&vsn=2.0.0")).toBe("anon.jwt.token");
    expect(upgrade("/realtime/v1/websocket?apikey=ignored", { "x-api-key": "sb_secret_XYZ" })).toBe(
      "service.jwt.token",
    );
    expect(upgrade("/realtime/v1/websocket?apikey=user.jwt.token")).toBe("user.jwt.token");
  });

  it("is undefined without a key", () => {
    expect(upgrade("/realtime/v1/websocket")).toBeUndefined();
    expect(upgrade("/realtime/v1/websocket?apikey=")).toBeUndefined();
  });
});

describe("callerOf", () => {
  it("reads role and sub, falling back to the anonymous role", () => {
    expect(callerOf("t", { role: "authenticated", sub: "u1", exp: 1 }, "anon")).toEqual({
      role: "authenticated",
      sub: "u1",
      claims: { role: "authenticated", sub: "u1", exp: 1 },
      token: "t",
    });
    // A sub that is not a string (never one GoTrue signs) names no user.
    expect(callerOf("t", { sub: 5 } as Record<string, unknown> as Claims, "anon")).toEqual({
      role: "anon",
      claims: { sub: 5 },
      token: "t",
    });
    expect(anonymousCaller("anon")).toEqual({ role: "anon", claims: { role: "anon" }, token: "" });
  });
});
