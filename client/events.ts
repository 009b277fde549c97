// Payloads of the realtime events Parley's triggers send (docs/realtime-events.md), as the SDK delivers them.
//
// Where they travel (every topic that carries database events is receive-only: no client can send on it):
//   user:<me>                 every event of my conversations of at most 100 members (inbox_fanout_max),
//                             one copy per member, plus my inbox and call events;
//   conversation:<id>:events  for larger groups, one content-free notice per event ({ id, conversation_id,
//                             message_id, seq } …); the SDK reads the rows through RLS and delivers the
//                             same events as for small conversations (`inbox: null`);
//   conversation:<id>         client signals only (typing, presence): hints, never data.
import type {
  Call,
  ConversationKind,
  MemberRole,
  Message,
  MessageKind,
  ParticipantState,
  ReactionCounts,
} from "./types.ts";

/** Every conversation event names its conversation and carries an id (`id`) to drop duplicates. */
interface EventBase {
  id: string;
  conversation_id: string;
}

/** What the inbox shows of the latest message. */
export interface InboxMessageSummary {
  id: string;
  seq: number;
  sender_id: string | null;
  kind: MessageKind;
  preview: string | null;
  attachment: { name: string | null; mime_type: string | null } | null;
  system: Record<string, unknown> | null;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

/** A conversation's row in my inbox after a message event, with my own unread count. */
export interface InboxSummary {
  kind: ConversationKind;
  title: string | null;
  avatar_url: string | null;
  last_seq: number;
  last_message: InboxMessageSummary;
  unread_count: number;
}

/** `message_created`, `message_edited`, `message_deleted` (a deleted message is its tombstone). */
export interface MessageEvent extends EventBase {
  message: Message;
  /**
   * The inbox row after this event. `null` for an edit or delete of a message that is not the
   * conversation's latest, and for groups above the fan-out bound (their events are read through RLS;
   * refresh such a row with `conversations.inbox()`).
   */
  inbox: InboxSummary | null;
}
export interface MembersAddedEvent extends EventBase {
  members: Array<{ user_id: string; role: MemberRole; joined_at: string }>;
  member_count: number;
}
export interface MembersRemovedEvent extends EventBase {
  user_ids: string[];
  member_count: number;
}
export interface MemberRoleChangedEvent extends EventBase {
  user_id: string;
  role: MemberRole;
  previous_role: MemberRole;
}
/**
 * A read receipt: `user_id` has read up to `last_read_seq`, and so received at least that far
 * (`message_id` and `read_at` are null above the fan-out bound). Not sent for a member who hides read
 * receipts (`receipts.hideReadReceipts`).
 */
export interface MemberReadEvent extends EventBase {
  user_id: string;
  last_read_seq: number;
  last_delivered_seq: number;
  message_id: string | null;
  read_at: string | null;
}
/**
 * A delivery receipt, in direct conversations only: a device of `user_id` received up to
 * `last_delivered_seq`. Groups read their counts with `receipts.forMessage` (an event per member per
 * message would cost n² rows).
 */
export interface MemberDeliveredEvent extends EventBase {
  user_id: string;
  last_delivered_seq: number;
  delivered_at: string;
}
export interface ConversationUpdatedEvent extends EventBase {
  conversation: {
    id: string;
    kind: ConversationKind;
    title: string | null;
    description: string | null;
    avatar_url: string | null;
    updated_at: string;
  };
}
export interface ConversationAddedEvent extends EventBase {
  kind: ConversationKind;
  title: string | null;
  avatar_url: string | null;
  role: MemberRole;
  joined_at: string;
  last_seq: number;
  member_count: number;
  /** False for groups above the fan-out bound: their events come on `conversation:<id>:events` (the SDK follows them). */
  inbox_fanout: boolean;
}
/** I left, was removed, or the conversation was deleted: nothing more of it reaches me. */
export interface ConversationRemovedEvent extends EventBase {
  reason: "left" | "removed" | "deleted";
}
export interface MembershipUpdatedEvent extends EventBase {
  role: MemberRole;
  last_read_seq: number;
  last_delivered_seq: number;
  unread_count: number;
  muted_until: string | null;
  hidden_at: string | null;
}
export interface FanoutChangedEvent extends EventBase {
  inbox_fanout: boolean;
  member_count: number;
}
/** Someone who shares no conversation with me asked me into a group (docs/safety.md): accept or decline it. */
export interface InvitationReceivedEvent {
  id: string;
  invitation: {
    id: string;
    conversation_id: string;
    title: string;
    description: string | null;
    avatar_url: string | null;
    inviter: { id: string; username: string; display_name: string; avatar_url: string | null } | null;
    created_at: string;
  };
}
/** I blocked or unblocked someone (on any of my devices): hide or show their messages in shared groups. */
export interface BlockChangedEvent {
  id: string;
  user_id: string;
  blocked: boolean;
  /** Their pending invitations to me that the block declined. */
  declined_invitation_ids?: string[];
}
/** A member reported a message of a group I own or administer: it is in the group's report queue. */
export interface ReportCreatedEvent extends EventBase {
  report_id: string;
  message_id: string;
  reason: string;
}
/** Call events on `user:<id>` and `call:<id>` (docs/calls.md). */
export interface CallEvent {
  call: Call;
  participant?: {
    user_id: string;
    state: ParticipantState;
    invited_at: string;
    joined_at: string | null;
    left_at: string | null;
  };
}
/** I am being rung: stop ringing at `ring_expires_at` on your own (the call then turns `missed`). */
export interface CallIncomingEvent extends CallEvent {
  ring_expires_at: string;
}

/**
 * The content-free notice a group above the fan-out bound gets on `conversation:<id>:events`, one
 * per database event; read the rows through RLS (`list_messages(after_seq)`, `list_members`,
 * `get_group`). The SDK does this for you.
 */
export interface ConversationNotice extends EventBase {
  message_id?: string;
  seq?: number;
  user_id?: string;
  last_read_seq?: number;
  member_count?: number;
}

/** Client broadcast on `conversation:<id>`: a hint. Any member can send it with any `user_id`. */
export interface TypingEvent {
  user_id: string;
  typing: boolean;
}

/**
 * `reaction_added` / `reaction_removed`: the message's counts after the change. `user_id` and `emoji`
 * say who did what, except in a group above the fan-out bound (read from a notice: counts only).
 */
export interface ReactionEvent extends EventBase {
  message_id: string;
  seq: number;
  reactions: ReactionCounts;
  user_id?: string;
  emoji?: string;
}
/** `message_pinned` / `message_unpinned` (`pinned_by` and times absent in a group above the fan-out bound). */
export interface PinEvent extends EventBase {
  message_id: string;
  seq: number;
  pinned_by?: string;
  pinned_at?: string;
  unpinned_by?: string;
}
/** `message_hidden` / `message_unhidden`: I hid a message for myself (on another device too). */
export interface MessageHiddenEvent extends EventBase {
  message_id: string;
  seq: number;
}

/** The database events of one conversation, from wherever they travel (see the top of this file). */
export interface ConversationEvents {
  message_created: MessageEvent;
  message_edited: MessageEvent;
  message_deleted: MessageEvent;
  members_added: MembersAddedEvent;
  members_removed: MembersRemovedEvent;
  member_role_changed: MemberRoleChangedEvent;
  member_read: MemberReadEvent;
  member_delivered: MemberDeliveredEvent;
  conversation_updated: ConversationUpdatedEvent;
  reaction_added: ReactionEvent;
  reaction_removed: ReactionEvent;
  message_pinned: PinEvent;
  message_unpinned: PinEvent;
  message_hidden: MessageHiddenEvent;
  message_unhidden: MessageHiddenEvent;
  /** From `user:<me>`: after it, the SDK leaves the conversation's channels itself. */
  conversation_removed: ConversationRemovedEvent;
}

/** What `live.conversation` delivers: the conversation's events and its signals (hints). */
export interface ConversationLiveEvents extends ConversationEvents {
  /** A member says they are typing (or stopped): a hint, see `TypingEvent`. */
  typing: TypingEvent;
  /** The user ids present on the conversation, whenever presence changes: a hint (presence keys are chosen by clients). */
  presence: string[];
}

/** What `live.inbox` delivers: every conversation's events, my inbox changes and my calls. */
export interface InboxEvents extends ConversationEvents {
  conversation_added: ConversationAddedEvent;
  membership_updated: MembershipUpdatedEvent;
  conversation_fanout_changed: FanoutChangedEvent;
  call_incoming: CallIncomingEvent;
  call_state: CallEvent;
  call_ended: CallEvent;
  invitation_received: InvitationReceivedEvent;
  block_changed: BlockChangedEvent;
  report_created: ReportCreatedEvent;
}

export interface CallRoomEvents {
  participant_joined: CallEvent;
  participant_left: CallEvent;
  participant_declined: CallEvent;
  participant_missed: CallEvent;
  call_ended: CallEvent;
  /** The user ids present in the call room, whenever presence changes. */
  presence: string[];
}

export type Handlers<E> = { [K in keyof E]?: (payload: E[K]) => void };
