// Expo's push API: POST /--/api/v2/push/send with a one-message array; the ticket says ok or why not.
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

export interface ExpoConfig {
  /** https://exp.host/--/api/v2/push/send unless EXPO_PUSH_URL says otherwise. */
  url: string;
  /** EXPO_ACCESS_TOKEN, when the project enforces push security. */
  accessToken?: string | undefined;
}

/** The request: a visible notification with sound, or a data-only one (`_contentAvailable`) for a cancel. */
export function expoRequest(
  config: ExpoConfig,
  job: PushJob,
  device: PushDevice,
  now: number = Date.now(),
): ProviderRequest {
  const visible = isVisible(job);
  const message = {
    to: device.token,
    data: job.data,
    priority: job.priority === "high" ? "high" : "normal",
    ttl: ttlSeconds(job, now),
    ...(visible
      ? { title: job.title, ...(job.body === null ? {} : { body: job.body }), sound: "default" }
      : { _contentAvailable: true }),
    ...(job.kind === "call" ? { interruptionLevel: "time-sensitive" } : {}),
  };
  return {
    url: config.url,
    init: {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        ...(config.accessToken ? { Authorization: `Bearer ${config.accessToken}` } : {}),
      },
      body: JSON.stringify([message]),
    },
  };
}

/** The ticket: ok {id}; DeviceNotRegistered → invalid; MessageRateExceeded, 429, 5xx → retry. */
export async function expoOutcome(res: Response): Promise<DeviceOutcome> {
  const body = (await res.json().catch(() => ({}))) as {
    data?: Array<{ status?: string; id?: string; message?: string; details?: { error?: string } }>;
  };
  if (!res.ok) return statusOutcome(res, `expo ${res.status}`);
  const ticket = body.data?.[0];
  if (ticket?.status === "ok") return { outcome: "sent", ...(ticket.id ? { provider_message_id: ticket.id } : {}) };
  const code = ticket?.details?.error ?? "unknown";
  const error = `expo ${code} ${ticket?.message ?? ""}`.trim();
  if (code === "DeviceNotRegistered") return { outcome: "invalid", error };
  if (code === "MessageRateExceeded") return { outcome: "retry", error };
  return { outcome: "failed", error };
}

export function expoSender(config: ExpoConfig, fetchFn: Fetch = fetch): Sender {
  return (job, device) => send(fetchFn, expoRequest(config, job, device), expoOutcome);
}
