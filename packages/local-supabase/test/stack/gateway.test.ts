// The gateway answers like `supabase start`'s: the same default keys, Kong's CORS and unknown-route replies.
import { describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { stackEnv } from "../support/env.ts";

// The anon and service_role keys every `supabase start` prints with the default JWT secret.
const CLI_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
const CLI_SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

describe("local gateway", () => {
  it("uses the keys supabase start prints, so apps configured for it work unchanged", () => {
    expect(stackEnv.anonKey).toBe(CLI_ANON_KEY);
    expect(stackEnv.serviceRoleKey).toBe(CLI_SERVICE_ROLE_KEY);
    expect(decodeJwt(stackEnv.anonKey).role).toBe("anon");
    expect(stackEnv.publishableKey).toMatch(/^sb_publishable_/);
    expect(stackEnv.secretKey).toMatch(/^sb_secret_/);
  });

  it("answers a browser's CORS preflight for every service path", async () => {
    for (const path of [
      "/rest/v1/messages",
      "/auth/v1/token",
      "/storage/v1/object/list/attachments",
      "/functions/v1/call-token",
    ]) {
      const res = await fetch(`${stackEnv.url}${path}`, {
        method: "OPTIONS",
        headers: {
          origin: "http://localhost:3000",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,apikey,content-type",
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      expect(res.headers.get("access-control-allow-headers")).toBe("authorization,apikey,content-type");
    }
  });

  it("answers an unknown path as Kong does", async () => {
    const res = await fetch(`${stackEnv.url}/nope/v1/x`, { headers: { apikey: stackEnv.anonKey } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "no Route matched with those values" });
  });
});
