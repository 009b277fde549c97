// push-dispatch's door: only the shared secret or the service role key drains the outbox.
import assert from "node:assert/strict";
import { constantTimeEqual } from "./auth.ts";
import { readPushConfig } from "./config.ts";
import { createDispatchHandler } from "./handler.ts";

const ENV: Record<string, string> = {
  PUSH_DISPATCH_SECRET: "a-long-shared-dispatch-secret",
  SUPABASE_SERVICE_ROLE_KEY: "service-role-key-0123456789",
};

function setup(env: Record<string, string> = ENV) {
  let claims = 0;
  const handler = createDispatchHandler({
    config: readPushConfig((n) => env[n]),
    store: { claim: () => (claims++, Promise.resolve([])), finish: () => Promise.resolve() },
    senders: {},
    log: () => undefined,
  });
  return { handler, claims: () => claims };
}

const post = (auth?: string) =>
  new Request("http://localhost/push-dispatch", {
    method: "POST",
    headers: auth ? { Authorization: auth } : {},
    body: "{}",
  });

Deno.test("handler: no, a wrong or a partial secret is 401 and leases nothing", async () => {
  const { handler, claims } = setup();
  for (const auth of [
    undefined,
    "Bearer wrong",
    "Bearer a-long-shared-dispatch-secre",
    "a-long-shared-dispatch-secret",
    "Basic a-long-shared-dispatch-secret",
  ]) {
    const res = await handler(post(auth));
    assert.equal(res.status, 401, String(auth));
    assert.equal((await res.json()).error.code, "unauthorized");
  }
  assert.equal(claims(), 0);
});

Deno.test("handler: the shared secret or the service role key drains the outbox", async () => {
  const { handler, claims } = setup();
  const res = await handler(post("Bearer a-long-shared-dispatch-secret"));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { jobs: 0, sent: 0, retried: 0, invalid: 0, failed: 0 });
  assert.equal((await handler(post("Bearer service-role-key-0123456789"))).status, 200);
  assert.equal(claims(), 2);
});

Deno.test("handler: without any secret configured nobody gets in; GET is 405", async () => {
  const { handler } = setup({});
  assert.equal((await handler(post("Bearer "))).status, 401);
  assert.equal((await setup().handler(new Request("http://localhost/push-dispatch"))).status, 405);
});

Deno.test("config: providers are on only with complete credentials; endpoints come from the environment", () => {
  const c = readPushConfig(
    (n) =>
      (
        ({
          FCM_SERVICE_ACCOUNT: "{not json",
          APNS_KEY: "k",
          VAPID_PUBLIC_KEY: "p",
          VAPID_PRIVATE_KEY: "s",
          VAPID_SUBJECT: "mailto:a@b",
          WEB_PUSH_ALLOWED_HOSTS: "127.0.0.1:9, push.example",
          FCM_API_URL: "http://x",
          EXPO_PUSH_URL: "http://127.0.0.1:1/expo",
        }) as Record<string, string>
      )[n],
  );
  assert.equal(c.fcm, undefined);
  assert.equal(c.apns, undefined);
  assert.deepEqual(c.webpush?.allowedHosts, ["127.0.0.1:9", "push.example"]);
  assert.equal(c.expo.url, "http://127.0.0.1:1/expo");
  assert.equal(c.warnings.length, 2);
});

Deno.test("auth: constant-time comparison tells equal from unequal, whatever the lengths", async () => {
  assert.equal(await constantTimeEqual("same-secret", "same-secret"), true);
  assert.equal(await constantTimeEqual("same-secret", "same-secreT"), false);
  assert.equal(await constantTimeEqual("short", "a much longer value"), false);
});
