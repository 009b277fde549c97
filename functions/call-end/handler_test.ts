// call-end handler tests: the database decides, LiveKit's room is closed with the real RoomServiceClient
// against a recorded local Twirp endpoint, and a LiveKit failure never undoes the hang-up.
import assert from "node:assert/strict";
import { supabaseCallerVerifier } from "../_shared/caller.ts";
import { TokenVerifier } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import type { CallEndRequest, CallRow } from "../_shared/schemas.ts";
import { testSigningKey, twirpRecorder, userClaims } from "../_shared/testing.ts";
import { createCallEndHandler } from "./handler.ts";

const CALL_ID = "5b7e0d1e-4c1a-4f7e-9a55-0c2d7b6f0a01";
const ROOM = `parley-call-${CALL_ID}`;
const KEY = "APIkeyEnd";
const SECRET = "a-long-enough-secret-for-hs256-signing-111";
/** The project's signing key, published to the function as SUPABASE_JWKS: the caller's token is verified for real. */
const SIGNING_KEY = await testSigningKey("RS256");
const TOKEN = await SIGNING_KEY.sign(userClaims());
const AUTH_ENV = { SUPABASE_ANON_KEY: "anon", SUPABASE_JWKS: JSON.stringify({ keys: [SIGNING_KEY.publicJwk] }) };

function callRow(status: CallRow["status"]): CallRow {
  const over = status !== "ringing" && status !== "active";
  return {
    id: CALL_ID,
    conversation_id: "0f9d7a52-3a5e-4b8c-8d4e-6b1f2a3c4d5e",
    kind: "group",
    media: "video",
    status,
    room_name: ROOM,
    max_participants: 50,
    initiated_by: null,
    created_at: "2030-01-01T00:00:00Z",
    answered_at: null,
    ended_at: over ? "2030-01-01T00:01:00Z" : null,
    end_reason: over ? "hung_up" : null,
    updated_at: "2030-01-01T00:01:00Z",
  };
}

function setup(opts: { result?: CallRow | HttpError; evict?: string[]; env?: Record<string, string> }) {
  const seen: Array<{ authorization: string; request: CallEndRequest }> = [];
  const evictionReads: string[] = [];
  const logs: string[] = [];
  const env = (name: string) =>
    (({ SUPABASE_URL: "https://p.supabase.co", ...AUTH_ENV, ...opts.env }) as Record<string, string>)[name];
  const handler = createCallEndHandler({
    env,
    verifyCaller: supabaseCallerVerifier(env),
    endCall: (authorization, request) => {
      seen.push({ authorization, request });
      const r = opts.result ?? callRow("ended");
      return r instanceof HttpError ? Promise.reject(r) : Promise.resolve(r);
    },
    readEvictions: (authorization, callId) => {
      evictionReads.push(`${authorization} ${callId}`);
      const r = opts.result ?? callRow("active");
      return r instanceof HttpError ? Promise.reject(r) : Promise.resolve({ call: r, userIds: opts.evict ?? [] });
    },
    log: (m) => logs.push(m),
  });
  return { handler, seen, evictionReads, logs };
}

function post(body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Request {
  return new Request("http://localhost/call-end", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test(
  "call-end: a call that is over gets its LiveKit room deleted through RoomService, signed with the API key",
  async () => {
    const livekit = twirpRecorder();
    try {
      const { handler, seen } = setup({
        env: {
          SUPABASE_URL: "https://p.supabase.co",
          LIVEKIT_URL: livekit.url,
          LIVEKIT_API_KEY: KEY,
          LIVEKIT_API_SECRET: SECRET,
        },
      });
      const res = await handler(post({ callId: CALL_ID, scope: "everyone" }));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.roomClosed, true);
      assert.equal(body.call.status, "ended");
      assert.deepEqual(seen, [{ authorization: `Bearer ${TOKEN}`, request: { callId: CALL_ID, scope: "everyone" } }]);

      assert.equal(livekit.requests.length, 1);
      const [request] = livekit.requests;
      assert.equal(request!.path, "/twirp/livekit.RoomService/DeleteRoom");
      assert.deepEqual(request!.body, { room: ROOM });
      const claims = await new TokenVerifier(KEY, SECRET).verify(request!.authorization.replace(/^Bearer /, ""));
      assert.equal(claims.video?.roomCreate, true);
    } finally {
      await livekit.close();
    }
  },
);

Deno.test("call-end: scope defaults to me, and a call still live for others keeps its room", async () => {
  const livekit = twirpRecorder();
  try {
    const { handler, seen } = setup({
      result: callRow("active"),
      env: {
        SUPABASE_URL: "https://p.supabase.co",
        LIVEKIT_URL: livekit.url,
        LIVEKIT_API_KEY: KEY,
        LIVEKIT_API_SECRET: SECRET,
      },
    });
    const res = await handler(post({ callId: CALL_ID }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json().then((b) => [b.call.status, b.roomClosed]), ["active", false]);
    assert.equal(seen[0]!.request.scope, "me");
    assert.equal(livekit.requests.length, 0);
  } finally {
    await livekit.close();
  }
});

Deno.test("call-end: LiveKit failing or unconfigured never undoes the hang-up; the failure is logged", async () => {
  const livekit = twirpRecorder(503);
  try {
    const down = setup({
      env: {
        SUPABASE_URL: "https://p.supabase.co",
        LIVEKIT_URL: livekit.url,
        LIVEKIT_API_KEY: KEY,
        LIVEKIT_API_SECRET: SECRET,
      },
    });
    const res = await down.handler(post({ callId: CALL_ID }));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).roomClosed, false);
    assert.match(down.logs[0]!, /could not delete room/);
  } finally {
    await livekit.close();
  }
  const unconfigured = setup({ env: { SUPABASE_URL: "https://p.supabase.co" } });
  const res = await unconfigured.handler(post({ callId: CALL_ID }));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).roomClosed, false);
  assert.match(unconfigured.logs[0]!, /not configured/);
});

