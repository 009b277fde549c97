// Pure rule: which LiveKit webhook events Parley applies, and the arguments it hands the database for each.

/** The events that change a call. participant_connection_aborted counts as a departure. */
export type CallEventName = "room_started" | "room_finished" | "participant_joined" | "participant_left";

/** What `parley.service_role_apply_livekit_event` takes. */
export interface CallEventInput {
  eventId: string;
  event: CallEventName;
  roomName: string;
  /** LiveKit participant identity (a Parley user id) for participant events. */
  identity: string | null;
  /** When LiveKit says it happened (its createdAt), used to drop stale, out-of-order events. */
  occurredAt: Date;
}

/** The parts of a LiveKit WebhookEvent this module reads. */
export interface WebhookEventLike {
  event: string;
  id: string;
  createdAt: bigint | number;
  room?: { name: string } | undefined;
  participant?: { identity: string } | undefined;
}

const EVENT_MAP: Record<string, CallEventName> = {
  room_started: "room_started",
  room_finished: "room_finished",
  participant_joined: "participant_joined",
  participant_left: "participant_left",
  participant_connection_aborted: "participant_left",
};

/** Maps a verified LiveKit event to the database call, or null when Parley does not care about it. */
export function toCallEvent(event: WebhookEventLike, now: () => number = Date.now): CallEventInput | null {
  const name = EVENT_MAP[event.event];
  const roomName = event.room?.name ?? "";
  if (!name || !event.id || !roomName) return null;
  const identity = event.participant?.identity || null;
  if (name.startsWith("participant_") && !identity) return null;
  const seconds = Number(event.createdAt);
  const occurredAt = new Date(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : now());
  return { eventId: event.id, event: name, roomName, identity, occurredAt };
}
