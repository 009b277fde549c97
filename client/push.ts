// Push notifications: register this device's push target, the private-previews setting, the foreground
// heartbeat that keeps pushes away while the app is open, and reading a notification's data (docs/push.md).
import { pushNotificationData, type PushNotificationData } from "../functions/_shared/schemas.ts";
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { whileForeground } from "./foreground.ts";
import { rpc } from "./rpc.ts";
import type { PushDevice, PushPlatform, PushPreferences, PushProvider } from "./types.ts";

/** A push target to register. */
export interface PushTarget {
  /** expo | fcm | apns | webpush. */
  provider: PushProvider;
  /** The provider's token (Expo push token, FCM registration token, APNs device token in hex); for webpush the subscription endpoint. */
  token: string;
  /** ios | android | web | macos. */
  platform: PushPlatform;
  /** The app: required for APNs (its bundle id, the apns-topic); optional otherwise. */
  appId?: string;
  /** webpush only: the subscription's keys (PushSubscription.toJSON().keys). */
  keys?: { p256dh: string; auth: string };
}

/** A browser's `PushSubscription.toJSON()`: what `registerWebPush` takes. */
export interface WebPushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushHeartbeatOptions {
  /** How often to beat while in the foreground (default 30 s, at least 5 s); keep it under half of settings.push_offline_after_seconds (60 s). */
  everyMs?: number;
  /** A failed beat (default: ignored); the next period tries again. */
  onError?: (error: unknown) => void;
}

export function pushApi(db: ParleyRest) {
  const api = {
    /**
     * Registers this device for push. Registering the same token again returns the same row; a token
     * another account had moves to me (a shared phone).
     * @example
     * const device = await parley.push.register({ provider: "fcm", token: fcmToken, platform: "android", appId: "com.example.chat" });
     */
    async register(target: PushTarget): Promise<PushDevice> {
      return rpc(
        db,
        "register_push_device",
        {
          provider: target.provider,
          token: target.token,
          platform: target.platform,
          ...(target.appId === undefined ? {} : { app_id: target.appId }),
          ...(target.keys === undefined ? {} : { keys: target.keys }),
        },
        "single",
      );
    },
    /**
     * Registers a browser's Web Push subscription.
     * @example
     * const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: VAPID_PUBLIC_KEY });
     * await parley.push.registerWebPush(sub.toJSON() as WebPushSubscriptionJson);
     */
    registerWebPush(subscription: WebPushSubscriptionJson, options: { appId?: string } = {}): Promise<PushDevice> {
      return api.register({
        provider: "webpush",
        token: subscription.endpoint,
        platform: "web",
        keys: subscription.keys,
        ...options,
      });
    },
    /** Stops pushes to a token (or Web Push endpoint) of mine, e.g. at sign-out; false when it was not registered. */
    async unregister(token: string): Promise<boolean> {
      return rpc(db, "unregister_push_device", { token });
    },
    /** My registered devices. */
    async devices(): Promise<PushDevice[]> {
      return unwrap(await db.from("push_devices").select("*").order("created_at")) as PushDevice[];
    },
    /** My push settings (null before I changed any: previews shown). */
    async preferences(): Promise<PushPreferences | null> {
      return unwrap(await db.from("push_preferences").select("*").maybeSingle()) as PushPreferences | null;
    },
    /** `privatePreviews: true` — notifications say "New message" / "Incoming call" only. */
    async setPreferences(preferences: { privatePreviews: boolean }): Promise<PushPreferences> {
      return rpc(db, "set_push_preferences", { private_previews: preferences.privatePreviews }, "single");
    },
    /** One heartbeat: active now (no pushes for settings.push_offline_after_seconds), or `false`: in the background, pushes resume. */
    async markActive(active = true): Promise<string | null> {
      return rpc(db, "mark_active", { active });
    },
    /**
     * Marks me active while the app is in the foreground: now, every `everyMs`, and when a page becomes
     * visible again; a page that is hidden marks me inactive at once, so pushes start without waiting.
     * Returns the function that stops it (and marks me inactive).
     * @example
     * const stop = parley.push.heartbeat();
     * // on sign-out: stop(); await parley.push.unregister(token);
     */
    heartbeat(options: PushHeartbeatOptions = {}): () => void {
      const report = (e: unknown) => options.onError?.(e);
      const stop = whileForeground({
        everyMs: Math.max(5_000, options.everyMs ?? 30_000),
        beat: () => void api.markActive(true).catch(report),
        onHidden: () => void api.markActive(false).catch(report),
      });
      return () => {
        stop();
        api.markActive(false).catch(report);
      };
    },
    /**
     * A Parley notification's data (FCM `data`, APNs userInfo, Expo `data`, or the Web Push payload's
     * `data`), typed; null for anything else.
     * @example
     * const n = parley.push.parseNotification(remoteMessage.data);
     * if (n?.type === "call_cancel") stopRinging(n.call_id);
     */
    parseNotification(data: unknown): PushNotificationData | null {
      const parsed = pushNotificationData.safeParse(data);
      return parsed.success ? parsed.data : null;
    },
  };
  return api;
}
