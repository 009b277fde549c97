// Messages: send (idempotent), history pages, catch-up by seq, edit and its history, delete for everyone
// or for me, read cursor.
import type { ParleyRest } from "./client.ts";
import { rpc } from "./rpc.ts";
import type { Attachment, Json, Message, MessageEdit, MessageKind, Page } from "./types.ts";

export interface SendInput {
  body?: string;
  kind?: Exclude<MessageKind, "system">;
  attachment?: Attachment;
  metadata?: Record<string, Json>;
  replyToId?: string;
  /**
   * Members to mention (user ids; render them from the body's @names), or "everyone" (a group's owner
   * and admins). Sent as metadata.mentions; each mentioned member's inbox counts it, muted or not.
   */
  mentions?: string[];
  /**
   * Idempotency key, unique per sender. Retrying with the same id returns the first message instead
   * of sending a second one. Generated when omitted: keep it if you retry yourself.
   */
  clientId?: string;
}

export interface HistoryOptions {
  /** Page size, 1–200 (default 50). */
  limit?: number;
  /** Cursor: the `seq` of the oldest message already shown. */
  beforeSeq?: number;
}

const toArgs = (input: SendInput) => ({
  body: input.body,
  kind: input.kind ?? (input.attachment ? undefined : "text"),
  attachment: input.attachment,
  metadata: input.mentions ? { ...input.metadata, mentions: input.mentions } : input.metadata,
  reply_to_id: input.replyToId,
  client_id: input.clientId ?? crypto.randomUUID(),
});

const page = (rows: Message[], limit: number): Page<Message, number> => {
  const last = rows.at(-1);
  return rows.length === limit && last ? { items: rows, next: last.seq } : { items: rows };
};

export function messagesApi(db: ParleyRest) {
  const api = {
    /** Sends to a conversation I belong to. */
    async send(conversationId: string, input: SendInput): Promise<Message> {
      return rpc(db, "send_message", { conversation_id: conversationId, ...toArgs(input) }, "single");
    },

    /** Sends to a user, creating our direct conversation on first use. */
    async sendDirect(recipientId: string, input: SendInput): Promise<Message> {
      return rpc(db, "send_direct_message", { recipient_id: recipientId, ...toArgs(input) }, "single");
    },

    /** A page of history, newest first; pass `next` back as `beforeSeq` for the page before. */
    async list(conversationId: string, options: HistoryOptions = {}): Promise<Page<Message, number>> {
      const limit = options.limit ?? 50;
      const rows = await rpc(db, "list_messages", {
        conversation_id: conversationId,
        max_count: limit,
        before_seq: options.beforeSeq,
      });
      return page(rows, limit);
    },

    /**
     * Replies in the thread of `rootId` (any message that is not itself a reply). The reply stays in its
     * thread unless `alsoInConversation`; the root's thread_reply_count / thread_participants follow.
     */
    async replyInThread(rootId: string, input: SendInput & { alsoInConversation?: boolean }): Promise<Message> {
      const { reply_to_id: _reply, ...args } = toArgs(input);
      void _reply; // threads are the reply structure here; reply_to_id stays for in-conversation quotes
      return rpc(
        db,
        "send_thread_reply",
        { root_id: rootId, ...args, also_in_conversation: input.alsoInConversation ?? false },
        "single",
      );
    },

    /** A page of a thread's replies, newest first; pass `next` back as `beforeSeq` for older ones. */
    async thread(rootId: string, options: HistoryOptions = {}): Promise<Page<Message, number>> {
      const limit = options.limit ?? 50;
      const rows = await rpc(db, "list_thread", { root_id: rootId, max_count: limit, before_seq: options.beforeSeq });
      return page(rows, limit);
    },

    /** A page of my direct conversation with a user, newest first (empty before the first message). */
    async listDirect(otherUserId: string, options: HistoryOptions = {}): Promise<Page<Message, number>> {
      const limit = options.limit ?? 50;
      const rows = await rpc(db, "list_direct_messages", {
        other_user_id: otherUserId,
        max_count: limit,
        before_seq: options.beforeSeq,
      });
      return page(rows, limit);
    },

    /**
     * Everything after `afterSeq`, oldest first — creations, edits and tombstones alike — for a client
     * that was offline or reconnected. Pages until caught up.
     */
    async catchUp(conversationId: string, afterSeq: number, pageSize = 200): Promise<Message[]> {
      const all: Message[] = [];
      let cursor = afterSeq;
      for (;;) {
        const rows = await rpc(db, "list_messages", {
          conversation_id: conversationId,
          after_seq: cursor,
          max_count: pageSize,
        });
        all.push(...rows);
        const last = rows.at(-1);
        if (rows.length < pageSize || !last) return all;
        cursor = last.seq;
      }
    },

    /** Replaces the body (and metadata) of my own message. */
    async edit(messageId: string, body: string, metadata?: Record<string, Json>): Promise<Message> {
      return rpc(db, "edit_message", { message_id: messageId, body, metadata }, "single");
    },

    /** Deletes a message (mine; in groups owners and admins may delete any), leaving a tombstone. */
    async remove(messageId: string): Promise<Message> {
      return rpc(db, "delete_message", { message_id: messageId }, "single");
    },

    /**
     * Forwards a message I can read into another conversation of mine: a new message of mine with its
     * text and attachment (the same file, not a copy) and `metadata.forwarded_from`.
     */
    async forward(messageId: string, conversationId: string, clientId: string = crypto.randomUUID()): Promise<Message> {
      return rpc(
        db,
        "forward_message",
        { message_id: messageId, conversation_id: conversationId, client_id: clientId },
        "single",
      );
    },

    /** The earlier versions of an edited message, oldest first (the message itself is the latest). */
    async edits(messageId: string): Promise<MessageEdit[]> {
      return rpc(db, "list_message_edits", { message_id: messageId });
    },

    /** Deletes a message for me only: my history leaves it out, everyone else still sees it. */
    async hide(messageId: string): Promise<void> {
      await rpc(db, "hide_message", { message_id: messageId });
    },

    async unhide(messageId: string): Promise<void> {
      await rpc(db, "unhide_message", { message_id: messageId });
    },

    /** Moves my read cursor to `seq` (default: everything); returns the cursor, which never moves back. */
    async markRead(conversationId: string, seq?: number): Promise<number> {
      return rpc(db, "mark_read", { conversation_id: conversationId, seq });
    },
  };
  return api;
}

export type MessagesApi = ReturnType<typeof messagesApi>;
