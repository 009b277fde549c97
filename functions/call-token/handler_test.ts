// call-token handler tests: real livekit-server-sdk tokens verified with TokenVerifier, the caller's JWT verified
// by the function (a signing-key project's ES256 token, through supabase-js getClaims), every refusal with its status.
import assert from "node:assert/strict";
import { supabaseCallerVerifier } from "../_shared/caller.ts";
import { TokenVerifier } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import type { CallGrantRow } from "../_shared/schemas.ts";
import { testSigningKey, userClaims } from "../_shared/testing.ts";
import { createCallTokenHandler } from "./handler.ts";

const CALL_ID = "5b7e0d1e-4c1a-4f7e-9a55-0c2d7b6f0a01";
const USER_ID = "0f9d7a52-3a5e-4b8c-8d4e-6b1f2a3c4d5e";
/** The project's signing key, published to the function as SUPABASE_JWKS (so no request leaves the test). */
const KEY = await testSigningKey("ES256");
const TOKEN = await KEY.sign(userClaims({ sub: USER_ID }));
const AUTH_ENV = { SUPABASE_ANON_KEY: "anon", SUPABASE_JWKS: JSON.stringify({ keys: [KEY.publicJwk] }) };
// What the local stack hands a function: PARLEY_LOCAL says so, which is what allows LiveKit's dev defaults.
const LOCAL = { SUPABASE_URL: "http://127.0.0.1:54321", PARLEY_LOCAL: "1", ...AUTH_ENV };
const CONFIGURED = {
  SUPABASE_URL: "https://p.supabase.co",
  ...AUTH_ENV,
  LIVEKIT_URL: "wss://lk.example.test",
  LIVEKIT_API_KEY: "APIkey1",
  LIVEKIT_API_SECRET: "a-long-enough-secret-for-hs256-signing-000",
};

function grantRow(overrides: Partial<CallGrantRow> = {}): CallGrantRow {
  return {
    id: CALL_ID,
    room_name: `parley_call_${CALL_ID}`,
    kind: "direct",
    media: "video",
    max_participants: 2,
    user_id: USER_ID,
    display_name: "Ada Lovelace",
    member_role: "member",
    ...overrides,
  };
}

function setup(opts: { env?: Record<string, string>; grant?: CallGrantRow | HttpError } = {}) {
  const calls: Array<{ authorization: string; callId: string }> = [];
  const env = (name: string) => (opts.env ?? LOCAL)[name as keyof typeof LOCAL];
  const handler = createCallTokenHandler({
    env,
    verifyCaller: supabaseCallerVerifier(env),
    loadGrant: (authorization, callId) => {
      calls.push({ authorization, callId });
      const g = opts.grant ?? grantRow();
      return g instanceof HttpError ? Promise.reject(g) : Promise.resolve(g);
    },
    now: () => Date.UTC(2030, 0, 1),
  });
  return { handler, calls };
}

