// One typed way to call Parley's RPCs: names, arguments and rows come from client/database.types.ts, with
// the SDK's narrower row types where the generated ones say less (checked text columns, jsonb shapes).
import type { ParleyRest } from "./client.ts";
import type { Database, Json } from "./database.types.ts";
import { unwrap, type PostgrestLikeError } from "./errors.ts";
import type {
  Call,
  CallHistoryEntry,
  Conversation,
  GroupInvitation,
  InboxEntry,
  Member,
  MemberProfile,
  Message,
  PendingInvitation,
  MessageReceipts,
  PinnedMessage,
  PushDevice,
  PushPreferences,
  ReactionState,
  Receipt,
  Report,
} from "./types.ts";

type Fns = Database["parley"]["Functions"];

/** Every RPC of schema `parley`. */
export type RpcName = keyof Fns;

/**
 * Arguments where the function takes more than the generated type says: a generated type cannot say an
 * argument may be null, and `mute_member` takes `until: null` as "lift the mute".
 */
interface RpcArgOverrides {
  mute_member: Omit<Fns["mute_member"]["Args"], "until"> & { until: string | null };
}

/** What `rpc(name, …)` takes. */
export type RpcArgs<N extends RpcName> = N extends keyof RpcArgOverrides ? RpcArgOverrides[N] : Fns[N]["Args"];

type GeneratedRow<N extends RpcName> = Fns[N]["Returns"] extends readonly (infer R)[] ? R : Fns[N]["Returns"];

/**
 * The SDK's row type of each RPC whose generated row says less: text columns as their checked values
 * (`kind`, `status`, `role`), jsonb columns and jsonb answers as their shape. Add an RPC here when its
 * generated row is not what callers should see; `_RpcRowsMatchTheSchema` below keeps the columns in step.
 */
export interface RpcRows {
  list_receipts: Receipt;
  message_receipts: MessageReceipts;
  register_push_device: PushDevice;
  set_push_preferences: PushPreferences;
  send_message: Message;
  send_direct_message: Message;
  send_thread_reply: Message;
  edit_message: Message;
  delete_message: Message;
  forward_message: Message;
  list_messages: Message;
  list_thread: Message;
  list_direct_messages: Message;
  start_call: Call;
  accept_call: Call;
  decline_call: Call;
  leave_call: Call;
  end_call: Call;
  list_call_history: CallHistoryEntry;
  get_active_call: CallHistoryEntry;
  list_conversations: InboxEntry;
  get_or_create_direct_conversation: Conversation;
  create_group: Conversation;
  get_group: Conversation;
  update_group: Conversation;
  set_slow_mode: Conversation;
  list_members: MemberProfile;
  add_members: Member;
  set_member_role: Member;
  mute_member: Member;
  accept_invitation: Member;
  revoke_invitation: GroupInvitation;
  decline_invitation: GroupInvitation;
  report_message: Report;
  report_user: Report;
  resolve_report: Report;
  add_reaction: ReactionState;
  remove_reaction: ReactionState;
  list_pins: PinnedMessage;
  list_invitations: PendingInvitation;
  join_by_invite: { conversation_id: string; status: "joined" | "pending" };
  create_invite_link: { id: string; code: string; expires_at: string | null };
}

type SameColumns<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type AllTrue<T extends Record<string, true>> = T;
/**
 * Fails to compile when an RpcRows entry names other columns than its RPC returns (a column added, renamed
 * or dropped in supabase/schemas and `npm run types` run). jsonb answers have no columns to compare.
 */
export type _RpcRowsMatchTheSchema = AllTrue<{
  [N in keyof RpcRows]: Json extends GeneratedRow<N> ? true : SameColumns<RpcRows[N], GeneratedRow<N>>;
}>;

/** One row of an RPC's answer, as the SDK types it. */
export type RpcRow<N extends RpcName> = N extends keyof RpcRows ? RpcRows[N] : GeneratedRow<N>;
/** An RPC's whole answer: rows for a set-returning function, else its one value. */
export type RpcResult<N extends RpcName> = Fns[N]["Returns"] extends readonly unknown[] ? RpcRow<N>[] : RpcRow<N>;

type Answer = PromiseLike<{ data: unknown; error: PostgrestLikeError | null; status: number }>;
interface UntypedCall extends Answer {
  single(): Answer;
  maybeSingle(): Answer;
}

/**
 * Calls an RPC and returns its answer typed, or throws its refusal as a ParleyError. `"single"` expects
 * exactly one row (supabase-js `.single()`), `"maybeSingle"` one or none.
 * @example
 * const message = await rpc(db, "send_message", { conversation_id: id, body: "hi", client_id }, "single");
 * const page = await rpc(db, "list_messages", { conversation_id: id, max_count: 50 }); // Message[]
 */
export async function rpc<N extends RpcName>(db: ParleyRest, name: N, args: RpcArgs<N>): Promise<RpcResult<N>>;
export async function rpc<N extends RpcName>(
  db: ParleyRest,
  name: N,
  args: RpcArgs<N>,
  shape: "single",
): Promise<RpcRow<N>>;
export async function rpc<N extends RpcName>(
  db: ParleyRest,
  name: N,
  args: RpcArgs<N>,
  shape: "maybeSingle",
): Promise<RpcRow<N> | null>;
export async function rpc<N extends RpcName>(
  db: ParleyRest,
  name: N,
  args: RpcArgs<N>,
  shape?: "single" | "maybeSingle",
): Promise<unknown> {
  // supabase-js types rpc() per literal name and cannot through the generic N: the one untyped call of the
  // SDK is made here, and the overloads above give it back its types.
  const call = (db as unknown as { rpc(fn: string, args: object): UntypedCall }).rpc(name, args);
  return unwrap(await (shape === "single" ? call.single() : shape === "maybeSingle" ? call.maybeSingle() : call));
}
