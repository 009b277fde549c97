// Unit tests for LiveKit configuration: explicit values, dev defaults only under PARLEY_LOCAL, 503 material otherwise (kong included).
import assert from "node:assert/strict";
import { isLiveKitConfig, readLiveKitConfig } from "./livekit-config.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("config: all three variables win, and the ws/http URLs are derived from LIVEKIT_URL", () => {
  const c = readLiveKitConfig(envOf({ LIVEKIT_URL: "wss://demo.livekit.cloud", LIVEKIT_API_KEY: "k", LIVEKIT_API_SECRET: "s", SUPABASE_URL: "https://p.supabase.co" }));
  assert.ok(isLiveKitConfig(c));
  assert.equal(c.wsUrl, "wss://demo.livekit.cloud");
  assert.equal(c.apiUrl, "https://demo.livekit.cloud");
  assert.equal(c.devDefaults, false);
});

Deno.test("config: nothing set on the local stack (PARLEY_LOCAL, which the stack sets) → livekit-server --dev defaults", () => {
  for (const flag of ["1", "true", "TRUE"]) {
    const c = readLiveKitConfig(envOf({ PARLEY_LOCAL: flag, SUPABASE_URL: "http://127.0.0.1:54321" }));
    assert.ok(isLiveKitConfig(c), `local for PARLEY_LOCAL=${flag}`);
    assert.equal(c.wsUrl, "ws://127.0.0.1:7880");
    assert.equal(c.apiKey, "devkey");
    assert.equal(c.apiSecret, "secret");
    assert.equal(c.devDefaults, true);
  }
});

Deno.test("config: a host name proves nothing — kong (self-hosted), localhost, no SUPABASE_URL, PARLEY_LOCAL=0 → missing, never devkey", () => {
  const cases: Record<string, string>[] = [
    { SUPABASE_URL: "http://kong:8000" }, // a self-hosted Supabase's functions reach the API here
    { SUPABASE_URL: "http://127.0.0.1:54321" },
    { SUPABASE_URL: "http://localhost:1" },
    { SUPABASE_URL: "http://host.docker.internal:54321" },
    {},
    { SUPABASE_URL: "http://kong:8000", PARLEY_LOCAL: "0" },
    { SUPABASE_URL: "http://kong:8000", PARLEY_LOCAL: "" },
  ];
  for (const vars of cases) {
    const c = readLiveKitConfig(envOf(vars));
    assert.ok(!isLiveKitConfig(c), `not local for ${JSON.stringify(vars)}`);
    assert.deepEqual(c.missing, ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]);
  }
});

Deno.test("config: PARLEY_LOCAL never fills in a partial configuration", () => {
  const c = readLiveKitConfig(envOf({ PARLEY_LOCAL: "1", LIVEKIT_URL: "wss://lk.example.test" }));
  assert.ok(!isLiveKitConfig(c));
  assert.deepEqual(c.missing, ["LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]);
});

Deno.test("config: deployed without variables, or with only some, lists what is missing", () => {
  const deployed = readLiveKitConfig(envOf({ SUPABASE_URL: "https://p.supabase.co" }));
  assert.ok(!isLiveKitConfig(deployed));
  assert.deepEqual(deployed.missing, ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]);
  const partial = readLiveKitConfig(envOf({ LIVEKIT_API_KEY: "k" }));
  assert.ok(!isLiveKitConfig(partial));
  assert.deepEqual(partial.missing, ["LIVEKIT_URL", "LIVEKIT_API_SECRET"]);
});

Deno.test("config: a LIVEKIT_URL without a scheme is refused", () => {
  const c = readLiveKitConfig(envOf({ LIVEKIT_URL: "demo.livekit.cloud", LIVEKIT_API_KEY: "k", LIVEKIT_API_SECRET: "s" }));
  assert.ok(!isLiveKitConfig(c));
});
