// The SDK's push module: registering devices, the private-previews setting and the foreground heartbeat,
// through PostgREST and RLS (delivery itself: test/push/).
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newParleyUser, refusal } from "./parley.ts";

const token = () => `sdk-${randomUUID()}`;

describe("client SDK: push", () => {
  it("registers a device once however often, lists it, and unregisters it", async () => {
    const ann = await newParleyUser();
    const t = token();
    const first = await ann.parley.push.register({
      provider: "fcm",
      token: t,
      platform: "android",
      appId: "com.example.chat",
    });
    const again = await ann.parley.push.register({
      provider: "fcm",
      token: t,
      platform: "android",
      appId: "com.example.chat",
    });
    expect(again.id).toBe(first.id);
    expect((await ann.parley.push.devices()).map((d) => [d.provider, d.token, d.app_id])).toEqual([
      ["fcm", t, "com.example.chat"],
    ]);
    expect(await ann.parley.push.unregister(t)).toBe(true);
    expect(await ann.parley.push.unregister(t)).toBe(false);
    expect(await ann.parley.push.devices()).toEqual([]);
  });

  it("refuses a malformed token or subscription with its code", async () => {
    const ann = await newParleyUser();
    expect(
      await refusal(ann.parley.push.register({ provider: "apns", token: "not-hex", platform: "ios", appId: "com.x" })),
    ).toMatchObject({ code: "push_token_invalid", status: 400 });
    expect(
      await refusal(
        ann.parley.push.registerWebPush({
          endpoint: "https://push.example.test/x",
          keys: { p256dh: "short", auth: "x" },
        }),
      ),
    ).toMatchObject({ code: "push_subscription_invalid", status: 400 });
  });

  it("private previews are mine to set and read", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    expect(await ann.parley.push.preferences()).toBeNull();
    expect((await ann.parley.push.setPreferences({ privatePreviews: true })).private_previews).toBe(true);
    expect((await ann.parley.push.preferences())?.private_previews).toBe(true);
    expect(await bob.parley.push.preferences()).toBeNull();
  });

  it("heartbeat marks me active at once, and inactive when stopped", async () => {
    const ann = await newParleyUser();
    const activeAt = async () => (await ann.parley.push.preferences())?.active_at ?? null;
    const stop = ann.parley.push.heartbeat({ everyMs: 5_000 });
    await expect.poll(activeAt, { timeout: 5_000, interval: 100 }).not.toBeNull();
    stop();
    await expect.poll(activeAt, { timeout: 5_000, interval: 100 }).toBeNull();
  });

  it("reads a notification's data, FCM's string values too, and nothing else", async () => {
    const ann = await newParleyUser();
    expect(
      ann.parley.push.parseNotification({
        type: "message",
        conversation_id: "c",
        count: "3",
        unread_count: "5",
        mention: "true",
        seq: "9",
      }),
    ).toEqual({ type: "message", conversation_id: "c", count: 3, unread_count: 5, mention: true, seq: 9 });
    expect(
      ann.parley.push.parseNotification({
        type: "call_cancel",
        call_id: "k",
        conversation_id: "c",
        reason: "answered",
      }),
    ).toMatchObject({ type: "call_cancel" });
    expect(ann.parley.push.parseNotification({ type: "promo" })).toBeNull();
  });
});
