// Search: messages I may read (by word or substring, newest first, with filters and an HTML-safe
// snippet) and my conversations by title or the other person's name.
import type { ParleyRest } from "./client.ts";
import { rpc } from "./rpc.ts";
import type { ConversationMatch, MessageMatch, Page } from "./types.ts";

export interface MessageSearchOptions {
  /** Only this conversation. */
  conversationId?: string;
  /** Only messages from this user. */
  fromUserId?: string;
  kind?: "text" | "image" | "video" | "audio" | "file";
  hasAttachment?: boolean;
  /** Sent after / before these instants. */
  after?: string;
  before?: string;
  /** Page size, 1–200 (default 20). */
  limit?: number;
  /** Cursor: the `next` of the previous page. */
  cursor?: { createdAt: string; id: string };
}

export function searchApi(db: ParleyRest) {
  return {
    /** Messages matching every word of `query`, or containing it (3+ characters), newest first. */
    async messages(
      query: string,
      options: MessageSearchOptions = {},
    ): Promise<Page<MessageMatch, { createdAt: string; id: string }>> {
      const limit = options.limit ?? 20;
      const rows = await rpc(db, "search_messages", {
        query,
        in_conversation_id: options.conversationId,
        from_user_id: options.fromUserId,
        message_kind: options.kind,
        has_attachment: options.hasAttachment,
        after: options.after,
        before: options.cursor?.createdAt ?? options.before,
        before_id: options.cursor?.id,
        max_count: limit,
      });
      const last = rows.at(-1);
      return rows.length === limit && last
        ? { items: rows, next: { createdAt: last.created_at, id: last.id } }
        : { items: rows };
    },
    /** My conversations whose group title or other person's name contains `query`. */
    async conversations(query: string, limit = 20): Promise<ConversationMatch[]> {
      return rpc(db, "search_conversations", { query, max_count: limit });
    },
  };
}

export type SearchApi = ReturnType<typeof searchApi>;
