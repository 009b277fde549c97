// Adapters over livekit-server-sdk: mint a call token, receive a signed webhook, close a room, disconnect
// participants.
import {
  AccessToken,
  RoomConfiguration,
  RoomServiceClient,
  WebhookReceiver,
  type VideoGrant,
  type WebhookEvent,
} from "./deps.ts";
import type { LiveKitConfig } from "./livekit-config.ts";

export interface MintInput {
  identity: string;
  name: string;
  grant: VideoGrant;
  roomName: string;
  maxParticipants: number;
  emptyTimeoutSeconds: number;
  ttlSeconds: number;
}

/** Signs a LiveKit access token with the configured API key and secret. */
export async function mintToken(config: LiveKitConfig, input: MintInput): Promise<string> {
  const token = new AccessToken(config.apiKey, config.apiSecret, {
    identity: input.identity,
    name: input.name,
    ttl: input.ttlSeconds,
  });
  token.addGrant(input.grant);
  token.roomConfig = new RoomConfiguration({
    name: input.roomName,
    maxParticipants: input.maxParticipants,
    emptyTimeout: input.emptyTimeoutSeconds,
  });
  return await token.toJwt();
}

/** Verifies a webhook's signature against the raw body and parses it; throws when forged. */
export async function receiveWebhook(
  config: LiveKitConfig,
  rawBody: string,
  authorization: string | null,
): Promise<WebhookEvent> {
  const receiver = new WebhookReceiver(config.apiKey, config.apiSecret);
  return await receiver.receive(rawBody, authorization ?? undefined);
}

/** Asks LiveKit's RoomService to delete a room (disconnecting everyone in it). */
export async function deleteRoom(config: LiveKitConfig, roomName: string): Promise<void> {
  const client = new RoomServiceClient(config.apiUrl, config.apiKey, config.apiSecret);
  await client.deleteRoom(roomName);
}

/** Asks LiveKit's RoomService to disconnect one participant from a room. */
export async function removeParticipant(config: LiveKitConfig, roomName: string, identity: string): Promise<void> {
  const client = new RoomServiceClient(config.apiUrl, config.apiKey, config.apiSecret);
  await client.removeParticipant(roomName, identity);
}

/**
 * Disconnects, of the given identities, those LiveKit has in the room (one ListParticipants, then one
 * RemoveParticipant each); answers whom it disconnected. Identities not in the room cost nothing.
 */
export async function disconnectParticipants(
  config: LiveKitConfig,
  roomName: string,
  identities: string[],
): Promise<string[]> {
  if (identities.length === 0) return [];
  const client = new RoomServiceClient(config.apiUrl, config.apiKey, config.apiSecret);
  const wanted = new Set(identities);
  const present = (await client.listParticipants(roomName)).map((p) => p.identity).filter((id) => wanted.has(id));
  for (const identity of present) await client.removeParticipant(roomName, identity);
  return present;
}
