// End to end: B's app is closed, A writes, push-dispatch (called over HTTP as the Database Webhook calls it)
// delivers through recorded FCM and Web Push services (test/support/push-recorder.ts), which check the
// OAuth and VAPID credentials as the real ones do. Web Push bodies are decrypted as the browser would.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptWebPush, testSubscription } from "../../functions/push-dispatch/testing.ts";
import { createParley } from "../../client/index.ts";
import { newUser, parleyOf, type TestUser } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";
import type { RecordedPush } from "../support/push-recorder.ts";
import { acquaint } from "../support/contacts.ts";
import { inTransaction } from "@parley/local-supabase/testing";
import { db } from "@parley/local-supabase/testing/realtime";

const recorder = stackEnv.pushRecorderUrl;
if (!recorder)
  throw new Error(
    "test/push needs the recorded push providers: run it through npm test or vitest's global setup (PARLEY_TEST_PUSH_RECORDER_URL)",
  );

/** What the outbox's Database Webhook does: POST push-dispatch with the service key. */
async function dispatch(): Promise<{ jobs: number; sent: number; retried: number; invalid: number; failed: number }> {
  const res = await fetch(`${stackEnv.url}/functions/v1/push-dispatch`, {
    method: "POST",
    headers: { Authorization: `Bearer ${stackEnv.serviceRoleKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ reason: "test" }),
  });
  expect(res.status).toBe(200);
  return await res.json();
}

async function recorded(key: string): Promise<RecordedPush[]> {
  return (await (await fetch(`${recorder}/_recorded?key=${encodeURIComponent(key)}`)).json()) as RecordedPush[];
}

/** Runs the dispatcher until `key` has received `count` requests (other suites' dispatcher runs may deliver them too). */
async function untilRecorded(key: string, count: number, timeoutMs = 20_000): Promise<RecordedPush[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await recorded(key);
    if (got.length >= count) return got;
    if (Date.now() > deadline)
      throw new Error(`${key}: ${got.length} of ${count} pushes arrived within ${timeoutMs} ms`);
    await dispatch();
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fcmToken = (prefix = "") => `${prefix}e2e-${randomUUID()}`;

interface Phone {
  parley: ReturnType<typeof createParley>;
  fcm: string;
  web?: Awaited<ReturnType<typeof testSubscription>>;
  webKey?: string;
}

/** B's phone (FCM) and, optionally, B's browser (a Web Push subscription on the recorded push service). */
async function devicesOf(user: TestUser, opts: { fcmPrefix?: string; web?: boolean } = {}): Promise<Phone> {
  const parley = createParley(user.client);
  const fcm = fcmToken(opts.fcmPrefix);
  await parley.push.register({ provider: "fcm", token: fcm, platform: "android", appId: "com.example.parley" });
  if (!opts.web) return { parley, fcm };
  const webKey = `e2e-${randomUUID()}`;
  const web = await testSubscription(`${recorder}/webpush/${webKey}`);
  await parley.push.registerWebPush({ endpoint: web.endpoint, keys: web.keys });
  return { parley, fcm, web, webKey };
}

const fcmMessage = (r: RecordedPush) => (r.body as { message: Record<string, any> }).message;
const webPayload = async (r: RecordedPush, phone: Phone) =>
  JSON.parse(await decryptWebPush(Buffer.from(r.body as string, "base64"), phone.web!));

async function jobsOf(
  userId: string,
): Promise<
  Array<{ id: string; kind: string; status: string; attempts: number; due_at: Date; last_error: string | null }>
> {
  return (
    await db().query(
      `select id, kind, status, attempts, due_at, last_error from parley_internal.push_jobs where user_id = $1 order by created_at`,
      [userId],
    )
  ).rows;
}

describe("push: messages to an offline member", () => {
  it("B's FCM and Web Push endpoints each receive exactly one notification per message, with what B may see", async () => {
    const [a, b] = await Promise.all([newUser({ displayName: "Ann Push" }), newUser()]);
    const phone = await devicesOf(b, { web: true });
    const { data: msg, error } = await parleyOf(a.client).rpc("send_direct_message", {
      recipient_id: b.id,
      body: "Hello B",
    });
    expect(error).toBeNull();
    await Promise.all([untilRecorded(phone.fcm, 1), untilRecorded(phone.webKey!, 1)]);
    // The sentinel: a second message after the first arrived; anything repeated would be in between.
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "sentinel" });
    const [fcm, web] = await Promise.all([untilRecorded(phone.fcm, 2), untilRecorded(phone.webKey!, 2)]);

    expect(fcm.map((r) => [r.status, fcmMessage(r).notification?.body])).toEqual([
      [200, "Hello B"],
      [200, "sentinel"],
    ]);
    const first = fcmMessage(fcm[0]!);
    expect(first.notification).toEqual({ title: "Ann Push", body: "Hello B" });
    expect(first.data).toMatchObject({
      type: "message",
      conversation_id: msg.conversation_id,
      message_id: msg.id,
      count: "1",
      mention: "false",
    });
    expect(first.android).toMatchObject({ priority: "NORMAL", collapse_key: msg.conversation_id });
    // The recorder answers 200 only to an access token it issued for a valid service-account assertion.
    expect(fcm[0]!.headers.authorization).toMatch(/^Bearer ya29\./);

    expect(web.map((r) => r.status)).toEqual([201, 201]);
    expect(web[0]!.headers).toMatchObject({
      "content-encoding": "aes128gcm",
      urgency: "normal",
      topic: msg.conversation_id.replaceAll("-", ""),
    });
    const payload = await webPayload(web[0]!, phone);
    expect(payload).toMatchObject({
      title: "Ann Push",
      body: "Hello B",
      tag: msg.conversation_id,
      data: { type: "message", message_id: msg.id },
    });
    expect((await webPayload(web[1]!, phone)).body).toBe("sentinel");
    expect(phone.parley.push.parseNotification(payload.data)).toMatchObject({
      type: "message",
      conversation_id: msg.conversation_id,
      count: 1,
    });
  }, 60_000);

  it("muted: nothing; a mention in the muted conversation: one", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const phone = await devicesOf(b);
    const { data: conversation } = await parleyOf(a.client)
      .rpc("get_or_create_direct_conversation", { other_user_id: b.id })
      .single<{ id: string }>();
    await phone.parley.conversations.mute(conversation!.id, new Date(Date.now() + 3_600_000));
    await parleyOf(a.client).rpc("send_message", { conversation_id: conversation!.id, body: "quiet" });
    expect(await dispatch()).toBeTruthy();
    await parleyOf(a.client).rpc("send_message", {
      conversation_id: conversation!.id,
      body: "look at this",
      metadata: { mentions: [b.id] },
    });
    const got = await untilRecorded(phone.fcm, 1);
    await parleyOf(a.client).rpc("send_message", {
      conversation_id: conversation!.id,
      body: "and this",
      metadata: { mentions: [b.id] },
    });
    const all = await untilRecorded(phone.fcm, 2);
    expect(got[0] && fcmMessage(got[0]).notification.body).toBe("Mentioned you: look at this");
    expect(all.map((r) => fcmMessage(r).notification.body)).toEqual([
      "Mentioned you: look at this",
      "Mentioned you: and this",
    ]);
    expect(fcmMessage(all[0]!).data.mention).toBe("true");
  }, 60_000);

  it("active (heartbeat): nothing; back in the background: the next one arrives", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const phone = await devicesOf(b);
    expect(await phone.parley.push.markActive()).not.toBeNull();
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "while you look" });
    await dispatch();
    expect(await phone.parley.push.markActive(false)).toBeNull();
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "after you left" });
    await untilRecorded(phone.fcm, 1);
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "sentinel" });
    const all = await untilRecorded(phone.fcm, 2);
    expect(all.map((r) => fcmMessage(r).notification.body)).toEqual(["after you left", "sentinel"]);
  }, 60_000);
});

/** Runs `statements` as `user` in one transaction on the superuser pool: what commits together. */
async function inOneTransaction(user: TestUser, statements: Array<[string, unknown[]]>): Promise<void> {
  await inTransaction(db(), async (c) => {
    await c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [
      JSON.stringify({ sub: user.id, role: "authenticated" }),
    ]);
    for (const [sql, params] of statements) await c.query(sql, params);
  });
}

describe("push: the outbox (one row per message, folded per member by the dispatcher)", () => {
  it("ten messages that wait together reach B as one notification with the count and the newest text", async () => {
    const [a, b] = await Promise.all([newUser({ displayName: "Ann Burst" }), newUser()]);
    const phone = await devicesOf(b);
    const { data: conversation } = await parleyOf(a.client)
      .rpc("get_or_create_direct_conversation", { other_user_id: b.id })
      .single<{ id: string }>();
    await inOneTransaction(a, [
      [`select parley.send_message($1, 'quick ' || n) from generate_series(1, 10) n`, [conversation!.id]],
    ]);
    await untilRecorded(phone.fcm, 1);
    await parleyOf(a.client).rpc("send_message", { conversation_id: conversation!.id, body: "sentinel" });
    const all = await untilRecorded(phone.fcm, 2);
    expect(all.map((r) => fcmMessage(r).notification.body)).toEqual(["10 new messages · quick 10", "sentinel"]);
    expect(fcmMessage(all[0]!).data).toMatchObject({ type: "message", count: "10" });
  }, 60_000);

  it("a member removed from the group before the dispatcher came gets nothing; the others get theirs", async () => {
    const [a, b, c] = await Promise.all([newUser({ displayName: "Ann Owner" }), newUser(), newUser()]);
    await acquaint(a, [b, c]); // people who have talked before: added as members, not invited
    const [bPhone, cPhone] = await Promise.all([devicesOf(b), devicesOf(c)]);
    const { data: group, error } = await parleyOf(a.client)
      .rpc("create_group", { title: "Leaving soon", member_ids: [b.id, c.id] })
      .single<{ id: string }>();
    expect(error).toBeNull();
    await inOneTransaction(a, [
      [`select parley.send_message($1, 'before you go')`, [group!.id]],
      [`select parley.remove_member($1, $2)`, [group!.id, b.id]],
    ]);
    const [got] = await untilRecorded(cPhone.fcm, 1);
    expect(fcmMessage(got!).notification.body).toBe("Ann Owner: before you go");
    // B's notification was folded from the same outbox row; settled by the claim that takes it.
    for (let n = 0; (await jobsOf(b.id)).some((j) => j.status === "pending") && n < 50; n++) await dispatch();
    expect((await jobsOf(b.id)).map((j) => [j.status, j.last_error])).toEqual([["skipped", "not_a_member"]]);
    expect(await recorded(bPhone.fcm)).toEqual([]);
  }, 60_000);
});

describe("push: calls", () => {
  it("a call rings B's devices at high priority until the deadline, and a cancel follows when B answers elsewhere", async () => {
    const [a, b] = await Promise.all([newUser({ displayName: "Ann Caller" }), newUser()]);
    const phone = await devicesOf(b, { web: true });
    const { data: conversation } = await parleyOf(a.client)
      .rpc("get_or_create_direct_conversation", { other_user_id: b.id })
      .single<{ id: string }>();
    const { data: call, error } = await parleyOf(a.client)
      .rpc("start_call", { conversation_id: conversation!.id, media: "video" })
      .single<{ id: string }>();
    expect(error).toBeNull();
    const [ring] = await untilRecorded(phone.fcm, 1);
    const ringMessage = fcmMessage(ring!);
    expect(ringMessage.notification).toBeUndefined(); // data only: the app shows its call screen
    expect(ringMessage.android.priority).toBe("HIGH");
    expect(Number(ringMessage.android.ttl.replace("s", ""))).toBeLessThanOrEqual(45);
    expect(ringMessage.data).toMatchObject({ type: "call", call_id: call!.id, media: "video", caller_id: a.id });
    const [webRing] = await untilRecorded(phone.webKey!, 1);
    expect(webRing!.headers.urgency).toBe("high");
    expect(await webPayload(webRing!, phone)).toMatchObject({
      title: "Ann Caller",
      body: "Incoming video call",
      data: { type: "call", call_id: call!.id },
    });

    // B answers on another device (this client, as the web app would).
    const { error: acceptError } = await parleyOf(b.client).rpc("accept_call", { call_id: call!.id });
    expect(acceptError).toBeNull();
    const fcm = await untilRecorded(phone.fcm, 2);
    const cancel = fcmMessage(fcm[1]!);
    expect(cancel.notification).toBeUndefined();
    expect(cancel.android.priority).toBe("HIGH");
    expect(cancel.data).toEqual({
      type: "call_cancel",
      call_id: call!.id,
      conversation_id: conversation!.id,
      reason: "answered",
    });
    const web = await untilRecorded(phone.webKey!, 2);
    expect((await webPayload(web[1]!, phone)).data).toEqual(cancel.data);
    await parleyOf(b.client).rpc("end_call", { call_id: call!.id });
  }, 60_000);
});

describe("push: provider errors", () => {
  it("a token the provider calls unregistered is removed from the member's devices", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const phone = await devicesOf(b, { fcmPrefix: "invalid-" });
    expect((await phone.parley.push.devices()).map((d) => d.token)).toEqual([phone.fcm]);
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "anyone there?" });
    const [answer] = await untilRecorded(phone.fcm, 1);
    expect(answer!.status).toBe(404);
    for (const deadline = Date.now() + 10_000; (await phone.parley.push.devices()).length > 0 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 100));
    expect(await phone.parley.push.devices()).toEqual([]);
    expect((await jobsOf(b.id)).map((j) => j.status)).toEqual(["failed"]);
  }, 60_000);

  it("429 with Retry-After: tried again no sooner than asked, then delivered", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const phone = await devicesOf(b, { fcmPrefix: "ratelimited-" });
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "later is fine" });
    const [first] = await untilRecorded(phone.fcm, 1);
    expect(first!.status).toBe(429);
    const all = await untilRecorded(phone.fcm, 2);
    expect(all[1]!.status).toBe(200);
    expect(all[1]!.at - first!.at).toBeGreaterThanOrEqual(1_000 - 50);
    for (const deadline = Date.now() + 10_000; (await jobsOf(b.id))[0]?.status !== "sent" && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 100));
    expect((await jobsOf(b.id)).map((j) => [j.status, j.attempts])).toEqual([["sent", 2]]);
  }, 60_000);

  it("5xx: retried with a growing backoff, given up after push_max_attempts (5), the error recorded", async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const phone = await devicesOf(b, { fcmPrefix: "down-" });
    await parleyOf(a.client).rpc("send_direct_message", { recipient_id: b.id, body: "are you up?" });
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await untilRecorded(phone.fcm, attempt);
      let job = (await jobsOf(b.id))[0]!;
      for (
        const deadline = Date.now() + 10_000;
        (job.status === "sending" || job.attempts < attempt) && Date.now() < deadline;
      ) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await jobsOf(b.id))[0]!;
      }
      if (attempt < 5) {
        expect(job.status).toBe("retrying");
        waits.push(Math.round((job.due_at.getTime() - Date.now()) / 1000));
        // Time moves on (a fixture, instead of waiting 2 + 4 + 8 + 16 s): the job is due now.
        await db().query(`update parley_internal.push_jobs set due_at = now() where id = $1`, [job.id]);
      } else {
        expect([job.status, job.attempts, job.last_error]).toEqual(["failed", 5, "fcm 503 UNAVAILABLE"]);
      }
    }
    // 2 s, 4 s, 8 s, 16 s (less the moments the test took to read them).
    expect(waits.map((w, i) => w <= 2 ** (i + 1) && w >= 2 ** (i + 1) - 2)).toEqual([true, true, true, true]);
    await dispatch();
    expect((await recorded(phone.fcm)).length).toBe(5);
  }, 90_000);
});
