// livekit-webhook handler tests: bodies signed exactly as LiveKit signs them, forged ones refused with nothing applied.
import assert from "node:assert/strict";
import type { LivekitEventResult } from "../_shared/schemas.ts";
import { TokenVerifier } from "../_shared/deps.ts";
import { signWebhook, twirpRecorder, webhookBody } from "../_shared/testing.ts";
import type { CallEventInput } from "./event.ts";
import { createWebhookHandler } from "./handler.ts";

const ENV = {
  SUPABASE_URL: "https://p.supabase.co",
  LIVEKIT_URL: "wss://lk.example.test",
  LIVEKIT_API_KEY: "APIwebhook",
  LIVEKIT_API_SECRET: "webhook-secret-long-enough-for-hs256-000000",
};

function setup(opts: { result?: LivekitEventResult; closeFails?: boolean; env?: Record<string, string> } = {}) {
  const applied: CallEventInput[] = [];
  const closed: string[] = [];
  const logs: string[] = [];
  const handler = createWebhookHandler({
    env: (name) => (opts.env ?? ENV)[name as keyof typeof ENV],
    applyEvent: (input) => {
      applied.push(input);
      return Promise.resolve(opts.result ?? { result: "applied", close_room: false });
    },
    closeRoom: (_config, room) => {
      closed.push(room);
      return opts.closeFails ? Promise.reject(new Error("connect ECONNREFUSED")) : Promise.resolve();
    },
    log: (m) => logs.push(m),
  });
  return { handler, applied, closed, logs };
}

function deliver(body: string, authorization?: string): Request {
  return new Request("http://localhost/livekit-webhook", {
    method: "POST",
    headers: { "Content-Type": "application/webhook+json", ...(authorization ? { Authorization: authorization } : {}) },
    body,
  });
}

const joined = webhookBody({
  event: "participant_joined",
  id: "EV_join_1",
  room: "parley_call_x",
  identity: "user-1",
  createdAt: 1_800_000_000,
});

Deno.test("webhook: a correctly signed event is applied with LiveKit's id, room, identity and time", async () => {
  const { handler, applied } = setup();
  const res = await handler(deliver(joined, await signWebhook(joined, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET)));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { result: "applied" });
  assert.deepEqual(applied, [
    {
      eventId: "EV_join_1",
      event: "participant_joined",
      roomName: "parley_call_x",
      identity: "user-1",
      occurredAt: new Date(1_800_000_000_000),
    },
  ]);
});

Deno.test("webhook: forged signatures are 401 and nothing is applied", async () => {
  const { handler, applied } = setup();
  const wrongSecret = await signWebhook(joined, ENV.LIVEKIT_API_KEY, "another-secret-long-enough-for-hs256-00000");
  const wrongKey = await signWebhook(joined, "APIother", ENV.LIVEKIT_API_SECRET);
  const otherBody = await signWebhook(
    webhookBody({ event: "room_started", id: "EV_x", room: "parley_call_x" }),
    ENV.LIVEKIT_API_KEY,
    ENV.LIVEKIT_API_SECRET,
  );
  for (const auth of [undefined, "garbage", wrongSecret, wrongKey, otherBody]) {
    const res = await handler(deliver(joined, auth));
    assert.equal(res.status, 401, `auth ${auth?.slice(0, 12)}`);
    assert.equal((await res.json()).error.code, "invalid_signature");
  }
  assert.equal(applied.length, 0);
});

Deno.test("webhook: a body changed after signing (even re-serialised whitespace) is refused", async () => {
  const { handler, applied } = setup();
  const auth = await signWebhook(joined, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET);
  const reserialised = JSON.stringify(JSON.parse(joined), null, 1);
  assert.equal((await handler(deliver(reserialised, auth))).status, 401);
  assert.equal(applied.length, 0);
});

