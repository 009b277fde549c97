// APNs: a provider token (ES256 JWT from the .p8 key, reused for up to 50 minutes) and one
// POST /3/device/<token> per device. Deno's fetch speaks HTTP/2 to api.push.apple.com (TLS ALPN), which
// APNs requires.
import { importPKCS8, SignJWT } from "../../_shared/deps.ts";
import type { PushDevice, PushJob } from "../../_shared/schemas.ts";
import {
  type DeviceOutcome,
  type Fetch,
  isVisible,
  type ProviderRequest,
  send,
  type Sender,
  statusOutcome,
  ttlSeconds,
} from "./common.ts";

export interface ApnsConfig {
  /** https://api.push.apple.com (production) unless APNS_URL says otherwise (https://api.sandbox.push.apple.com, a test endpoint). */
  url: string;
  teamId: string;
  keyId: string;
  /** The .p8 key file's PEM text (PKCS#8, P-256). */
  privateKey: string;
}

/** The provider token: header {alg: ES256, kid: key id}, claims {iss: team id, iat}. */
export async function apnsProviderToken(
  config: ApnsConfig,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  const key = await importPKCS8(config.privateKey, "ES256");
  return await new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: config.keyId })
    .setIssuer(config.teamId)
    .setIssuedAt(nowSeconds)
    .sign(key);
}

/**
 * The request for one device. Alerts (messages, rings, missed calls) at priority 10, a ring as a
 * time-sensitive alert; a cancel as a background push, which APNs accepts at priority 5 only.
 */
export function apnsRequest(
  config: ApnsConfig,
  providerToken: string,
  job: PushJob,
  device: PushDevice,
  now: number = Date.now(),
): ProviderRequest {
  const visible = isVisible(job);
  const aps = visible
    ? {
        alert: { title: job.title, ...(job.body === null ? {} : { body: job.body }) },
        sound: "default",
        "thread-id": job.data.conversation_id,
        ...(job.kind === "call" ? { "interruption-level": "time-sensitive" } : {}),
      }
    : { "content-available": 1 };
  return {
    url: `${config.url.replace(/\/$/, "")}/3/device/${encodeURIComponent(device.token)}`,
    init: {
      method: "POST",
      headers: {
        authorization: `bearer ${providerToken}`,
        "apns-topic": device.app_id ?? "",
        "apns-push-type": visible ? "alert" : "background",
        "apns-priority": visible ? "10" : "5",
        "apns-expiration": String(Math.floor(now / 1000) + ttlSeconds(job, now)),
        "apns-collapse-id": job.collapse_id,
        "apns-id": job.id,
        "content-type": "application/json",
      },
      body: JSON.stringify({ aps, ...job.data }),
    },
  };
}

/** APNs's answer: 200; 410 Unregistered and token reasons → invalid; a stale provider token, 429, 5xx → retry. */
export async function apnsOutcome(res: Response): Promise<DeviceOutcome> {
  const text = await res.text();
  let reason = "";
  try {
    reason = (text ? (JSON.parse(text) as { reason?: string }).reason : "") ?? "";
  } catch {
    // not JSON: the status decides
  }
  if (res.status === 200)
    return {
      outcome: "sent",
      ...(res.headers.get("apns-id") ? { provider_message_id: res.headers.get("apns-id")! } : {}),
    };
  const error = `apns ${res.status} ${reason}`.trim();
  if (res.status === 410 || ["BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"].includes(reason))
    return { outcome: "invalid", error };
  if (res.status === 403 && (reason === "ExpiredProviderToken" || reason === "InvalidProviderToken"))
    return { outcome: "retry", error };
  return statusOutcome(res, error);
}

/** The sender, with the provider token kept for 50 minutes (Apple: between 20 and 60). */
export function apnsSender(config: ApnsConfig, fetchFn: Fetch = fetch): Sender {
  let cached: { token: string; until: number } | undefined;
  return async (job, device) => {
    if (!cached || cached.until <= Date.now())
      cached = { token: await apnsProviderToken(config), until: Date.now() + 50 * 60_000 };
    const outcome = await send(fetchFn, apnsRequest(config, cached.token, job, device), apnsOutcome);
    if (outcome.error?.includes("ProviderToken")) cached = undefined;
    return outcome;
  };
}
