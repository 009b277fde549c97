// Unit tests for LiveKit configuration: explicit values, dev defaults locally, 503 material when deployed without them.
import assert from "node:assert/strict";
import { isLiveKitConfig, readLiveKitConfig } from "./livekit-config.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("config: all three variables win, and the ws/http URLs are derived from LIVEKIT_URL", () => {
  const c = readLiveKitConfig(
    envOf({
      LIVEKIT_URL: "wss://demo.livekit.cloud",
      LIVEKIT_API_KEY: "k",
      LIVEKIT_API_SECRET: "s",
      SUPABASE_URL: "https://p.supabase.co",
    }),
  );
  assert.ok(isLiveKitConfig(c));
  assert.equal(c.wsUrl, "wss://demo.livekit.cloud");
  assert.equal(c.apiUrl, "https://demo.livekit.cloud");
  assert.equal(c.devDefaults, false);
});

Deno.test(
  "config: nothing set where the runtime says it is a local stack (PARLEY_LOCAL) → livekit-server --dev defaults",
  () => {
    for (const local of ["1", "true", " TRUE "]) {
      const c = readLiveKitConfig(envOf({ PARLEY_LOCAL: local, SUPABASE_URL: "http://127.0.0.1:54321" }));
      assert.ok(isLiveKitConfig(c), `local for PARLEY_LOCAL=${local}`);
      assert.equal(c.wsUrl, "ws://127.0.0.1:7880");
      assert.equal(c.apiKey, "devkey");
      assert.equal(c.apiSecret, "secret");
      assert.equal(c.devDefaults, true);
    }
  },
);

Deno.test(
  "config: a host name proves nothing — self-hosted (kong), loopback or no SUPABASE_URL without the variables → missing (503)",
  () => {
    for (const supabaseUrl of [
      undefined,
      "http://kong:8000",
      "http://127.0.0.1:54321",
      "http://localhost:1",
      "http://host.docker.internal:54321",
    ]) {
      const c = readLiveKitConfig(envOf(supabaseUrl ? { SUPABASE_URL: supabaseUrl } : {}));
      assert.ok(!isLiveKitConfig(c), `not local for ${supabaseUrl}`);
      assert.deepEqual(c.missing, ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]);
    }
    for (const flag of ["0", "", "yes"]) {
      const off = readLiveKitConfig(envOf({ PARLEY_LOCAL: flag, SUPABASE_URL: "http://kong:8000" }));
      assert.ok(!isLiveKitConfig(off), `not local for PARLEY_LOCAL=${JSON.stringify(flag)}`);
    }
  },
);

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
  const c = readLiveKitConfig(
    envOf({ LIVEKIT_URL: "demo.livekit.cloud", LIVEKIT_API_KEY: "k", LIVEKIT_API_SECRET: "s" }),
  );
  assert.ok(!isLiveKitConfig(c));
});
