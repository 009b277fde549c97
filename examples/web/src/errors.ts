// Human words for Parley's stable codes (README § Error codes). The app branches on `code`, never on message text.
import { ParleyError, type ParleyErrorCode } from "../../../client/index.ts";

const MESSAGES: Partial<Record<ParleyErrorCode, string>> = {
  not_authenticated: "Your session ended. Sign in again.",
  account_not_found: "This account no longer exists.",
  anonymous_not_allowed: "Guest accounts cannot do that: sign up with an email first.",
  insufficient_role: "Only the group's owner or an admin can do that.",
  not_message_sender: "You can only change your own messages.",
  not_allowed: "You are not allowed to do that.",
  cannot_remove_owner: "The owner cannot be removed from the group.",
  not_a_member: "You are not a member of this conversation any more.",
  not_a_participant: "You are not part of this call.",
  not_allowed_to_end: "Only the caller, an owner or an admin can end this call for everyone.",
  not_accepted: "Accept the call before joining it.",
  conversation_not_found: "This conversation does not exist or you cannot see it.",
  message_not_found: "That message is gone.",
  user_not_found: "No such person.",
  member_not_found: "That person is not a member.",
  reply_not_found: "The message you reply to is gone.",
  attachment_not_found: "The upload could not be found; try again.",
  call_not_found: "That call does not exist any more.",
  user_blocked: "You blocked this person. Unblock them first.",
  user_banned: "That person is banned from this group. Unban them first.",
  member_muted: "You are muted in this group for now.",
  invitation_not_found: "That invitation is gone.",
  invitation_answered: "That invitation was already answered.",
  body_required: "Write something first.",
  body_too_long: "That message is too long (4000 characters at most).",
  attachment_mime_not_allowed: "That type of file cannot be sent.",
  attachment_too_large: "That file is too large (images 10 MB, audio 25 MB, files 50 MB, videos 100 MB).",
  message_deleted: "That message was deleted.",
  message_not_editable: "Only text you wrote can be edited.",
  cannot_message_self: "You cannot start a conversation with yourself.",
  not_a_group: "That is not a group.",
  title_required: "Give the group a name.",
  title_too_long: "Group names are at most 100 characters.",
  description_too_long: "Descriptions are at most 1000 characters.",
  too_many_members: "A group has at most 256 members.",
  invalid_role: "That role does not exist.",
  cannot_change_own_role: "You cannot change your own role.",
  cannot_remove_self: "Use “Leave group” to leave.",
  username_invalid: "Usernames are 3–32 letters, digits, _ or .",
  username_taken: "That username is taken.",
  prefix_invalid: "Type at least one letter, digit, _ or . to search.",
  display_name_invalid: "Display names are 1–64 characters.",
  no_one_to_call: "There is no one to call here.",
  already_in_call: "Someone is already in another call.",
  call_full: "This call is full.",
  call_over: "This call is over.",
  already_answered: "This call was already answered.",
  upload_refused: "The upload was refused.",
  channel_refused: "Live updates could not connect; retrying when you reload.",
  livekit_not_configured: "Calls are not configured on this server (LiveKit settings are missing).",
  function_unreachable: "The calls service could not be reached.",
  unauthorized: "Your session ended. Sign in again.",
};

/** The sentence to show for any failure: the Parley code's human message, else the error's own text. */
export function humanMessage(error: unknown): string {
  if (error instanceof ParleyError) return MESSAGES[error.code] ?? error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The stable code of a failure, when it has one (shown small beside the message, for developers). */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof ParleyError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
