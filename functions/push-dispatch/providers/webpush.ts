// Web Push: the web-push library builds the request (VAPID JWT, aes128gcm payload encryption, TTL,
// Urgency, Topic); it is sent here, to an endpoint on a known push service only.
import { webpush } from "../../_shared/deps.ts";
import type { PushDevice, PushJob } from "../../_shared/schemas.ts";
import {
  type DeviceOutcome,
  type Fetch,
  type ProviderRequest,
  send,
  type Sender,
  statusOutcome,
  ttlSeconds,
} from "./common.ts";

export interface WebPushConfig {
  /** VAPID contact: mailto: or https: URL. */
  subject: string;
  publicKey: string;
  privateKey: string;
  /** Hosts an endpoint may have (`*.example.com` covers subdomains): the browsers' push services by default. */
  allowedHosts: string[];
}

/** The push services of Chrome/Edge (FCM), Firefox (Mozilla autopush), Safari (Apple) and legacy Edge (WNS). */
export const DEFAULT_WEB_PUSH_HOSTS = [
  "fcm.googleapis.com",
  "updates.push.services.mozilla.com",
  "*.push.services.mozilla.com",
  "web.push.apple.com",
  "*.notify.windows.com",
];

/** Is the endpoint on an allowed host? Subscriptions are user input: never POST to anywhere else. */
export function endpointAllowed(endpoint: string, allowedHosts: string[]): boolean {
  let host: string;
  try {
    host = new URL(endpoint).host.toLowerCase();
  } catch {
    return false;
  }
  return allowedHosts.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.startsWith("*.") ? host.endsWith(p.slice(1)) : host === p;
  });
}

/** What the service worker receives (decrypted): the notification and its data. */
export function webPushPayload(job: PushJob): string {
  return JSON.stringify({
    title: job.title,
    body: job.body,
    tag: job.collapse_id,
    priority: job.priority,
    data: job.data,
  });
}

/** The encrypted request. Topic (the collapse id, 32 URL-safe characters) lets the service replace an undelivered one. */
export function webPushRequest(
  config: WebPushConfig,
  job: PushJob,
  device: PushDevice,
  now: number = Date.now(),
): ProviderRequest {
  if (!device.keys) throw new Error("a Web Push device without keys");
  const details = webpush.generateRequestDetails({ endpoint: device.token, keys: device.keys }, webPushPayload(job), {
    vapidDetails: { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey },
    TTL: ttlSeconds(job, now),
    urgency: job.priority === "high" ? "high" : "normal",
    topic: job.collapse_id.replaceAll("-", ""),
    contentEncoding: "aes128gcm",
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) headers[name] = String(value);
  return { url: details.endpoint, init: { method: "POST", headers, body: new Uint8Array(details.body as Uint8Array) } };
}

/** The push service's answer: 201 Created; 404/410 → the subscription is gone; 429/5xx → retry. */
export function webPushOutcome(res: Response): Promise<DeviceOutcome> {
  void res.body?.cancel();
  if (res.status >= 200 && res.status < 300)
    return Promise.resolve({
      outcome: "sent",
      ...(res.headers.get("Location") ? { provider_message_id: res.headers.get("Location")! } : {}),
    });
  const error = `webpush ${res.status}`;
  if (res.status === 404 || res.status === 410) return Promise.resolve({ outcome: "invalid", error });
  return Promise.resolve(statusOutcome(res, error));
}

export function webPushSender(config: WebPushConfig, fetchFn: Fetch = fetch): Sender {
  return (job, device) => {
    if (!endpointAllowed(device.token, config.allowedHosts)) {
      return Promise.resolve({
        outcome: "failed",
        error: `webpush endpoint host not allowed (WEB_PUSH_ALLOWED_HOSTS): ${new URL(device.token).host}`,
      });
    }
    return send(fetchFn, webPushRequest(config, job, device), webPushOutcome);
  };
}
