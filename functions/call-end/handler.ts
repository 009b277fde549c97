// call-end: POST { callId, scope } with the user's JWT → hangs up in Postgres, then asks LiveKit to close
// the room when the call is over, so every client is disconnected at once instead of at the empty timeout.
// Scope "removed" changes nothing in Postgres (removing a member already took them out of the call): it
// asks LiveKit to disconnect the participants who are no longer members of the call's conversation.
import type { VerifyCaller } from "../_shared/caller.ts";
import { HttpError, json, preflight, toErrorResponse } from "../_shared/http.ts";
import { isLiveKitConfig, readLiveKitConfig, type LiveKitConfig } from "../_shared/livekit-config.ts";
import { deleteRoom, disconnectParticipants } from "../_shared/livekit.ts";
import { callEndRequest, describeZodError, type CallEndRequest, type CallEndResponse } from "../_shared/schemas.ts";
import type { EndCall, ReadEvictions } from "./end.ts";

export interface CallEndDeps {
  /** Environment lookup (Deno.env.get in production). */
  env: (name: string) => string | undefined;
  /** Verifies the caller's JWT (verify_jwt is off: the function checks it); throws HttpError 401. */
  verifyCaller: VerifyCaller;
  /** Runs leave_call / end_call as the caller; throws HttpError 401/403/404. */
  endCall: EndCall;
  /** Reads, as the caller, who must leave a call's room (scope "removed"); throws HttpError 401/404. */
  readEvictions: ReadEvictions;
  /** Closes a LiveKit room; defaults to RoomServiceClient.deleteRoom. */
  closeRoom?: (config: LiveKitConfig, roomName: string) => Promise<void>;
  /** Disconnects those of the identities LiveKit has in the room; defaults to RoomService list + remove. */
  disconnect?: (config: LiveKitConfig, roomName: string, identities: string[]) => Promise<string[]>;
  /** Logger for the non-fatal failures (LiveKit unreachable or not configured). */
  log?: (message: string) => void;
}

/** Statuses after which nobody may be in the room any more. */
const OVER = new Set(["ended", "missed", "declined", "cancelled", "busy"]);

async function readBody(req: Request): Promise<CallEndRequest> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new HttpError(
      400,
      "invalid_body",
      'The body must be JSON: {"callId": "<uuid>", "scope": "me" | "everyone" | "removed"}.',
    );
  }
  const parsed = callEndRequest.safeParse(body);
  if (!parsed.success) throw new HttpError(400, "invalid_body", describeZodError(parsed.error));
  return parsed.data;
}

/**
 * Builds the request handler. The database decides (the call ends even when LiveKit cannot be reached);
 * closing the room is best effort, reported as `roomClosed` and logged when it fails.
 */
export function createCallEndHandler(deps: CallEndDeps): (req: Request) => Promise<Response> {
  const closeRoom = deps.closeRoom ?? deleteRoom;
  const disconnect = deps.disconnect ?? disconnectParticipants;
  const log = deps.log ?? ((m: string) => console.warn(m));

  /** Scope "removed": LiveKit drops the former members still connected; best effort, like closing a room. */
  async function evict(authorization: string, callId: string): Promise<CallEndResponse> {
    const { call, userIds } = await deps.readEvictions(authorization, callId);
    let removed: string[] = [];
    if (userIds.length > 0) {
      const config = readLiveKitConfig(deps.env);
      if (!isLiveKitConfig(config)) {
        log(
          `call-end: ${userIds.length} former member(s) of call ${call.id} stay connected until their LiveKit session ends: LiveKit is not configured (${config.missing.join(", ")})`,
        );
      } else {
        try {
          removed = await disconnect(config, call.room_name, userIds);
        } catch (error) {
          log(
            `call-end: could not disconnect former members from room ${call.room_name}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
    return { call, roomClosed: false, removed };
  }

  return async (req) => {
    if (req.method === "OPTIONS") return preflight();
    try {
      if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", `Use POST, not ${req.method}.`);
      const caller = await deps.verifyCaller(req.headers.get("Authorization"));
      const request = await readBody(req);
      if (request.scope === "removed") return json(await evict(caller.authorization, request.callId));
      const call = await deps.endCall(caller.authorization, request);
      let roomClosed = false;
      if (OVER.has(call.status)) {
        const config = readLiveKitConfig(deps.env);
        if (!isLiveKitConfig(config)) {
          log(
            `call-end: call ${call.id} is over but LiveKit is not configured (${config.missing.join(", ")}); room ${call.room_name} closes at its empty timeout`,
          );
        } else {
          try {
            await closeRoom(config, call.room_name);
            roomClosed = true;
          } catch (error) {
            log(
              `call-end: could not delete room ${call.room_name}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }
      }
      const body: CallEndResponse = { call, roomClosed, removed: [] };
      return json(body);
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}
