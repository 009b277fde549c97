// Safety: blocking, group invitations (consent), reports (docs/safety.md). The rules live in the database.
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type {
  Block,
  BlockedUser,
  GroupInvitation,
  Member,
  PendingInvitation,
  Report,
  ReportReason,
  ReportStatus,
} from "./types.ts";

export function safetyApi(db: ParleyRest) {
  return {
    /** Blocks a user: they can no longer open a direct conversation with me, message me directly, call me or add me to groups. Idempotent. */
    async block(userId: string): Promise<Block> {
      return rpc(db, "block_user", { user_id: userId }, "single");
    },
    /** Lifts my block; false when there was none. */
    async unblock(userId: string): Promise<boolean> {
      return rpc(db, "unblock_user", { user_id: userId });
    },
    /** The people I blocked, newest first. */
    async blocked(): Promise<BlockedUser[]> {
      return rpc(db, "list_blocked_users", {});
    },
    /**
     * The ids of the people I blocked, to hide their messages in groups we share.
     * @example
     * const blocked = await parley.safety.blockedIds();
     * const shown = messages.filter((m) => !m.sender_id || !blocked.has(m.sender_id));
     */
    async blockedIds(): Promise<Set<string>> {
      const rows = unwrap(await db.from("blocks").select("blocked_id"));
      return new Set(rows.map((r) => r.blocked_id));
    },
    /** My pending group invitations, newest first (the inbox's invitations section). */
    async invitations(): Promise<PendingInvitation[]> {
      return rpc(db, "list_invitations", {});
    },
    /** Accepts an invitation: I become a member. A retry returns the same membership. */
    async accept(invitationId: string): Promise<Member> {
      return rpc(db, "accept_invitation", { invitation_id: invitationId }, "single");
    },
    /** Declines an invitation (nothing is posted in the group). Idempotent. */
    async decline(invitationId: string): Promise<GroupInvitation> {
      return rpc(db, "decline_invitation", { invitation_id: invitationId }, "single");
    },
    /** Reports a message of a conversation I belong to; group reports reach its owner and admins. A repeat returns my open report. */
    async reportMessage(messageId: string, reason: ReportReason, details?: string): Promise<Report> {
      return rpc(db, "report_message", { message_id: messageId, reason, details }, "single");
    },
    /** Reports a user (read by the project's service role). A repeat returns my open report. */
    async reportUser(userId: string, reason: ReportReason, details?: string): Promise<Report> {
      return rpc(db, "report_user", { user_id: userId, reason, details }, "single");
    },
    /** Reports I can read: my own, and (owner or admin) those on my groups' messages; `groupId` narrows to one group's queue. */
    async reports(options: { groupId?: string; status?: ReportStatus } = {}): Promise<Report[]> {
      let query = db.from("reports").select("*").order("created_at", { ascending: false });
      if (options.groupId) query = query.eq("conversation_id", options.groupId);
      if (options.status) query = query.eq("status", options.status);
      return unwrap(await query) as Report[];
    },
    /** Owner or admin: closes a report on my group's content as resolved (default) or dismissed. */
    async resolveReport(reportId: string, status: Exclude<ReportStatus, "open"> = "resolved"): Promise<Report> {
      return rpc(db, "resolve_report", { report_id: reportId, status }, "single");
    },
  };
}

export type SafetyApi = ReturnType<typeof safetyApi>;
