// What every provider shares: the sender signature, Retry-After, time to live, HTTP status → outcome.
import type { PushDevice, PushJob, PushOutcome } from "../../_shared/schemas.ts";

/** A device's outcome without its id (the dispatcher adds it). */
export type DeviceOutcome = Omit<PushOutcome, "device_id">;

/** Sends one job to one device of its provider and says what happened. Never throws for provider answers. */
export type Sender = (job: PushJob, device: PushDevice) => Promise<DeviceOutcome>;

/** The fetch the senders use (injected in tests). */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** An HTTP request a provider builder produces: pure data, so tests can check it without sending. */
export interface ProviderRequest {
  url: string;
  init: RequestInit & { method: "POST"; headers: Record<string, string>; body: string | Uint8Array };
}

/** How long a notification is worth delivering: until its deadline (a ring), else a day. */
export function ttlSeconds(job: Pick<PushJob, "expires_at">, now: number = Date.now()): number {
  if (!job.expires_at) return 86_400;
  return Math.max(0, Math.floor((Date.parse(job.expires_at) - now) / 1000));
}

/** Retry-After as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The common reading of an error status: 429 and 5xx are worth a retry (honouring Retry-After), the rest is final. */
export function statusOutcome(res: Response, error: string): DeviceOutcome {
  if (res.status === 429 || res.status >= 500) {
    const retryAfter = retryAfterSeconds(res.headers.get("Retry-After"));
    return { outcome: "retry", error, ...(retryAfter === undefined ? {} : { retry_after: retryAfter }) };
  }
  return { outcome: "failed", error };
}

/** Sends a built request with a timeout; a network failure is a retry, never a throw. */
export async function send(
  fetchFn: Fetch,
  request: ProviderRequest,
  read: (res: Response) => Promise<DeviceOutcome>,
): Promise<DeviceOutcome> {
  let res: Response;
  try {
    res = await fetchFn(request.url, { ...request.init, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return { outcome: "retry", error: `unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
  return await read(res);
}

/** FCM's and APNs's data maps take strings only: scalars as text, anything else as JSON. */
export function stringData(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** A notification that shows something (the rest are data-only: a cancel). */
export function isVisible(job: Pick<PushJob, "title">): boolean {
  return job.title !== null;
}