Deno.test(
  "webhook: events Parley does not track are answered 200 and not applied; unknown fields are ignored",
  async () => {
    const { handler, applied } = setup();
    const body = webhookBody({
      event: "track_published",
      id: "EV_t",
      room: "parley_call_x",
      extra: { track: { sid: "TR_1" }, someFutureField: { a: 1 } },
    });
    const res = await handler(deliver(body, await signWebhook(body, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET)));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { result: "ignored" });
    assert.equal(applied.length, 0);
  },
);

Deno.test("webhook: duplicate and unknown-room answers from the database are still 200", async () => {
  for (const result of ["duplicate", "ignored", "stale"] as const) {
    const { handler } = setup({ result: { result } });
    const res = await handler(deliver(joined, await signWebhook(joined, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET)));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { result });
  }
});

Deno.test(
  "webhook: when the call is over but the room lives on, LiveKit is asked to delete it; failure is logged, answer stays 200",
  async () => {
    const ok = setup({ result: { result: "applied", close_room: true } });
    const auth = await signWebhook(joined, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET);
    assert.equal((await ok.handler(deliver(joined, auth))).status, 200);
    assert.deepEqual(ok.closed, ["parley_call_x"]);

    const down = setup({ result: { result: "applied", close_room: true }, closeFails: true });
    assert.equal((await down.handler(deliver(joined, auth))).status, 200);
    assert.deepEqual(down.closed, ["parley_call_x"]);
    assert.match(down.logs.join("\n"), /ECONNREFUSED/);
  },
);

Deno.test(
  "webhook: a former member joining the room is disconnected through RoomService; failure is logged, answer stays 200",
  async () => {
    const livekit = twirpRecorder();
    try {
      const env = { ...ENV, LIVEKIT_URL: livekit.url };
      const { handler, logs } = setup({ result: { result: "ignored", remove_participant: true }, env });
      const auth = await signWebhook(joined, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET);
      const res = await handler(deliver(joined, auth));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { result: "ignored" });
      assert.deepEqual(
        livekit.requests.map((r) => [r.path, r.body]),
        [["/twirp/livekit.RoomService/RemoveParticipant", { room: "parley_call_x", identity: "user-1" }]],
      );
      const claims = await new TokenVerifier(ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET).verify(
        livekit.requests[0]!.authorization.replace(/^Bearer /, ""),
      );
      assert.equal(claims.video?.roomAdmin, true);
      assert.equal(logs.length, 0);

      const member = setup({ result: { result: "applied", remove_participant: false }, env });
      await member.handler(deliver(joined, auth));
      assert.equal(livekit.requests.length, 1, "a member is never disconnected");
    } finally {
      await livekit.close();
    }
    const down = setup({
      result: { result: "ignored", remove_participant: true },
      env: { ...ENV, LIVEKIT_URL: "http://127.0.0.1:9" },
    });
    const res = await down.handler(
      deliver(joined, await signWebhook(joined, ENV.LIVEKIT_API_KEY, ENV.LIVEKIT_API_SECRET)),
    );
    assert.equal(res.status, 200);
    assert.match(down.logs.join("\n"), /could not disconnect user-1/);
  },
);

Deno.test(
  "webhook: a self-hosted Supabase (kong) without LiveKit settings refuses a webhook signed with the public devkey/secret (503)",
  async () => {
    const { handler, applied } = setup({ env: { SUPABASE_URL: "http://kong:8000" } });
    const res = await handler(deliver(joined, await signWebhook(joined, "devkey", "secret")));
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "livekit_not_configured");
    assert.equal(applied.length, 0);
  },
);

Deno.test("webhook: 503 when deployed without LiveKit settings; 405 for GET", async () => {
  const { handler, applied } = setup({ env: { SUPABASE_URL: "https://p.supabase.co" } });
  const res = await handler(deliver(joined, "x"));
  assert.equal(res.status, 503);
  assert.equal((await res.json()).error.code, "livekit_not_configured");
  assert.equal((await handler(new Request("http://localhost/livekit-webhook"))).status, 405);
  assert.equal(applied.length, 0);
});
