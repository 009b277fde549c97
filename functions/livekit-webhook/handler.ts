// livekit-webhook: verifies LiveKit's signature on the raw body, records the event once, updates the call.
import { HttpError, json, toErrorResponse } from "../_shared/http.ts";
import { isLiveKitConfig, readLiveKitConfig, type LiveKitConfig } from "../_shared/livekit-config.ts";
import { deleteRoom, receiveWebhook, removeParticipant } from "../_shared/livekit.ts";
import type { ApplyEvent } from "./apply.ts";
import { toCallEvent, type WebhookEventLike } from "./event.ts";

export interface WebhookDeps {
  /** Environment lookup (Deno.env.get in production). */
  env: (name: string) => string | undefined;
  /** Records and applies a verified event in Postgres. */
  applyEvent: ApplyEvent;
  /** Verifies and parses; defaults to livekit-server-sdk's WebhookReceiver. Throws when the signature is wrong. */
  receive?: (config: LiveKitConfig, rawBody: string, authorization: string | null) => Promise<WebhookEventLike>;
  /** Closes a LiveKit room; defaults to RoomServiceClient.deleteRoom. */
  closeRoom?: (config: LiveKitConfig, roomName: string) => Promise<void>;
  /** Disconnects one participant; defaults to RoomServiceClient.removeParticipant. */
  removeParticipant?: (config: LiveKitConfig, roomName: string, identity: string) => Promise<void>;
  /** Logger for non-fatal failures (closing a room LiveKit no longer has, LiveKit unreachable). */
  log?: (message: string) => void;
}

/**
 * Builds the request handler. 401 when the signature fails (nothing written), 200 for every verified event,
 * including duplicates and unknown rooms, so LiveKit stops redelivering; 500 only when Postgres failed.
 */
export function createWebhookHandler(deps: WebhookDeps): (req: Request) => Promise<Response> {
  const receive = deps.receive ?? receiveWebhook;
  const closeRoom = deps.closeRoom ?? deleteRoom;
  const remove = deps.removeParticipant ?? removeParticipant;
  const log = deps.log ?? ((m: string) => console.warn(m));
  return async (req) => {
    try {
      if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", `Use POST, not ${req.method}.`);
      const config = readLiveKitConfig(deps.env);
      if (!isLiveKitConfig(config)) {
        throw new HttpError(
          503,
          "livekit_not_configured",
          `LiveKit is not configured: set ${config.missing.join(", ")}.`,
        );
      }
      // The signature covers the exact bytes LiveKit sent: never re-serialise before verifying.
      const rawBody = await req.text();
      let event: WebhookEventLike;
      try {
        event = await receive(config, rawBody, req.headers.get("Authorization"));
      } catch (error) {
        throw new HttpError(
          401,
          "invalid_signature",
          `Webhook signature rejected: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const input = toCallEvent(event);
      if (!input) return json({ result: "ignored" });
      const outcome = await deps.applyEvent(input);
      if (outcome.close_room) {
        // The call is over but LiveKit still has the room: ask it to close. Failure only delays the empty timeout.
        try {
          await closeRoom(config, input.roomName);
        } catch (error) {
          log(
            `livekit-webhook: could not delete room ${input.roomName}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      if (outcome.remove_participant && input.identity) {
        // Someone no longer a member joined with a token minted before: LiveKit drops them.
        try {
          await remove(config, input.roomName, input.identity);
        } catch (error) {
          log(
            `livekit-webhook: could not disconnect ${input.identity} from room ${input.roomName}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      return json({ result: outcome.result });
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}
