// Delivery and read receipts: each member's delivered and read cursors (a message is delivered to /
// read by a member whose cursor reaches its seq), a message's counts, and my read-receipt setting.
// The live inbox acknowledges arriving messages by itself (live.ts); markDelivered is for clients that
// fetch messages some other way, e.g. after a push notification.
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type { Message, MessageReceipts, Receipt, ReceiptStatus } from "./types.ts";

export function receiptsApi(db: ParleyRest, currentUserId: () => Promise<string>) {
  return {
    /** Says a device of mine received a conversation up to `seq` (default: its last message); returns my delivered cursor. */
    async markDelivered(conversationId: string, seq?: number): Promise<number> {
      return rpc(db, "mark_delivered", { conversation_id: conversationId, seq });
    },

    /** Every member's cursors (`last_read_seq` is null for someone who hides read receipts). */
    async list(conversationId: string): Promise<Receipt[]> {
      return rpc(db, "list_receipts", { conversation_id: conversationId });
    },

    /** One message's recipients, deliveries and reads, and its ticks (what a "message info" screen shows). */
    async forMessage(messageId: string): Promise<MessageReceipts> {
      return rpc(db, "message_receipts", { message_id: messageId }, "single");
    },

    /** Keeps how far I have read from the people I talk to (they still see what was delivered to me). */
    async hideReadReceipts(hidden: boolean): Promise<void> {
      const me = await currentUserId();
      unwrap(await db.from("user_settings").upsert({ user_id: me, hide_read_receipts: hidden }));
    },

    /** Whether I hide my read receipts (false until I say otherwise). */
    async readReceiptsHidden(): Promise<boolean> {
      const rows = unwrap(await db.from("user_settings").select("hide_read_receipts"));
      return rows[0]?.hide_read_receipts ?? false;
    },
  };
}

/**
 * The ticks of my message from receipts I already hold (from `list`, kept current by `member_read` /
 * `member_delivered`): read when every other member's read cursor reaches it, delivered when every
 * delivered cursor does, else sent. No request: for direct conversations, drawn per message.
 * @example
 * const receipts = await parley.receipts.list(conversationId);
 * const ticks = receiptStatus(message, receipts);
 */
export function receiptStatus(message: Pick<Message, "seq" | "sender_id">, receipts: Receipt[]): ReceiptStatus {
  const others = receipts.filter((r) => r.user_id !== message.sender_id);
  if (others.length === 0) return "sent";
  if (others.every((r) => r.last_read_seq !== null && r.last_read_seq >= message.seq)) return "read";
  if (others.every((r) => r.last_delivered_seq >= message.seq)) return "delivered";
  return "sent";
}

export type ReceiptsApi = ReturnType<typeof receiptsApi>;
