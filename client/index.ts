// Parley's client SDK: typed operations over an official supabase-js client. Every rule stays in the database.
import { attachmentsApi } from "./attachments.ts";
import { callsApi } from "./calls.ts";
import { parleySchema, type ParleyClient } from "./client.ts";
import { conversationsApi } from "./conversations.ts";
import { ParleyError } from "./errors.ts";
import { groupsApi } from "./groups.ts";
import { invitesApi } from "./invites.ts";
import { liveApi, type LiveOptions } from "./live.ts";
import { messagesApi } from "./messages.ts";
import { profilesApi } from "./profiles.ts";
import { pushApi } from "./push.ts";
import { pinsApi, reactionsApi } from "./reactions.ts";
import { receiptsApi } from "./receipts.ts";
import { safetyApi } from "./safety.ts";
import { searchApi } from "./search.ts";

export type { ParleyClient, ParleyRest } from "./client.ts";
export { PARLEY_SCHEMA } from "./client.ts";
export { ParleyError, fromPostgrestError, fromFunctionsError, isParleyErrorCode, RETRYABLE_CODES } from "./errors.ts";
export type {
  ParleyErrorCode,
  ParleyErrorOptions,
  DatabaseErrorCode,
  FunctionErrorCode,
  ClientErrorCode,
} from "./errors.ts";
export { rpc } from "./rpc.ts";
export type { RpcName, RpcArgs, RpcRow, RpcResult, RpcRows } from "./rpc.ts";
export {
  attachmentPath,
  ATTACHMENTS_BUCKET,
  SIGNED_URL_DEFAULT_SECONDS,
  SIGNED_URL_MAX_SECONDS,
} from "./attachments.ts";
export type * from "./types.ts";
export type { SendInput, HistoryOptions } from "./messages.ts";
export type { MessageSearchOptions } from "./search.ts";
export type { InviteLinkOptions } from "./invites.ts";
export type { InboxCursor, InboxOptions } from "./conversations.ts";
export type { GroupInput, GroupChanges } from "./groups.ts";
export type { CallHistoryOptions, CallEndResponse, CallTokenResponse } from "./calls.ts";
export type { UploadInput } from "./attachments.ts";
export type { ProfileChanges } from "./profiles.ts";
export type { PushTarget, WebPushSubscriptionJson, PushHeartbeatOptions } from "./push.ts";
export type { PushNotificationData } from "../functions/_shared/schemas.ts";
export type * from "./events.ts";
export { receiptStatus } from "./receipts.ts";
export type { LiveOptions } from "./live.ts";
export type {
  LiveChannel,
  LiveSubscription,
  InboxChannel,
  ConversationChannel,
  CallChannel,
  ConversationHandlers,
} from "./live.ts";
export { TYPING_THROTTLE_MS, DELIVERY_BATCH_MS } from "./live.ts";

export type ParleyOptions = LiveOptions;

/**
 * Parley on a signed-in supabase-js client. Its tables and RPCs are addressed in schema `parley`
 * (`supabase.schema("parley")`) whatever the client's default schema; Auth, Storage, Functions and
 * Realtime stay on the client itself.
 * @example
 * const supabase = createClient<Database>(url, anonKey); // or untyped, or with { db: { schema: "parley" } }
 * await supabase.auth.signInWithPassword({ email, password });
 * const parley = createParley(supabase); // { deliveryReceipts: false }: the live inbox does not acknowledge arrivals
 * await parley.messages.sendDirect(bobId, { body: "Hello!" });
 * // Parley's tables directly: parley.db (= supabase.schema("parley")), typed.
 * await parley.db.from("messages").select("*").eq("conversation_id", id);
 */
export function createParley<Client extends ParleyClient>(supabase: Client, options: ParleyOptions = {}) {
  const db = parleySchema(supabase);
  const currentUserId = async (): Promise<string> => {
    const { data } = await supabase.auth.getSession();
    const id = data.session?.user.id;
    if (!id)
      throw new ParleyError({
        code: "not_authenticated",
        message: "Sign in first: Parley needs a user session.",
        status: 401,
      });
    return id;
  };
  const messages = messagesApi(db);
  const calls = callsApi(supabase, db);
  return {
    /** The supabase-js client Parley was created on. */
    supabase,
    /** Parley's schema on it: `supabase.schema("parley")`, typed with Parley's tables and RPCs. */
    db,
    messages,
    reactions: reactionsApi(db, currentUserId),
    pins: pinsApi(db),
    search: searchApi(db),
    invites: invitesApi(db),
    conversations: conversationsApi(db, currentUserId),
    groups: groupsApi(db, calls),
    calls,
    attachments: attachmentsApi(supabase, messages),
    profiles: profilesApi(db, currentUserId),
    live: liveApi(supabase, db, currentUserId, options),
    /** Delivery and read receipts, and whether I share mine. */
    receipts: receiptsApi(db, currentUserId),
    /** Blocking, group invitations, reports. */
    safety: safetyApi(db),
    /** Push notifications: devices, private previews, the foreground heartbeat. */
    push: pushApi(db),
  };
}

export type Parley<Client extends ParleyClient = ParleyClient> = ReturnType<typeof createParley<Client>>;
