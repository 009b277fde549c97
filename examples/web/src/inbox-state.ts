// The conversation list as the app shows it, built from list_conversations and kept current by live events.
import type { InboxEntry, InboxMessageSummary, Message, MessageKind } from "../../../client/index.ts";

export interface InboxRow {
  id: string;
  kind: "direct" | "group";
  title: string;
  otherUserId: string | undefined;
  otherLastSeen: string | null;
  role: "owner" | "admin" | "member";
  preview: string;
  lastAt: string;
  lastSeq: number;
  unread: number;
}

const ICONS: Record<MessageKind, string> = {
  text: "",
  image: "Photo",
  video: "Video",
  audio: "Audio",
  file: "File",
  system: "",
};

/** The one-line preview of a message, from a full row or from an event's inbox summary. */
export function previewOf(
  m: Pick<Message, "kind" | "deleted_at"> & {
    body?: string | null;
    preview?: string | null;
    attachment?: { name?: string | null } | null;
  },
): string {
  if (m.deleted_at) return "Message deleted";
  if (m.kind === "system") return "Group updated";
  const text = m.body ?? m.preview ?? "";
  if (m.kind === "text") return text;
  const label = m.attachment?.name ? `${ICONS[m.kind]}: ${m.attachment.name}` : ICONS[m.kind];
  return text ? `${ICONS[m.kind]} ${text}` : label;
}

export function rowOf(e: InboxEntry): InboxRow {
  const other = e.other_user;
  return {
    id: e.conversation_id,
    kind: e.kind,
    title:
      e.kind === "group" ? e.title || "Untitled group" : other?.display_name || other?.username || "Deleted account",
    otherUserId: other?.id,
    otherLastSeen: other?.last_seen_at ?? null,
    role: e.role,
    preview: e.last_message ? previewOf(e.last_message) : e.kind === "group" ? "Group created" : "No messages yet",
    lastAt: e.last_message?.created_at ?? e.last_activity_at,
    lastSeq: e.last_seq,
    unread: e.unread_count,
  };
}

export const byActivity = (rows: InboxRow[]): InboxRow[] => [...rows].sort((a, b) => b.lastAt.localeCompare(a.lastAt));

/** A message event applied to its row (the event's inbox summary carries my unread count). */
export function withMessage(
  row: InboxRow,
  message: Message,
  inbox: { last_message: InboxMessageSummary; unread_count: number; last_seq: number } | null,
  openId: string | undefined,
): InboxRow {
  if (!inbox) return message.seq >= row.lastSeq ? { ...row, preview: previewOf(message) } : row;
  return {
    ...row,
    preview: previewOf(inbox.last_message),
    lastAt: inbox.last_message.created_at,
    lastSeq: inbox.last_seq,
    // The open conversation is being read: its badge stays empty (mark_read follows).
    unread: openId === row.id ? 0 : inbox.unread_count,
  };
}
