// Reactions and pins: emoji on a message (counts on the message row, mine from one query per page) and
// a conversation's pinned messages.
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type { Message, PinnedMessage, ReactionState } from "./types.ts";

export function reactionsApi(db: ParleyRest, currentUserId: () => Promise<string>) {
  return {
    /** Adds my reaction (one emoji or a :shortcode:); idempotent. */
    async add(messageId: string, emoji: string): Promise<ReactionState> {
      return rpc(db, "add_reaction", { message_id: messageId, emoji });
    },
    /** Takes my reaction back; removing one that is not there changes nothing. */
    async remove(messageId: string, emoji: string): Promise<ReactionState> {
      return rpc(db, "remove_reaction", { message_id: messageId, emoji });
    },
    /**
     * My own reactions on a page of messages, by message id, in one query (the counts are on each
     * message's `reactions`).
     */
    async mine(messages: Pick<Message, "id">[]): Promise<Map<string, string[]>> {
      const mine = new Map<string, string[]>();
      if (messages.length === 0) return mine;
      const me = await currentUserId();
      const rows = unwrap(
        await db
          .from("message_reactions")
          .select("message_id, emoji")
          .eq("user_id", me)
          .in(
            "message_id",
            messages.map((m) => m.id),
          )
          .order("created_at"),
      );
      for (const row of rows) mine.set(row.message_id, [...(mine.get(row.message_id) ?? []), row.emoji]);
      return mine;
    },
  };
}

export function pinsApi(db: ParleyRest) {
  return {
    /** Pins a message (group: owner or admin; direct: either person); idempotent. */
    async pin(messageId: string): Promise<void> {
      await rpc(db, "pin_message", { message_id: messageId });
    },
    async unpin(messageId: string): Promise<void> {
      await rpc(db, "unpin_message", { message_id: messageId });
    },
    /** The conversation's pinned messages, newest pin first. */
    async list(conversationId: string): Promise<PinnedMessage[]> {
      return rpc(db, "list_pins", { conversation_id: conversationId });
    },
  };
}

export type ReactionsApi = ReturnType<typeof reactionsApi>;
export type PinsApi = ReturnType<typeof pinsApi>;