function post(body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Request {
  return new Request("http://localhost/call-token", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = await res.json();
  assert.equal(typeof body.error?.code, "string");
  assert.equal(typeof body.error?.message, "string");
  return body.error;
}

Deno.test(
  "call-token: mints a token LiveKit's verifier accepts, for that room only, with identity, name and room config",
  async () => {
    const { handler, calls } = setup({ env: CONFIGURED });
    const res = await handler(post({ callId: CALL_ID }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.wsUrl, "wss://lk.example.test");
    assert.equal(body.roomName, `parley_call_${CALL_ID}`);
    assert.equal(body.identity, USER_ID);
    assert.equal(body.expiresAt, new Date(Date.UTC(2030, 0, 1) + 600_000).toISOString());
    assert.deepEqual(calls, [{ authorization: `Bearer ${TOKEN}`, callId: CALL_ID }]);

    const claims = await new TokenVerifier(CONFIGURED.LIVEKIT_API_KEY, CONFIGURED.LIVEKIT_API_SECRET).verify(
      body.token,
    );
    assert.equal(claims.sub, USER_ID);
    assert.equal(claims.name, "Ada Lovelace");
    assert.equal(claims.iss, CONFIGURED.LIVEKIT_API_KEY);
    assert.equal((claims.exp ?? 0) - (claims.nbf ?? 0), 600);
    const video = claims.video ?? {};
    assert.equal(video.room, body.roomName);
    assert.equal(video.roomJoin, true);
    assert.equal(video.canPublish, true);
    assert.equal(video.canSubscribe, true);
    assert.equal(video.canPublishData, true);
    assert.notEqual(video.roomCreate, true);
    assert.notEqual(video.roomAdmin, true);
    assert.deepEqual(video.canPublishSources, ["camera", "microphone", "screen_share", "screen_share_audio"]);
    const roomConfig = claims.roomConfig as unknown as Record<string, unknown>;
    assert.equal(roomConfig.name, body.roomName);
    assert.equal(roomConfig.maxParticipants, 2);
    assert.equal(roomConfig.emptyTimeout, 300);
  },
);

Deno.test(
  "call-token: a group admin's audio-call token moderates the room, publishes the microphone only, allows 50",
  async () => {
    const { handler } = setup({
      grant: grantRow({
        kind: "group",
        media: "audio",
        max_participants: 50,
        member_role: "admin",
        display_name: null,
      }),
    });
    const res = await handler(post({ callId: CALL_ID }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.wsUrl, "ws://127.0.0.1:7880");
    const claims = await new TokenVerifier("devkey", "secret").verify(body.token);
    assert.equal(claims.video?.roomAdmin, true);
    assert.deepEqual(claims.video?.canPublishSources, ["microphone"]);
    assert.equal((claims.roomConfig as unknown as Record<string, unknown>).maxParticipants, 50);
    assert.equal(claims.name, USER_ID);
  },
);

Deno.test("call-token: the token does not verify with another secret", async () => {
  const { handler } = setup();
  const body = await (await handler(post({ callId: CALL_ID }))).json();
  await assert.rejects(new TokenVerifier("devkey", "not-the-secret").verify(body.token));
});

Deno.test(
  "call-token: 401 unauthorized without a valid user JWT (missing, forged, expired), before anything else runs",
  async () => {
    const { handler, calls } = setup();
    const now = Math.floor(Date.now() / 1000);
    const forged = await (await testSigningKey("ES256", KEY.kid)).sign(userClaims({ sub: USER_ID }));
    const expired = await KEY.sign(userClaims({ sub: USER_ID, iat: now - 700, exp: now - 60 }));
    const variants: Array<Record<string, string>> = [
      {},
      { Authorization: "Basic abc" },
      { Authorization: "Bearer " },
      { Authorization: "Bearer user.jwt.here" },
      { Authorization: `Bearer ${forged}` },
      { Authorization: `Bearer ${expired}` },
    ];
    for (const headers of variants) {
      const res = await handler(post({ callId: CALL_ID }, headers));
      assert.equal(res.status, 401);
      assert.equal((await errorOf(res)).code, "unauthorized");
    }
    assert.equal(calls.length, 0);
  },
);

Deno.test("call-token: 400 for a malformed body, naming the field", async () => {
  const { handler, calls } = setup();
  const numeric = await handler(post({ callId: 42 }));
  assert.equal(numeric.status, 400);
  const err = await errorOf(numeric);
  assert.equal(err.code, "invalid_body");
  assert.match(err.message, /callId/);
  assert.equal((await handler(post({ callId: "not-a-uuid" }))).status, 400);
  assert.equal((await handler(post({}))).status, 400);
  assert.equal((await handler(post("{not json"))).status, 400);
  assert.equal(calls.length, 0);
});

Deno.test("call-token: database refusals keep their status and code (403, 404, 409)", async () => {
  for (const [status, code] of [
    [403, "not_a_participant"],
    [403, "not_accepted"],
    [404, "call_not_found"],
    [409, "call_over"],
  ] as const) {
    const { handler } = setup({ grant: new HttpError(status, code, "refused") });
    const res = await handler(post({ callId: CALL_ID }));
    assert.equal(res.status, status);
    assert.equal((await errorOf(res)).code, code);
  }
});

Deno.test("call-token: 429 rate_limited with Retry-After and retryAfter in the usual error body", async () => {
  const { handler } = setup({
    env: CONFIGURED,
    grant: new HttpError(429, "rate_limited", "rate limited: too many call_token requests; try again in 7 s", 7),
  });
  const res = await handler(post({ callId: CALL_ID }));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("Retry-After"), "7");
  assert.match(res.headers.get("Access-Control-Expose-Headers") ?? "", /Retry-After/);
  const body = await res.json();
  assert.deepEqual(body, {
    error: {
      code: "rate_limited",
      message: "rate limited: too many call_token requests; try again in 7 s",
      retryAfter: 7,
    },
  });
});

Deno.test("call-token: 503 with the missing names when deployed without LiveKit settings", async () => {
  const { handler, calls } = setup({ env: { SUPABASE_URL: "https://p.supabase.co", ...AUTH_ENV } });
  const res = await handler(post({ callId: CALL_ID }));
  assert.equal(res.status, 503);
  const err = await errorOf(res);
  assert.equal(err.code, "livekit_not_configured");
  assert.match(err.message, /LIVEKIT_URL/);
  assert.equal(calls.length, 0);
});

Deno.test(
  "call-token: a self-hosted Supabase (SUPABASE_URL http://kong:8000) without LiveKit settings answers 503, never a devkey token",
  async () => {
    const { handler, calls } = setup({ env: { SUPABASE_URL: "http://kong:8000", ...AUTH_ENV } });
    const res = await handler(post({ callId: CALL_ID }));
    assert.equal(res.status, 503);
    assert.equal((await errorOf(res)).code, "livekit_not_configured");
    assert.equal(calls.length, 0);
  },
);

Deno.test("call-token: 405 for other methods, the CORS preflight answered with Supabase's headers", async () => {
  const { handler } = setup();
  const refused = await handler(new Request("http://localhost/call-token", { method: "GET" }));
  assert.equal(refused.status, 405);
  assert.equal(
    refused.headers.get("Access-Control-Allow-Origin"),
    "*",
    "errors carry CORS headers too, or a browser cannot read them",
  );
  const pre = await handler(new Request("http://localhost/call-token", { method: "OPTIONS" }));
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get("Access-Control-Allow-Origin"), "*");
  for (const header of ["authorization", "apikey", "content-type", "x-client-info", "x-retry-count"]) {
    assert.match(pre.headers.get("Access-Control-Allow-Headers") ?? "", new RegExp(`\\b${header}\\b`));
  }
});

Deno.test("call-token: an unexpected failure is a 500 JSON error", async () => {
  const env = (name: string) => LOCAL[name as keyof typeof LOCAL];
  const handler = createCallTokenHandler({
    env,
    verifyCaller: supabaseCallerVerifier(env),
    loadGrant: () => Promise.reject(new Error("boom")),
  });
  const original = console.error;
  console.error = () => undefined;
  try {
    const res = await handler(post({ callId: CALL_ID }));
    assert.equal(res.status, 500);
    assert.equal((await errorOf(res)).code, "internal_error");
  } finally {
    console.error = original;
  }
});
