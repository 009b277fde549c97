// Shared zod schemas: the functions' request and response bodies (also parsed by the client SDK in
// client/) and the rows the database hands back to the functions. `zod` is a bare import: Node resolves
// it from node_modules, Deno through the import map in functions/deno.json — so this one file serves both.
import { z } from "zod";

/** `POST /functions/v1/call-token` body. Unknown fields are ignored. */
export const callTokenRequest = z.object({
  callId: z.guid({ error: "callId must be a call id (a uuid string)" }),
});
export type CallTokenRequest = z.infer<typeof callTokenRequest>;

/** `call-token`'s 200 body: what livekit-client's `room.connect(wsUrl, token)` needs. */
export const callTokenResponse = z.object({
  token: z.string().min(1),
  wsUrl: z.string().min(1),
  roomName: z.string().min(1),
  identity: z.string().min(1),
  expiresAt: z.iso.datetime(),
});
export type CallTokenResponse = z.infer<typeof callTokenResponse>;

/**
 * `POST /functions/v1/call-end` body: hang up for myself (`me`), end the call for everyone, or (`removed`)
 * disconnect from its LiveKit room the participants who are no longer members of the conversation.
 */
export const callEndRequest = z.object({
  callId: z.guid({ error: "callId must be a call id (a uuid string)" }),
  scope: z.enum(["me", "everyone", "removed"], { error: 'scope must be "me", "everyone" or "removed"' }).default("me"),
});
export type CallEndRequest = z.infer<typeof callEndRequest>;

/** The call row the call RPCs return (`parley.calls`), as far as the functions and the client read it. */
export const callRow = z.object({
  id: z.string(),
  conversation_id: z.string(),
  kind: z.enum(["direct", "group"]),
  media: z.enum(["audio", "video"]),
  status: z.enum(["ringing", "active", "ended", "missed", "declined", "cancelled", "busy"]),
  room_name: z.string().min(1),
  max_participants: z.number().int().positive(),
  initiated_by: z.string().nullable(),
  created_at: z.string(),
  answered_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  end_reason: z.string().nullable(),
  updated_at: z.string(),
});
export type CallRow = z.infer<typeof callRow>;

/** `call-end`'s 200 body: the call after the change, and whether LiveKit closed its room. */
export const callEndResponse = z.object({
  call: callRow,
  /** True when the call is over and LiveKit confirmed deleting the room (everyone is disconnected). */
  roomClosed: z.boolean(),
  /** Scope `removed`: the former members LiveKit disconnected from the room (empty for the other scopes). */
  removed: z.array(z.string()),
});
export type CallEndResponse = z.infer<typeof callEndResponse>;

/** Every non-2xx body a Parley function answers with. */
export const functionErrorBody = z.object({
  /** retryAfter: on a 429 (rate_limited), whole seconds until a retry can succeed (also the Retry-After header). */
  error: z.object({ code: z.string(), message: z.string(), retryAfter: z.number().int().nonnegative().optional() }),
});
export type FunctionErrorBody = z.infer<typeof functionErrorBody>;

/** One row of `parley.get_call_grant(call_id)`: what the caller may do in that call. */
export const callGrantRow = z.object({
  id: z.string(),
  room_name: z.string().min(1),
  kind: z.enum(["direct", "group"]),
  media: z.enum(["audio", "video"]),
  max_participants: z.number().int().positive(),
  user_id: z.string(),
  display_name: z.string().nullable(),
  member_role: z.enum(["owner", "admin", "member"]),
});
export type CallGrantRow = z.infer<typeof callGrantRow>;

/** What `parley.service_role_apply_livekit_event` answers. */
export const livekitEventResult = z.object({
  result: z.enum(["applied", "duplicate", "ignored", "stale"]),
  call_id: z.string().nullable().optional(),
  call_status: z.string().nullable().optional(),
  close_room: z.boolean().optional(),
  /** The joining participant is not a member of the call's conversation: disconnect them. */
  remove_participant: z.boolean().optional(),
});
export type LivekitEventResult = z.infer<typeof livekitEventResult>;

