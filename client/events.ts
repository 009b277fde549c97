// Payloads of the realtime events Parley's triggers send (docs/realtime-events.md), as the client receives them.
import type { Call, ConversationKind, MemberRole, Message, MessageKind, ParticipantState } from "./types.ts";

/** Every database event carries its own id (`id`) to drop duplicates. */
interface EventBase {
  id: string;
  conversation_id: string;
}

export interface MessageEvent extends EventBase {
  message: Message;
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
/** A read receipt: `user_id` has read up to `last_read_seq`. */
export interface MemberReadEvent extends EventBase {
  user_id: string;
  last_read_seq: number;
  message_id: string | null;
  read_at: string;
}
export interface ConversationUpdatedEvent extends EventBase {
  conversation: { id: string; kind: ConversationKind; title: string | null; description: string | null; avatar_url: string | null; updated_at: string };
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
export interface ConversationActivityEvent extends EventBase {
  kind: ConversationKind;
  title: string | null;
  avatar_url: string | null;
  last_seq: number;
  action: "created" | "edited" | "deleted";
  unread_count: number;
  last_message: InboxMessageSummary;
}
export interface ConversationAddedEvent extends EventBase {
  kind: ConversationKind;
  title: string | null;
  avatar_url: string | null;
  role: MemberRole;
  joined_at: string;
  last_seq: number;
  member_count: number;
  /** False for groups above the fan-out bound: watch their conversation topic (see `live.topics()`). */
  inbox_fanout: boolean;
}
export interface ConversationRemovedEvent extends EventBase {
  reason: "left" | "removed" | "deleted";
}
export interface MembershipUpdatedEvent extends EventBase {
  role: MemberRole;
  last_read_seq: number;
  unread_count: number;
  muted_until: string | null;
  hidden_at: string | null;
}
export interface FanoutChangedEvent extends EventBase {
  inbox_fanout: boolean;
  member_count: number;
}
/** Call events on `user:<id>` (docs/calls.md). */
export interface CallEvent {
  call: Call;
  participant?: { user_id: string; state: ParticipantState; invited_at: string; joined_at: string | null; left_at: string | null };
}

/** Client broadcast on a conversation topic; untrusted (any member can send it). */
export interface TypingEvent {
  user_id: string;
  typing: boolean;
}

export interface ConversationEvents {
  message_created: MessageEvent;
  message_edited: MessageEvent;
  message_deleted: MessageEvent;
  members_added: MembersAddedEvent;
  members_removed: MembersRemovedEvent;
  member_role_changed: MemberRoleChangedEvent;
  member_read: MemberReadEvent;
  conversation_updated: ConversationUpdatedEvent;
  conversation_deleted: EventBase;
}

export interface InboxEvents {
  conversation_activity: ConversationActivityEvent;
  conversation_added: ConversationAddedEvent;
  conversation_removed: ConversationRemovedEvent;
  membership_updated: MembershipUpdatedEvent;
  conversation_fanout_changed: FanoutChangedEvent;
  call_incoming: CallEvent;
  call_state: CallEvent;
  call_ended: CallEvent;
}

export interface CallRoomEvents {
  participant_joined: CallEvent;
  participant_left: CallEvent;
  participant_declined: CallEvent;
  participant_missed: CallEvent;
  call_ended: CallEvent;
}

export type Handlers<E> = { [K in keyof E]?: (payload: E[K]) => void };
