// FCM HTTP v1: a service-account JWT (RS256) traded for an OAuth access token, then one
// projects/<id>/messages:send per device.
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
  stringData,
  ttlSeconds,
} from "./common.ts";

/** The fields of a Google service-account key file FCM needs. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  /** Google's token endpoint (https://oauth2.googleapis.com/token in every real key file). */
  token_uri: string;
}

export interface FcmConfig {
  /** https://fcm.googleapis.com unless FCM_API_URL says otherwise (tests: a recorded endpoint). */
  apiUrl: string;
  account: ServiceAccount;
}

/** The OAuth scope FCM's send API needs. */
export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

/** The signed assertion of Google's JWT-bearer grant (RFC 7523): iss/sub the service account, aud the token URI, one hour. */
export async function fcmAssertion(
  account: ServiceAccount,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  const key = await importPKCS8(account.private_key, "RS256");
  return await new SignJWT({ scope: FCM_SCOPE })
    .setProtectedHeader({
      alg: "RS256",
      typ: "JWT",
      ...(account.private_key_id ? { kid: account.private_key_id } : {}),
    })
    .setIssuer(account.client_email)
    .setSubject(account.client_email)
    .setAudience(account.token_uri)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 3600)
    .sign(key);
}

/** The token request: form-encoded grant_type + assertion. */
export function fcmTokenRequest(account: ServiceAccount, assertion: string): ProviderRequest {
  return {
    url: account.token_uri,
    init: {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
    },
  };
}

/**
 * The message for one device: notification + data; data only for a cancel, and for a ring to an Android
 * device (high priority, so the app wakes and shows its own call screen, as calling apps do).
 */
export function fcmRequest(
  config: FcmConfig,
  accessToken: string,
  job: PushJob,
  device: PushDevice,
  now: number = Date.now(),
): ProviderRequest {
  const high = job.priority === "high";
  const ttl = ttlSeconds(job, now);
  const visible = isVisible(job) && !(job.kind === "call" && device.platform === "android");
  const message: Record<string, unknown> = {
    token: device.token,
    data: stringData(job.data),
    ...(visible ? { notification: { title: job.title, ...(job.body === null ? {} : { body: job.body }) } } : {}),
  };
  if (device.platform === "android") {
    message.android = {
      priority: high ? "HIGH" : "NORMAL",
      ttl: `${ttl}s`,
      collapse_key: job.collapse_id,
      ...(visible ? { notification: { tag: job.collapse_id } } : {}),
    };
  } else if (device.platform === "ios" || device.platform === "macos") {
    message.apns = {
      headers: {
        "apns-priority": visible ? "10" : "5",
        "apns-collapse-id": job.collapse_id,
        "apns-expiration": String(Math.floor(now / 1000) + ttl),
        "apns-push-type": visible ? "alert" : "background",
      },
      payload: {
        aps: visible ? { sound: "default", "thread-id": job.data.conversation_id } : { "content-available": 1 },
      },
    };
  } else {
    message.webpush = {
      headers: { Urgency: high ? "high" : "normal", TTL: String(ttl), Topic: job.collapse_id.replaceAll("-", "") },
    };
  }
  return {
    url: `${config.apiUrl.replace(/\/$/, "")}/v1/projects/${encodeURIComponent(config.account.project_id)}/messages:send`,
    init: {
      method: "POST",
      headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ message }),
    },
  };
}

/** FCM's answer: 200 {name}; UNREGISTERED, a bad token or another sender's token → invalid; 429/5xx → retry. */
export async function fcmOutcome(res: Response): Promise<DeviceOutcome> {
  const text = await res.text();
  let body: { name?: string; error?: { status?: string; message?: string; details?: Array<{ errorCode?: string }> } } =
    {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: the status decides
  }
  if (res.ok) return { outcome: "sent", ...(body.name ? { provider_message_id: body.name } : {}) };
  const code = body.error?.details?.find((d) => d.errorCode)?.errorCode ?? body.error?.status ?? "";
  const error = `fcm ${res.status} ${code} ${body.error?.message ?? ""}`.trim();
  if (code === "UNREGISTERED" || code === "SENDER_ID_MISMATCH" || res.status === 404)
    return { outcome: "invalid", error };
  if (code === "INVALID_ARGUMENT" && /registration token/i.test(body.error?.message ?? ""))
    return { outcome: "invalid", error };
  // An expired access token: the next attempt fetches a new one.
  if (res.status === 401) return { outcome: "retry", error };
  return statusOutcome(res, error);
}

/** The sender, with the access token cached until a minute before it expires. */
export function fcmSender(config: FcmConfig, fetchFn: Fetch = fetch): Sender {
  let cached: { token: string; until: number } | undefined;
  const accessToken = async (): Promise<string> => {
    if (cached && cached.until > Date.now()) return cached.token;
    const request = fcmTokenRequest(config.account, await fcmAssertion(config.account));
    const res = await fetchFn(request.url, { ...request.init, signal: AbortSignal.timeout(10_000) });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !body.access_token) throw new Error(`fcm token ${res.status} ${body.error ?? ""}`.trim());
    cached = { token: body.access_token, until: Date.now() + Math.max(60, (body.expires_in ?? 3600) - 60) * 1000 };
    return cached.token;
  };
  return async (job, device) => {
    let token: string;
    try {
      token = await accessToken();
    } catch (error) {
      return { outcome: "retry", error: error instanceof Error ? error.message : String(error) };
    }
    const outcome = await send(fetchFn, fcmRequest(config, token, job, device), fcmOutcome);
    if (outcome.error?.startsWith("fcm 401")) cached = undefined;
    return outcome;
  };
}
