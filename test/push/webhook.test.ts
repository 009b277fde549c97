// The whole chain with nothing called by hand: A's send commits, the outbox trigger's pg_net request
// (the Database Webhook) reaches push-dispatch after the commit, and B's recorded FCM endpoint gets the
// notification. Needs the stack's pg_net stand-in and the webhook target npm test sets
// (pointPushWebhookAt in test/support/push-recorder.ts).
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createParley } from "../../client/index.ts";
import { newUser, parleyOf } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";
import type { RecordedPush } from "../support/push-recorder.ts";

const recorder = stackEnv.pushRecorderUrl;
if (!recorder)
  throw new Error("test/push needs the recorded push providers: run it through npm test or vitest's global setup");

/** Waits, without dispatching, until `key` has received `count` requests. */
async function arrived(key: string, count: number, timeoutMs = 30_000): Promise<RecordedPush[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = (await (await fetch(`${recorder}/_recorded?key=${encodeURIComponent(key)}`)).json()) as RecordedPush[];
    if (got.length >= count) return got;
    if (Date.now() > deadline)
      throw new Error(`${key}: ${got.length} of ${count} pushes arrived within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("push: the Database Webhook drives delivery", () => {
  it("a committed message reaches the offline member's phone with no dispatcher call (rollbacks send nothing: packages/local-supabase/test/stack/net.test.ts)", async () => {
    const [a, b] = await Promise.all([newUser({ displayName: "Ann Hook" }), newUser()]);
    const token = `hook-${randomUUID()}`;
    await createParley(b.client).push.register({
      provider: "fcm",
      token,
      platform: "android",
      appId: "com.example.parley",
    });
    const { data: msg, error } = await parleyOf(a.client).rpc("send_direct_message", {
      recipient_id: b.id,
      body: "via the webhook",
    });
    expect(error).toBeNull();
    const [first] = await arrived(token, 1);
    const message = (first!.body as { message: { notification?: { body?: string }; data?: Record<string, string> } })
      .message;
    expect(message.notification?.body).toBe("via the webhook");
    expect(message.data).toMatchObject({ conversation_id: msg.conversation_id, message_id: msg.id });
  });
});
