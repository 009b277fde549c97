// Web Push request building with the web-push library: VAPID, aes128gcm (decrypted here as a browser would), headers, answers.
import assert from "node:assert/strict";
import {
  decryptWebPush,
  sampleJob,
  sampleRing,
  testSubscription,
  testVapidKeys,
  vapidPublicKey,
  verifyJwt,
} from "../testing.ts";
import { endpointAllowed, webPushOutcome, webPushRequest, webPushSender } from "./webpush.ts";

async function setup() {
  const vapid = await testVapidKeys();
  const sub = await testSubscription("https://push.example.test/send/abc");
  const device = {
    id: "d4",
    provider: "webpush" as const,
    token: sub.endpoint,
    keys: sub.keys,
    platform: "web" as const,
    app_id: null,
  };
  return {
    config: { ...vapid, subject: "mailto:ops@example.test", allowedHosts: ["push.example.test"] },
    sub,
    device,
    vapid,
  };
}

Deno.test("webpush: VAPID authorization for the endpoint's origin, signed with the VAPID key", async () => {
  const { config, device, vapid } = await setup();
  const r = webPushRequest(config, sampleJob(), device);
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(r.init.headers.Authorization ?? "");
  assert.ok(match, r.init.headers.Authorization);
  assert.equal(match[2], vapid.publicKey);
  const { header, claims } = await verifyJwt(match[1]!, await vapidPublicKey(match[2]!));
  assert.equal(header.alg, "ES256");
  assert.equal(claims.aud, "https://push.example.test");
  assert.equal(claims.sub, "mailto:ops@example.test");
  assert.ok(Number(claims.exp) > Date.now() / 1000);
});

Deno.test("webpush: an aes128gcm body that decrypts to the notification, with TTL, Urgency and Topic", async () => {
  const { config, device, sub } = await setup();
  const r = webPushRequest(config, sampleJob(), device, 0);
  assert.equal(r.url, sub.endpoint);
  assert.equal(r.init.headers["Content-Encoding"], "aes128gcm");
  assert.equal(r.init.headers.TTL, "86400");
  assert.equal(r.init.headers.Urgency, "normal");
  assert.equal(r.init.headers.Topic, sampleJob().collapse_id.replaceAll("-", ""));
  const payload = JSON.parse(await decryptWebPush(r.init.body as Uint8Array, sub));
  assert.deepEqual(payload, {
    title: "Ann",
    body: "Hello Bob",
    tag: sampleJob().collapse_id,
    priority: "normal",
    data: sampleJob().data,
  });
  assert.equal(webPushRequest(config, sampleRing(), device).init.headers.Urgency, "high");
});

Deno.test("webpush: only endpoints on allowed push services are ever called", async () => {
  assert.equal(endpointAllowed("https://fcm.googleapis.com/fcm/send/x", ["fcm.googleapis.com"]), true);
  assert.equal(
    endpointAllowed("https://a.push.services.mozilla.com/wpush/v2/x", ["*.push.services.mozilla.com"]),
    true,
  );
  assert.equal(endpointAllowed("https://evil.example/fcm.googleapis.com", ["fcm.googleapis.com"]), false);
  assert.equal(endpointAllowed("https://fcm.googleapis.com.evil.example/x", ["fcm.googleapis.com"]), false);
  const { config, device } = await setup();
  let called = false;
  const send = webPushSender(
    { ...config, allowedHosts: ["fcm.googleapis.com"] },
    () => ((called = true), Promise.resolve(new Response(null, { status: 201 }))),
  );
  assert.equal((await send(sampleJob(), device)).outcome, "failed");
  assert.equal(called, false);
});

Deno.test(
  "webpush: answers — 201 sent, 410 and 404 invalid, 429 retry after Retry-After, 502 retry, 413 failed",
  async () => {
    assert.deepEqual(
      await webPushOutcome(new Response(null, { status: 201, headers: { Location: "https://push.example.test/m/1" } })),
      { outcome: "sent", provider_message_id: "https://push.example.test/m/1" },
    );
    assert.equal((await webPushOutcome(new Response(null, { status: 410 }))).outcome, "invalid");
    assert.equal((await webPushOutcome(new Response(null, { status: 404 }))).outcome, "invalid");
    assert.deepEqual(await webPushOutcome(new Response(null, { status: 429, headers: { "Retry-After": "9" } })), {
      outcome: "retry",
      error: "webpush 429",
      retry_after: 9,
    });
    assert.equal((await webPushOutcome(new Response(null, { status: 502 }))).outcome, "retry");
    assert.equal((await webPushOutcome(new Response(null, { status: 413 }))).outcome, "failed");
  },
);
