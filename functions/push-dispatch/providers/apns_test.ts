// APNs request building: the ES256 provider token, headers per kind, the body, the answers.
import assert from "node:assert/strict";
import { sampleCancel, sampleJob, sampleRing, testApnsKey, verifyJwt } from "../testing.ts";
import { apnsOutcome, apnsProviderToken, apnsRequest, apnsSender } from "./apns.ts";

const iphone = {
  id: "d2",
  provider: "apns" as const,
  token: "ab".repeat(32),
  keys: null,
  platform: "ios" as const,
  app_id: "com.example.chat",
};

Deno.test("apns: the provider token is ES256 with the key id, issued by the team", async () => {
  const key = await testApnsKey();
  const { header, claims } = await verifyJwt(
    await apnsProviderToken({ url: "", teamId: "TEAM123456", keyId: "KEY1234567", privateKey: key.pem }, 1_800_000_000),
    key.publicKey,
  );
  assert.deepEqual(header, { alg: "ES256", kid: "KEY1234567" });
  assert.deepEqual(claims, { iss: "TEAM123456", iat: 1_800_000_000 });
});

Deno.test(
  "apns: a message is an alert at priority 10 for the app's topic, threaded by conversation, collapsing by it",
  () => {
    const r = apnsRequest(
      { url: "https://apns.example.test/", teamId: "T", keyId: "K", privateKey: "" },
      "jwt",
      sampleJob(),
      iphone,
      1_800_000_000_000,
    );
    assert.equal(r.url, `https://apns.example.test/3/device/${iphone.token}`);
    assert.deepEqual(r.init.headers, {
      authorization: "bearer jwt",
      "apns-topic": "com.example.chat",
      "apns-push-type": "alert",
      "apns-priority": "10",
      "apns-expiration": String(1_800_000_000 + 86_400),
      "apns-collapse-id": sampleJob().collapse_id,
      "apns-id": sampleJob().id,
      "content-type": "application/json",
    });
    const body = JSON.parse(String(r.init.body));
    assert.deepEqual(body.aps, {
      alert: { title: "Ann", body: "Hello Bob" },
      sound: "default",
      "thread-id": sampleJob().collapse_id,
    });
    assert.equal(body.type, "message");
  },
);

Deno.test(
  "apns: a ring is time-sensitive and expires at the ring deadline; a cancel is a background push at priority 5",
  () => {
    const now = Date.now();
    const ring = apnsRequest(
      { url: "https://a", teamId: "T", keyId: "K", privateKey: "" },
      "jwt",
      sampleRing(now),
      iphone,
      now,
    );
    assert.equal(JSON.parse(String(ring.init.body)).aps["interruption-level"], "time-sensitive");
    assert.equal(ring.init.headers["apns-expiration"], String(Math.floor(now / 1000) + 45));
    const cancel = apnsRequest(
      { url: "https://a", teamId: "T", keyId: "K", privateKey: "" },
      "jwt",
      sampleCancel(),
      iphone,
    );
    assert.deepEqual(
      [cancel.init.headers["apns-push-type"], cancel.init.headers["apns-priority"]],
      ["background", "5"],
    );
    assert.deepEqual(JSON.parse(String(cancel.init.body)).aps, { "content-available": 1 });
  },
);

Deno.test(
  "apns: answers — 200 sent with apns-id, 410 and BadDeviceToken invalid, 429 retry, 500 retry, 400 PayloadTooLarge failed",
  async () => {
    assert.deepEqual(await apnsOutcome(new Response(null, { status: 200, headers: { "apns-id": "A-1" } })), {
      outcome: "sent",
      provider_message_id: "A-1",
    });
    assert.equal(
      (await apnsOutcome(Response.json({ reason: "Unregistered", timestamp: 1 }, { status: 410 }))).outcome,
      "invalid",
    );
    assert.equal((await apnsOutcome(Response.json({ reason: "BadDeviceToken" }, { status: 400 }))).outcome, "invalid");
    assert.deepEqual(
      await apnsOutcome(Response.json({ reason: "TooManyRequests" }, { status: 429, headers: { "Retry-After": "5" } })),
      { outcome: "retry", error: "apns 429 TooManyRequests", retry_after: 5 },
    );
    assert.equal(
      (await apnsOutcome(Response.json({ reason: "InternalServerError" }, { status: 500 }))).outcome,
      "retry",
    );
    assert.equal((await apnsOutcome(Response.json({ reason: "PayloadTooLarge" }, { status: 413 }))).outcome, "failed");
  },
);

Deno.test("apns: the sender signs once and sends with the token", async () => {
  const key = await testApnsKey();
  const auths: string[] = [];
  const send = apnsSender(
    { url: "https://apns.example.test", teamId: "T", keyId: "K", privateKey: key.pem },
    (_u, init) => {
      auths.push(new Headers(init?.headers).get("authorization") ?? "");
      return Promise.resolve(new Response(null, { status: 200 }));
    },
  );
  await send(sampleJob(), iphone);
  await send(sampleJob(), iphone);
  assert.equal(auths.length, 2);
  assert.equal(auths[0], auths[1]);
  await verifyJwt(auths[0]!.replace(/^bearer /, ""), key.publicKey);
});