/** A push target as `parley.service_role_claim_push_jobs` hands it to push-dispatch. */
export const pushDevice = z.object({
  id: z.string(),
  provider: z.enum(["expo", "fcm", "apns", "webpush"]),
  /** The provider's token; for webpush the subscription endpoint. */
  token: z.string(),
  /** webpush only: the subscription's keys. */
  keys: z.object({ p256dh: z.string(), auth: z.string() }).nullable(),
  platform: z.enum(["ios", "android", "web", "macos"]),
  /** The APNs topic (bundle id); optional elsewhere. */
  app_id: z.string().nullable(),
});
export type PushDevice = z.infer<typeof pushDevice>;

/**
 * The `data` every Parley notification carries, on every provider (FCM and APNs as string or JSON values,
 * Expo and Web Push as JSON): what an app reads to route a tap or stop ringing. The client SDK parses it
 * (`push.parseNotification`), so apps and push-dispatch agree on one shape.
 */
export const pushNotificationData = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("message"),
    conversation_id: z.string(),
    /** Messages this notification stands for (quick ones collapse into one). */
    count: z.coerce.number().int().positive(),
    /** The member's unread messages in the conversation when it was sent. */
    unread_count: z.coerce.number().int().nonnegative(),
    /** True when it notifies a mention of the member (sent even in a muted conversation). */
    mention: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]),
    /** The newest message (absent with private previews). */
    message_id: z.string().optional(),
    seq: z.coerce.number().int().positive(),
  }),
  z.object({
    type: z.enum(["call", "missed_call"]),
    call_id: z.string(),
    conversation_id: z.string(),
    media: z.enum(["audio", "video"]),
    /** Who calls (absent with private previews). */
    caller_id: z.string().optional(),
    /** call only: stop ringing at this time (ISO 8601). */
    ring_expires_at: z.string().optional(),
  }),
  z.object({
    type: z.literal("call_cancel"),
    call_id: z.string(),
    conversation_id: z.string(),
    /** Why the ringing stops: answered / declined (on another device), or the call's end. */
    reason: z.string(),
  }),
]);
export type PushNotificationData = z.infer<typeof pushNotificationData>;

/** One leased job of `parley.service_role_claim_push_jobs`: the notification and the devices still to reach. */
export const pushJob = z.object({
  id: z.string(),
  lease_id: z.string(),
  kind: z.enum(["message", "call", "call_cancel", "missed_call"]),
  attempt: z.number().int().positive(),
  priority: z.enum(["high", "normal"]),
  /** Replaces an earlier notification with the same id on the device (the conversation, or the call). */
  collapse_id: z.string(),
  /** Not worth delivering after this (a ring's deadline); null = the providers' default. */
  expires_at: z.string().nullable(),
  /** Null for data-only notifications (a cancel). */
  title: z.string().nullable(),
  body: z.string().nullable(),
  data: pushNotificationData,
  devices: z.array(pushDevice),
});
export type PushJob = z.infer<typeof pushJob>;

/** What push-dispatch reports back per device to `parley.service_role_finish_push_job`. */
export interface PushOutcome {
  device_id: string;
  /** sent; invalid = the provider rejected the token (it is removed); retry = later; failed = never. */
  outcome: "sent" | "invalid" | "retry" | "failed";
  error?: string;
  /** Seconds the provider asked to wait (429/503 Retry-After). */
  retry_after?: number;
  provider_message_id?: string;
}

/** `push-dispatch`'s 200 body: what one drain did. */
export const pushDispatchResult = z.object({
  jobs: z.number().int(),
  sent: z.number().int(),
  retried: z.number().int(),
  invalid: z.number().int(),
  failed: z.number().int(),
});
export type PushDispatchResult = z.infer<typeof pushDispatchResult>;

/** The first zod issue as "field: message", for 400 answers. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid body";
  const path = issue.path.length ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`;
}
