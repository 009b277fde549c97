// Database events on a conversation topic, checked against the database before they reach a handler.
// Any member may broadcast on conversation:<id> (typing), and Realtime checks that right once per
// channel, not per event name (docs/realtime-events.md § What RLS cannot do), so a member could send a
// fake `message_created` or `member_read`. Each event is therefore re-read as the receiving user (RLS
// applies) and delivered with the database's values; an event the database does not bear out is
// dropped. Order is kept: one channel's events are checked one after another.
import type { ParleyRest } from "./client.ts";
import type {
  ConversationEvents,
  ConversationUpdatedEvent,
  MemberReadEvent,
  MemberRoleChangedEvent,
  MembersAddedEvent,
  MembersRemovedEvent,
  MessageEvent,
} from "./events.ts";
import type { MemberRole, Message } from "./types.ts";

type Check<E> = (db: ParleyRest, conversationId: string, payload: E) => Promise<E | null>;

/** A payload's shape is only a claim; these read what they need defensively. */
const claimed = (payload: unknown): Record<string, unknown> => (payload && typeof payload === "object" ? (payload as Record<string, unknown>) : {});
const idsOf = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

/** The message the event names, as the receiver reads it; the event stands if `holds(row)`. */
function message(holds: (m: Message) => boolean): Check<MessageEvent> {
  return async (db, conversationId, payload) => {
    const id = claimed(claimed(payload).message).id;
    if (typeof id !== "string") return null;
    const { data, error } = await db.from("messages").select("*").eq("id", id).eq("conversation_id", conversationId).maybeSingle();
    if (error || !data || !holds(data as Message)) return null;
    return { ...payload, conversation_id: conversationId, message: data as Message };
  };
}

/** The named users' current memberships of the conversation (those the receiver can see). */
async function memberships(db: ParleyRest, conversationId: string, userIds: string[]) {
  if (!userIds.length) return [];
  const { data, error } = await db
    .from("conversation_members")
    .select("user_id, role, joined_at, last_read_seq")
    .eq("conversation_id", conversationId)
    .in("user_id", userIds);
  if (error) throw error;
  return (data ?? []) as Array<{ user_id: string; role: MemberRole; joined_at: string; last_read_seq: number }>;
}

async function memberCount(db: ParleyRest, conversationId: string): Promise<number> {
  const { count, error } = await db.from("conversation_members").select("user_id", { count: "exact", head: true }).eq("conversation_id", conversationId);
  if (error) throw error;
  return count ?? 0;
}

const membersAdded: Check<MembersAddedEvent> = async (db, conversationId, payload) => {
  const listed = claimed(payload).members;
  const named = Array.isArray(listed) ? listed.map((m: unknown) => claimed(m).user_id) : [];
  const present = await memberships(db, conversationId, idsOf(named));
  if (!present.length) return null;
  const members = present.map(({ user_id, role, joined_at }) => ({ user_id, role, joined_at }));
  return { ...payload, conversation_id: conversationId, members, member_count: await memberCount(db, conversationId) };
};

const membersRemoved: Check<MembersRemovedEvent> = async (db, conversationId, payload) => {
  const named = idsOf(claimed(payload).user_ids);
  const stillThere = new Set((await memberships(db, conversationId, named)).map((m) => m.user_id));
  const gone = named.filter((id) => !stillThere.has(id));
  if (!gone.length) return null;
  return { ...payload, conversation_id: conversationId, user_ids: gone, member_count: await memberCount(db, conversationId) };
};

const roleChanged: Check<MemberRoleChangedEvent> = async (db, conversationId, payload) => {
  const [member] = await memberships(db, conversationId, idsOf([claimed(payload).user_id]));
  return member && member.role === payload.role ? { ...payload, conversation_id: conversationId } : null;
};

/** A read receipt stands while the member's cursor is at least where the event says. */
const memberRead: Check<MemberReadEvent> = async (db, conversationId, payload) => {
  const [member] = await memberships(db, conversationId, idsOf([claimed(payload).user_id]));
  const claimedSeq = Number(claimed(payload).last_read_seq);
  return member && Number.isFinite(claimedSeq) && member.last_read_seq >= claimedSeq ? { ...payload, conversation_id: conversationId } : null;
};

/** A change stands when the conversation now reads as the event says (a later change supersedes it). */
const conversationUpdated: Check<ConversationUpdatedEvent> = async (db, conversationId, payload) => {
  const { data, error } = await db
    .from("conversations")
    .select("id, kind, title, description, avatar_url, updated_at")
    .eq("id", conversationId)
    .maybeSingle();
  const said = claimed(claimed(payload).conversation);
  if (error || !data || (["title", "description", "avatar_url"] as const).some((k) => (said[k] ?? null) !== data[k])) return null;
  return { ...payload, conversation_id: conversationId, conversation: data as ConversationUpdatedEvent["conversation"] };
};

/** A deletion stands when the receiver can no longer read the conversation. */
const conversationDeleted: Check<ConversationEvents["conversation_deleted"]> = async (db, conversationId, payload) => {
  const { data, error } = await db.from("conversations").select("id").eq("id", conversationId).maybeSingle();
  return !error && !data ? { ...payload, conversation_id: conversationId } : null;
};

const checks: { [K in keyof ConversationEvents]: Check<ConversationEvents[K]> } = {
  message_created: message(() => true),
  message_edited: message((m) => m.edited_at !== null),
  message_deleted: message((m) => m.deleted_at !== null),
  members_added: membersAdded,
  members_removed: membersRemoved,
  member_role_changed: roleChanged,
  member_read: memberRead,
  conversation_updated: conversationUpdated,
  conversation_deleted: conversationDeleted,
};

/**
 * Returns a function that checks each event of one conversation channel in arrival order and calls
 * `deliver` with the database-backed payload, or not at all when the database does not bear it out
 * (a forged event, or one the receiver can no longer see). A failed read drops the event too: the
 * client catches up with `messages.list` (by `seq`) as after any gap.
 */
export function verifiedDelivery(db: ParleyRest, conversationId: string) {
  let queue: Promise<void> = Promise.resolve();
  return <K extends keyof ConversationEvents>(event: K, payload: unknown, deliver: (checked: ConversationEvents[K]) => void): void => {
    const check = checks[event] as Check<ConversationEvents[K]> | undefined;
    if (!check) return; // not a Parley database event: nothing to deliver
    queue = queue
      .then(() => check(db, conversationId, payload as ConversationEvents[K]))
      .catch(() => null)
      .then((checked) => {
        if (!checked) return;
        try {
          deliver(checked);
        } catch (e) {
          // A throwing handler fails as it would on a plain channel, without stopping later events.
          queueMicrotask(() => {
            throw e;
          });
        }
      });
  };
}
