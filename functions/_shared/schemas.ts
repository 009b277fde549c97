// Shared zod schemas: call-token's request body and the rows the database hands back to the functions.
import { z } from "./deps.ts";

/** `POST /functions/v1/call-token` body. Unknown fields are ignored. */
export const callTokenRequest = z.object({
  callId: z.guid({ error: "callId must be a call id (a uuid string)" }),
});
export type CallTokenRequest = z.infer<typeof callTokenRequest>;

/** One row of `public.get_call_grant(call_id)`: what the caller may do in that call. */
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

/** What `public.service_role_apply_livekit_event` answers. */
export const livekitEventResult = z.object({
  result: z.enum(["applied", "duplicate", "ignored", "stale"]),
  call_id: z.string().nullable().optional(),
  call_status: z.string().nullable().optional(),
  close_room: z.boolean().optional(),
});
export type LivekitEventResult = z.infer<typeof livekitEventResult>;

/** The first zod issue as "field: message", for 400 answers. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid body";
  const path = issue.path.length ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`;
}
