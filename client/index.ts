// Parley's client SDK: typed operations over an official supabase-js client. Every rule stays in the database.
import { attachmentsApi } from "./attachments.ts";
import { callsApi } from "./calls.ts";
import type { ParleyClient } from "./client.ts";
import { conversationsApi } from "./conversations.ts";
import { ParleyError } from "./errors.ts";
import { groupsApi } from "./groups.ts";
import { liveApi } from "./live.ts";
import { messagesApi } from "./messages.ts";
import { profilesApi } from "./profiles.ts";

export type { ParleyClient } from "./client.ts";
export { ParleyError, fromPostgrestError, fromFunctionsError } from "./errors.ts";
export { attachmentPath, ATTACHMENTS_BUCKET } from "./attachments.ts";
export type * from "./types.ts";
export type { SendInput, HistoryOptions } from "./messages.ts";
export type { InboxCursor, InboxOptions } from "./conversations.ts";
export type { GroupInput, GroupChanges } from "./groups.ts";
export type { CallHistoryOptions, CallEndResponse, CallTokenResponse } from "./calls.ts";
export type { UploadInput } from "./attachments.ts";
export type { ProfileChanges } from "./profiles.ts";
export type * from "./events.ts";
export type { LiveChannel, ConversationChannel, ConversationHandlers } from "./live.ts";
export { TYPING_THROTTLE_MS } from "./live.ts";

/**
 * Parley on a signed-in supabase-js client.
 * @example
 * const supabase = createClient<Database>(url, anonKey);
 * await supabase.auth.signInWithPassword({ email, password });
 * const parley = createParley(supabase);
 * await parley.messages.sendDirect(bobId, { body: "Hello!" });
 */
export function createParley(db: ParleyClient) {
  const currentUserId = async (): Promise<string> => {
    const { data } = await db.auth.getSession();
    const id = data.session?.user.id;
    if (!id) throw new ParleyError("not_authenticated", "Sign in first: Parley needs a user session.", 401);
    return id;
  };
  const messages = messagesApi(db);
  return {
    supabase: db,
    messages,
    conversations: conversationsApi(db, currentUserId),
    groups: groupsApi(db),
    calls: callsApi(db),
    attachments: attachmentsApi(db, messages),
    profiles: profilesApi(db, currentUserId),
    live: liveApi(db, currentUserId),
  };
}

export type Parley = ReturnType<typeof createParley>;