Deno.test("call-end: refusals carry their status and code, and nothing is ended", async () => {
  const { handler, seen } = setup({});
  const now = Math.floor(Date.now() / 1000);
  const forged = await (await testSigningKey("RS256", SIGNING_KEY.kid)).sign(userClaims());
  const expired = await SIGNING_KEY.sign(userClaims({ iat: now - 700, exp: now - 60 }));
  const variants: Array<Record<string, string>> = [
    {},
    { Authorization: "Bearer not-a-jwt" },
    { Authorization: `Bearer ${forged}` },
    { Authorization: `Bearer ${expired}` },
  ];
  for (const headers of variants) {
    const res = await handler(post({ callId: CALL_ID }, headers));
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthorized");
  }
  for (const body of ["{not json", { callId: 42 }, { callId: CALL_ID, scope: "all" }]) {
    const res = await handler(post(body));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "invalid_body");
  }
  assert.equal((await handler(new Request("http://localhost/call-end"))).status, 405);
  assert.equal(seen.length, 0);

  const notMine = setup({ result: new HttpError(404, "call_not_found", "call not found") });
  const res = await notMine.handler(post({ callId: CALL_ID }));
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "call_not_found");
});

Deno.test(
  "call-end: scope removed disconnects, through RoomService, only the former members LiveKit has in the room",
  async () => {
    const REMOVED = "2c3d4e5f-0000-4000-8000-000000000001";
    const NEVER_CONNECTED = "2c3d4e5f-0000-4000-8000-000000000002";
    const livekit = twirpRecorder(200, {
      ListParticipants: { participants: [{ identity: REMOVED }, { identity: "a-member" }] },
    });
    try {
      const { handler, seen, evictionReads } = setup({
        evict: [REMOVED, NEVER_CONNECTED],
        env: {
          SUPABASE_URL: "https://p.supabase.co",
          LIVEKIT_URL: livekit.url,
          LIVEKIT_API_KEY: KEY,
          LIVEKIT_API_SECRET: SECRET,
        },
      });
      const res = await handler(post({ callId: CALL_ID, scope: "removed" }));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual([body.call.status, body.roomClosed, body.removed], ["active", false, [REMOVED]]);
      assert.equal(seen.length, 0, "nothing is hung up");
      assert.deepEqual(evictionReads, [`Bearer ${TOKEN} ${CALL_ID}`]);
      assert.deepEqual(
        livekit.requests.map((r) => [r.path, r.body]),
        [
          ["/twirp/livekit.RoomService/ListParticipants", { room: ROOM }],
          ["/twirp/livekit.RoomService/RemoveParticipant", { room: ROOM, identity: REMOVED }],
        ],
      );
      const claims = await new TokenVerifier(KEY, SECRET).verify(
        livekit.requests[1]!.authorization.replace(/^Bearer /, ""),
      );
      assert.equal(claims.video?.roomAdmin, true);
      assert.equal(claims.video?.room, ROOM);
    } finally {
      await livekit.close();
    }
  },
);

Deno.test(
  "call-end: scope removed with nobody to evict asks LiveKit nothing; LiveKit down is logged, never a failure",
  async () => {
    const livekit = twirpRecorder(503);
    try {
      const env = {
        SUPABASE_URL: "https://p.supabase.co",
        LIVEKIT_URL: livekit.url,
        LIVEKIT_API_KEY: KEY,
        LIVEKIT_API_SECRET: SECRET,
      };
      const none = setup({ evict: [], env });
      const res = await none.handler(post({ callId: CALL_ID, scope: "removed" }));
      assert.deepEqual((await res.json()).removed, []);
      assert.equal(livekit.requests.length, 0);

      const down = setup({ evict: ["2c3d4e5f-0000-4000-8000-000000000001"], env });
      const downRes = await down.handler(post({ callId: CALL_ID, scope: "removed" }));
      assert.equal(downRes.status, 200);
      assert.deepEqual((await downRes.json()).removed, []);
      assert.match(down.logs[0]!, /could not disconnect former members/);
    } finally {
      await livekit.close();
    }
    const notMember = setup({ result: new HttpError(404, "call_not_found", "call not found") });
    const res = await notMember.handler(post({ callId: CALL_ID, scope: "removed" }));
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, "call_not_found");
  },
);
