// The conversation list (inbox), direct conversations, and my per-conversation settings (mute, hide).
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type { Conversation, InboxEntry, MemberProfile, Page } from "./types.ts";

/** Where the next inbox page starts: the last row's activity time and id. */
export interface InboxCursor {
  lastActivityAt: string;
  conversationId: string;
}

export interface InboxOptions {
  /** Page size, 1–200 (default 50). */
  limit?: number;
  after?: InboxCursor;
  /** Include conversations I hid (default false). */
  includeHidden?: boolean;
}

export function conversationsApi(db: ParleyRest, currentUserId: () => Promise<string>) {
  return {
    /** My conversations by latest activity, with last message, unread count and the other person (direct). */
    async inbox(options: InboxOptions = {}): Promise<Page<InboxEntry, InboxCursor>> {
      const limit = options.limit ?? 50;
      const rows = await rpc(db, "list_conversations", {
        max_count: limit,
        before_activity_at: options.after?.lastActivityAt,
        before_id: options.after?.conversationId,
        include_hidden: options.includeHidden ?? false,
      });
      const last = rows.at(-1);
      return rows.length === limit && last
        ? { items: rows, next: { lastActivityAt: last.last_activity_at, conversationId: last.conversation_id } }
        : { items: rows };
    },

    /** My direct conversation with a user, created if it does not exist yet. */
    async direct(otherUserId: string): Promise<Conversation> {
      return rpc(db, "get_or_create_direct_conversation", { other_user_id: otherUserId }, "single");
    },

    /** Members with their profiles, owner first. */
    async members(conversationId: string): Promise<MemberProfile[]> {
      return rpc(db, "list_members", { conversation_id: conversationId });
    },

    /** Mutes notifications until a time (`null` unmutes). */
    async mute(conversationId: string, until: Date | null): Promise<void> {
      const me = await currentUserId();
      unwrap(
        await db
          .from("conversation_members")
          .update({ muted_until: until?.toISOString() ?? null })
          .eq("conversation_id", conversationId)
          .eq("user_id", me),
      );
    },

    /** Hides a conversation from my list until its next message (or `hidden = false`). */
    async hide(conversationId: string, hidden = true): Promise<void> {
      const me = await currentUserId();
      unwrap(
        await db
          .from("conversation_members")
          .update({ hidden_at: hidden ? new Date().toISOString() : null })
          .eq("conversation_id", conversationId)
          .eq("user_id", me),
      );
    },
  };
}

export type ConversationsApi = ReturnType<typeof conversationsApi>;
