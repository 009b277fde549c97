// Pure rule: the LiveKit grant a call participant gets, from the call's media and kind and their conversation role.
import { TrackSource, type VideoGrant } from "./deps.ts";

/** Conversation roles (parley.conversation_members.role). */
export type MemberRole = "owner" | "admin" | "member";

export interface CallGrantInput {
  /** The call's LiveKit room: the grant is valid for this room only. */
  roomName: string;
  media: "audio" | "video";
  kind: "direct" | "group";
  role: MemberRole;
}

/**
 * The video grant for one participant: join that room, publish, subscribe and send data.
 * Audio calls may publish the microphone only; video calls camera, microphone and screen share.
 * Owners and admins of a group get `roomAdmin` for that room (mute or remove someone); nobody ever
 * gets `roomCreate`, `roomList` or `roomRecord`, and nobody may rewrite their own metadata.
 */
export function callVideoGrant(input: CallGrantInput): VideoGrant {
  const sources =
    input.media === "audio"
      ? [TrackSource.MICROPHONE]
      : [TrackSource.CAMERA, TrackSource.MICROPHONE, TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO];
  const moderator = input.kind === "group" && (input.role === "owner" || input.role === "admin");
  return {
    room: input.roomName,
    roomJoin: true,
    roomCreate: false,
    roomList: false,
    roomRecord: false,
    roomAdmin: moderator,
    canPublish: true,
    canPublishSources: sources,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
  };
}

/** Seconds a room may stay empty before LiveKit closes it. */
export const ROOM_EMPTY_TIMEOUT_SECONDS = 300;
/** Lifetime of a call token: long enough to connect, short enough to be useless if leaked. */
export const CALL_TOKEN_TTL_SECONDS = 600;
