// Realtime transport: connect with apikey and vsn, heartbeat, join/leave, and the auth refusals the client sees.
import { createClient } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { stackEnv } from "../support/env.ts";
import { client, joined, newRtUser, subscribe, tokenFor, topic } from "./support.ts";

describe("realtime transport", () => {
  it("joins a public channel with the anon key (vsn 2.0.0)", async () => {
    const c = await client();
    const ch = c.channel(topic());
    expect((await subscribe(ch)).status).toBe("SUBSCRIBED");
  });

  it("joins a public channel on protocol 1.0.0", async () => {
    const c = await client({ vsn: "1.0.0" });
    expect((await subscribe(c.channel(topic()))).status).toBe("SUBSCRIBED");
  });

  it("accepts the publishable key as apikey", async () => {
    const c = await client({ key: stackEnv.publishableKey });
    expect((await subscribe(c.channel(topic()))).status).toBe("SUBSCRIBED");
  });

  it("answers heartbeats", async () => {
    const statuses: string[] = [];
    const c = createClient(stackEnv.url, stackEnv.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: {
        transport: WebSocket as unknown as typeof globalThis.WebSocket,
        heartbeatIntervalMs: 1000,
        heartbeatCallback: (status: string) => statuses.push(status),
      },
    });
    try {
      await joined(c.channel(topic()));
      await expect.poll(() => statuses.filter((s) => s === "ok").length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    } finally {
      await c.removeAllChannels();
      c.realtime.disconnect();
    }
  });

  it("refuses a socket whose apikey is not a valid JWT: channels report a transport failure", async () => {
    const c = await client({ key: "BAD" });
    const out = await subscribe(c.channel(topic()));
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toMatch(/transport failure|socket closed/);
  });

  it("refuses a join whose access token has expired, with Realtime's reason", async () => {
    const user = await newRtUser();
    const c = await client({ token: await tokenFor(user.id, -30) });
    const out = await subscribe(c.channel(topic()));
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
  });

  it("refuses a join whose access token is malformed", async () => {
    const c = await client({ token: "not-a-jwt" });
    const out = await subscribe(c.channel(topic()));
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe("MalformedJWT: The token provided is not a valid JWT");
  });

  it("refuses a join whose token is signed with another secret", async () => {
    const { SignJWT } = await import("jose");
    const forged = await new SignJWT({ role: "authenticated", sub: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-secret-another-secret-another-secret"));
    const c = await client({ token: forged });
    const out = await subscribe(c.channel(topic()));
    expect(out.error?.message).toBe("JwtSignatureError: Failed to validate JWT signature");
  });

  it("refuses a join whose token lacks the role claim", async () => {
    const { SignJWT } = await import("jose");
    const noRole = await new SignJWT({ sub: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(stackEnv.jwtSecret));
    const c = await client({ token: noRole });
    const out = await subscribe(c.channel(topic()));
    expect(out.error?.message).toBe("InvalidJWTToken: Fields `role` and `exp` are required in JWT");
  });

  it("refuses the 101st channel on one socket", async () => {
    const c = await client();
    for (let i = 0; i < 100; i++) await joined(c.channel(topic()));
    const out = await subscribe(c.channel(topic()));
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe("ChannelRateLimitReached: Too many channels");
  });

  it("refuses an empty topic", async () => {
    const c = await client();
    const out = await subscribe(c.channel(""));
    expect(out.status).toBe("CHANNEL_ERROR");
    expect(out.error?.message).toBe("TopicNameRequired: You must provide a topic name");
  });

  it("leaves a channel: unsubscribe resolves ok", async () => {
    const c = await client();
    const ch = await joined(c.channel(topic()));
    expect(await ch.unsubscribe()).toBe("ok");
    expect(c.getChannels()).toHaveLength(0);
  });

  it("closes a channel when its access token expires while joined", async () => {
    const user = await newRtUser();
    const c = await client({ token: await tokenFor(user.id, 4) });
    const ch = c.channel(topic());
    const system: Array<Record<string, unknown>> = [];
    ch.on("system", {}, (p: Record<string, unknown>) => system.push(p));
    const statuses: string[] = [];
    await new Promise<void>((resolve) => ch.subscribe((s) => (statuses.push(s), s === "SUBSCRIBED" && resolve())));
    await expect.poll(() => statuses, { timeout: 15_000 }).toContain("CLOSED");
    expect(system[0]).toMatchObject({ extension: "system", status: "error" });
    expect(String(system[0]?.message)).toMatch(/^Token has expired \d+ seconds ago$/);
  });

  it("keeps a channel alive when a fresh token replaces an expiring one", async () => {
    const user = await newRtUser();
    const c = await client({ token: await tokenFor(user.id, 5) });
    const ch = c.channel(topic());
    const statuses: string[] = [];
    await new Promise<void>((resolve) => ch.subscribe((s) => (statuses.push(s), s === "SUBSCRIBED" && resolve())));
    await c.realtime.setAuth(await tokenFor(user.id, 3600));
    await new Promise((r) => setTimeout(r, 6500)); // past the first token's expiry
    expect(statuses).toEqual(["SUBSCRIBED"]);
  });
});
