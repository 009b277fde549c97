// FCM HTTP v1 request building: the service-account assertion, the token grant, the message per platform, the answers.
import assert from "node:assert/strict";
import { sampleCancel, sampleJob, sampleRing, testServiceAccount, verifyJwt } from "../testing.ts";
import {
  FCM_SCOPE,
  fcmAssertion,
  fcmOutcome,
  fcmRequest,
  fcmSender,
  fcmTokenRequest,
  type ServiceAccount,
} from "./fcm.ts";

const android = {
  id: "d1",
  provider: "fcm" as const,
  token: "fcm-token-aaaaaaaaaaaaaaaaaaaa",
  keys: null,
  platform: "android" as const,
  app_id: null,
};

async function account(): Promise<{ account: ServiceAccount; publicKey: CryptoKey; keyId: string }> {
  const sa = await testServiceAccount("https://oauth2.example.test/token", "proj-1");
  return { account: JSON.parse(sa.json) as ServiceAccount, publicKey: sa.publicKey, keyId: sa.keyId };
}

Deno.test(
  "fcm: the assertion is an RS256 JWT from the service account for Google's token endpoint with the messaging scope",
  async () => {
    const { account: a, publicKey, keyId } = await account();
    const { header, claims } = await verifyJwt(await fcmAssertion(a, 1_800_000_000), publicKey);
    assert.deepEqual(header, { alg: "RS256", typ: "JWT", kid: keyId });
    assert.deepEqual(claims, {
      scope: FCM_SCOPE,
      iss: a.client_email,
      sub: a.client_email,
      aud: "https://oauth2.example.test/token",
      iat: 1_800_000_000,
      exp: 1_800_003_600,
    });
  },
);

Deno.test("fcm: the token request is the JWT-bearer grant, form encoded", async () => {
  const { account: a } = await account();
  const r = fcmTokenRequest(a, "the.jwt.here");
  assert.equal(r.url, "https://oauth2.example.test/token");
  assert.equal(r.init.headers["Content-Type"], "application/x-www-form-urlencoded");
  assert.deepEqual(Object.fromEntries(new URLSearchParams(String(r.init.body))), {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    assertion: "the.jwt.here",
  });
});

Deno.test(
  "fcm: a message to Android: notification, string data, normal priority, collapse key, a day to live",
  async () => {
    const { account: a } = await account();
    const r = fcmRequest({ apiUrl: "https://fcm.example.test/", account: a }, "ya29.token", sampleJob(), android, 0);
    assert.equal(r.url, "https://fcm.example.test/v1/projects/proj-1/messages:send");
    assert.equal(r.init.headers.Authorization, "Bearer ya29.token");
    assert.deepEqual(JSON.parse(String(r.init.body)), {
      message: {
        token: android.token,
        data: {
          type: "message",
          conversation_id: sampleJob().collapse_id,
          count: "1",
          unread_count: "1",
          mention: "false",
          message_id: "3e55a9e0-0000-4000-8000-000000000001",
          seq: "7",
        },
        notification: { title: "Ann", body: "Hello Bob" },
        android: {
          priority: "NORMAL",
          ttl: "86400s",
          collapse_key: sampleJob().collapse_id,
          notification: { tag: sampleJob().collapse_id },
        },
      },
    });
  },
);

Deno.test("fcm: a ring to Android is data only at HIGH priority, living until the ring deadline", async () => {
  const { account: a } = await account();
  const now = Date.now();
  const body = JSON.parse(
    String(
      fcmRequest({ apiUrl: "https://fcm.example.test", account: a }, "t", sampleRing(now), android, now).init.body,
    ),
  );
  assert.equal(body.message.notification, undefined);
  assert.equal(body.message.android.priority, "HIGH");
  assert.equal(body.message.android.ttl, "45s");
  assert.equal(body.message.data.type, "call");
});

Deno.test("fcm: to iOS through FCM a ring is a time-critical alert and a cancel a background push", async () => {
  const { account: a } = await account();
  const ios = { ...android, platform: "ios" as const };
  const ring = JSON.parse(
    String(fcmRequest({ apiUrl: "https://f", account: a }, "t", sampleRing(), ios).init.body),
  ).message;
  assert.deepEqual(
    [ring.notification.title, ring.apns.headers["apns-priority"], ring.apns.headers["apns-push-type"]],
    ["Ann", "10", "alert"],
  );
  const cancel = JSON.parse(
    String(fcmRequest({ apiUrl: "https://f", account: a }, "t", sampleCancel(), ios).init.body),
  ).message;
  assert.deepEqual(
    [cancel.notification, cancel.apns.headers["apns-priority"], cancel.apns.payload.aps],
    [undefined, "5", { "content-available": 1 }],
  );
});

Deno.test(
  "fcm: answers — 200 sent, UNREGISTERED invalid, 429 retry after its Retry-After, 503 retry, 400 failed",
  async () => {
    assert.deepEqual(await fcmOutcome(Response.json({ name: "projects/p/messages/1" })), {
      outcome: "sent",
      provider_message_id: "projects/p/messages/1",
    });
    const unregistered = Response.json(
      {
        error: {
          code: 404,
          status: "NOT_FOUND",
          message: "Requested entity was not found.",
          details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "UNREGISTERED" }],
        },
      },
      { status: 404 },
    );
    assert.equal((await fcmOutcome(unregistered)).outcome, "invalid");
    const quota = Response.json(
      { error: { status: "RESOURCE_EXHAUSTED", details: [{ errorCode: "QUOTA_EXCEEDED" }] } },
      { status: 429, headers: { "Retry-After": "17" } },
    );
    assert.deepEqual(await fcmOutcome(quota), { outcome: "retry", error: "fcm 429 QUOTA_EXCEEDED", retry_after: 17 });
    assert.equal((await fcmOutcome(new Response("oops", { status: 503 }))).outcome, "retry");
    assert.equal(
      (
        await fcmOutcome(
          Response.json({ error: { status: "INVALID_ARGUMENT", message: "bad payload" } }, { status: 400 }),
        )
      ).outcome,
      "failed",
    );
    assert.equal(
      (
        await fcmOutcome(
          Response.json(
            {
              error: {
                status: "INVALID_ARGUMENT",
                message: "The registration token is not a valid FCM registration token",
              },
            },
            { status: 400 },
          ),
        )
      ).outcome,
      "invalid",
    );
  },
);

Deno.test("fcm: the sender trades the assertion once and reuses the access token", async () => {
  const { account: a } = await account();
  const seen: string[] = [];
  const fake = (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    seen.push(url);
    if (url === a.token_uri)
      return Promise.resolve(Response.json({ access_token: "ya29.cached", expires_in: 3600, token_type: "Bearer" }));
    assert.equal(new Headers(init?.headers).get("Authorization"), "Bearer ya29.cached");
    return Promise.resolve(Response.json({ name: "projects/proj-1/messages/9" }));
  };
  const send = fcmSender({ apiUrl: "https://fcm.example.test", account: a }, fake);
  assert.equal((await send(sampleJob(), android)).outcome, "sent");
  assert.equal((await send(sampleJob(), android)).outcome, "sent");
  assert.deepEqual(seen.filter((u) => u === a.token_uri).length, 1);
});

Deno.test("fcm: a token endpoint that refuses is a retry, not a crash", async () => {
  const { account: a } = await account();
  const send = fcmSender({ apiUrl: "https://f", account: a }, () =>
    Promise.resolve(Response.json({ error: "invalid_grant" }, { status: 400 })),
  );
  assert.deepEqual(await send(sampleJob(), android), { outcome: "retry", error: "fcm token 400 invalid_grant" });
});
