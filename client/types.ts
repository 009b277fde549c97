// The SDK's public types: rows from the generated database types, with text enums narrowed to their checked values.
import type { Database, Json } from "./database.types.ts";

type Tables = Database["parley"]["Tables"];
type Fns = Database["parley"]["Functions"];

/** The supabase-js client Parley runs on, typed with Parley's schema. */
export type { Database, Json };

export type MessageKind = "text" | "image" | "video" | "audio" | "file" | "system";
export type MemberRole = "owner" | "admin" | "member";
export type ConversationKind = "direct" | "group";
export type CallMedia = "audio" | "video";
export type CallStatus = "ringing" | "active" | "ended" | "missed" | "declined" | "cancelled" | "busy";
export type ParticipantState = "ringing" | "joined" | "left" | "declined" | "missed" | "busy";

/** Where an attachment's bytes live and what they are; `size` and `mime_type` are taken from Storage by the database. */
export type Attachment = {
  bucket?: "parley-attachments";
  path: string;
  mime_type?: string;
  size?: number;
  name?: string;
  duration_ms?: number;
  width?: number;
  height?: number;
  /** Set when the uploader deleted the object: the message keeps the rest, the bytes are gone. */
  removed_at?: string;
};

/** Reaction counts by emoji, as each message carries them: `{ "👍": 3 }`. */
export type ReactionCounts = Record<string, number>;
export type Message = Omit<Tables["messages"]["Row"], "kind" | "attachment" | "reactions"> & {
  kind: MessageKind;
  attachment: Attachment | null;
  reactions: ReactionCounts;
};
/** What add_reaction / remove_reaction answer: the message's counts and my emoji on it. */
export interface ReactionState {
  message_id: string;
  reactions: ReactionCounts;
  mine: string[];
}
/** One pin of `pins.list`. */
export interface PinnedMessage {
  pinned_at: string;
  pinned_by: string | null;
  message: Message;
}
/** An earlier version of an edited message (`messages.edits`); version 1 is what was sent. */
export type MessageEdit = Tables["message_edits"]["Row"];
export type Conversation = Omit<Tables["conversations"]["Row"], "kind"> & { kind: ConversationKind };
export type Member = Omit<Tables["conversation_members"]["Row"], "role"> & { role: MemberRole };
export type Profile = Tables["profiles"]["Row"];
/** One message found by `search.messages`: the row's main fields and an HTML-safe `snippet` (matches in <mark>). */
export type MessageMatch = Fns["search_messages"]["Returns"][number];
/** One conversation found by `search.conversations`. */
export type ConversationMatch = Fns["search_conversations"]["Returns"][number];
/** A group's invite link as owners and admins read it (never the code). */
export type InviteLink = Omit<Tables["group_invite_links"]["Row"], "code_hash">;
/** A request to join through a link that needs approval. */
export type JoinRequest = Tables["group_join_requests"]["Row"];
/** One person found by `profiles.search`. */
export type ProfileMatch = Fns["search_profiles"]["Returns"][number];
export type Call = Omit<Tables["calls"]["Row"], "kind" | "media" | "status"> & {
  kind: ConversationKind;
  media: CallMedia;
  status: CallStatus;
};
export type MemberProfile = Omit<Fns["list_members"]["Returns"][number], "role"> & { role: MemberRole };
/** A member's cursors: delivered up to `last_delivered_seq`, read up to `last_read_seq` (null: they hide read receipts). */
export type Receipt = Omit<Fns["list_receipts"]["Returns"][number], "last_read_seq"> & { last_read_seq: number | null };
/** A message's ticks: sent, delivered (to every recipient), read (by every recipient). */
export type ReceiptStatus = "sent" | "delivered" | "read";
/** How many of a message's recipients (the members but its sender) it reached and who read it. */
export type MessageReceipts = Omit<Fns["message_receipts"]["Returns"][number], "status"> & { status: ReceiptStatus };

/** The other person of a direct conversation, as the inbox shows them. */
export interface InboxUser {
  id: string;
  username: string | null;
  display_name: string | null;
  avatar_url: string | null;
  last_seen_at: string | null;
  /** I blocked them (docs/safety.md): they cannot message or call me here, nor I them until I unblock. */
  blocked: boolean;
}

/** One row of the conversation list. */
export type InboxEntry = Omit<
  Fns["list_conversations"]["Returns"][number],
  "kind" | "role" | "last_message" | "other_user"
> & {
  kind: ConversationKind;
  role: MemberRole;
  last_message: Message | null;
  other_user: InboxUser | null;
};

export interface CallParticipantSummary {
  user_id: string;
  display_name: string | null;
  avatar_url: string | null;
  state: ParticipantState;
  joined_at: string | null;
  left_at: string | null;
}

/** A call as I saw it (history and active call). */
export type CallHistoryEntry = Omit<
  Fns["list_call_history"]["Returns"][number],
  "kind" | "media" | "status" | "participants" | "direction" | "outcome"
> & {
  kind: ConversationKind;
  media: CallMedia;
  status: CallStatus;
  direction: "outgoing" | "incoming";
  outcome: "answered" | "missed" | "declined" | "cancelled" | "busy" | "ringing" | "active";
  participants: CallParticipantSummary[];
};

/** A page of a list and the cursor of the next one (undefined at the end). */
export interface Page<T, C> {
  items: T[];
  next?: C;
}

export type ReportReason =
  "spam" | "harassment" | "hate" | "violence" | "sexual_content" | "self_harm" | "impersonation" | "other";
export type ReportStatus = "open" | "resolved" | "dismissed";
export type InvitationStatus = "pending" | "accepted" | "declined" | "revoked";
/** A block I made. */
export type Block = Tables["blocks"]["Row"];
/** Someone I blocked, with their profile. */
export type BlockedUser = Fns["list_blocked_users"]["Returns"][number];
/** A group invitation row (mine as invitee, or my group's as owner/admin). */
export type GroupInvitation = Omit<Tables["group_invitations"]["Row"], "status"> & { status: InvitationStatus };
/** One of my pending invitations, with what I need to decide. */
export type PendingInvitation = Omit<Fns["list_invitations"]["Returns"][number], "inviter"> & {
  inviter: { id: string; username: string; display_name: string; avatar_url: string | null } | null;
};
export type GroupBan = Tables["group_bans"]["Row"];
export type Report = Omit<Tables["reports"]["Row"], "reason" | "status"> & {
  reason: ReportReason;
  status: ReportStatus;
};

/** Push providers and the platforms of their devices (push.md). */
export type PushProvider = "expo" | "fcm" | "apns" | "webpush";
export type PushPlatform = "ios" | "android" | "web" | "macos";
/** One of my push targets (a row of parley.push_devices). */
export type PushDevice = Omit<Tables["push_devices"]["Row"], "provider" | "platform" | "keys"> & {
  provider: PushProvider;
  platform: PushPlatform;
  keys: { p256dh: string; auth: string } | null;
};
/** My push settings and heartbeat (a row of parley.push_preferences). */
export type PushPreferences = Tables["push_preferences"]["Row"];
