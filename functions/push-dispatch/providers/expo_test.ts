// Expo push API request building and ticket reading.
import assert from "node:assert/strict";
import { sampleCancel, sampleJob, sampleRing } from "../testing.ts";
import { expoOutcome, expoRequest } from "./expo.ts";

const phone = {
  id: "d3",
  provider: "expo" as const,
  token: "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]",
  keys: null,
  platform: "android" as const,
  app_id: null,
};

Deno.test("expo: one message in an array, with the access token when the project has one", () => {
  const r = expoRequest(
    { url: "https://exp.example.test/--/api/v2/push/send", accessToken: "expo-token" },
    sampleJob(),
    phone,
    0,
  );
  assert.equal(r.url, "https://exp.example.test/--/api/v2/push/send");
  assert.equal(r.init.headers.Authorization, "Bearer expo-token");
  assert.deepEqual(JSON.parse(String(r.init.body)), [
    {
      to: phone.token,
      data: sampleJob().data,
      priority: "normal",
      ttl: 86400,
      title: "Ann",
      body: "Hello Bob",
      sound: "default",
    },
  ]);
  assert.equal(expoRequest({ url: "https://e" }, sampleJob(), phone).init.headers.Authorization, undefined);
});

Deno.test("expo: a ring is high priority and time-sensitive; a cancel is data only", () => {
  const ring = JSON.parse(String(expoRequest({ url: "https://e" }, sampleRing(), phone).init.body))[0];
  assert.deepEqual([ring.priority, ring.interruptionLevel, ring.title], ["high", "time-sensitive", "Ann"]);
  const cancel = JSON.parse(String(expoRequest({ url: "https://e" }, sampleCancel(), phone).init.body))[0];
  assert.deepEqual([cancel.title, cancel._contentAvailable, cancel.priority], [undefined, true, "high"]);
});

Deno.test("expo: tickets — ok sent, DeviceNotRegistered invalid, 429 retry, MessageTooBig failed", async () => {
  assert.deepEqual(await expoOutcome(Response.json({ data: [{ status: "ok", id: "XXXX-1" }] })), {
    outcome: "sent",
    provider_message_id: "XXXX-1",
  });
  assert.equal(
    (
      await expoOutcome(
        Response.json({
          data: [{ status: "error", message: "not registered", details: { error: "DeviceNotRegistered" } }],
        }),
      )
    ).outcome,
    "invalid",
  );
  assert.deepEqual(await expoOutcome(new Response("slow down", { status: 429, headers: { "Retry-After": "3" } })), {
    outcome: "retry",
    error: "expo 429",
    retry_after: 3,
  });
  assert.equal(
    (await expoOutcome(Response.json({ data: [{ status: "error", details: { error: "MessageTooBig" } }] }))).outcome,
    "failed",
  );
});
