// Test helpers: sign a webhook body exactly as LiveKit's server does (a JWT carrying the body's sha256).
import { AccessToken } from "./deps.ts";

/** base64(sha256(body)): the `sha256` claim LiveKit puts in a webhook's Authorization JWT. */
export async function bodySha256(body: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return btoa(Array.from(hash, (b) => String.fromCharCode(b)).join(""));
}

/** The Authorization header value LiveKit sends with a webhook: a JWT issued by the API key, signed with the secret. */
export async function signWebhook(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: "5m" });
  token.sha256 = await bodySha256(body);
  return await token.toJwt();
}

/** A webhook body as LiveKit serialises it (protobuf JSON: camelCase, int64 as strings). */
export function webhookBody(fields: {
  event: string;
  id: string;
  room?: string;
  identity?: string;
  createdAt?: number;
  extra?: Record<string, unknown>;
}): string {
  return JSON.stringify({
    event: fields.event,
    id: fields.id,
    createdAt: String(fields.createdAt ?? Math.floor(Date.now() / 1000)),
    ...(fields.room ? { room: { sid: "RM_test", name: fields.room, emptyTimeout: 300, maxParticipants: 2 } } : {}),
    ...(fields.identity ? { participant: { sid: "PA_test", identity: fields.identity, name: "Test", state: "ACTIVE" } } : {}),
    ...fields.extra,
  });
}
