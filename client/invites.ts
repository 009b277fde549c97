// Invite links of groups: make, list, revoke (owners and admins), join by code, and the approval queue.
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type { InviteLink, JoinRequest } from "./types.ts";

export interface InviteLinkOptions {
  /** Lifetime, 60 s to a year (default 7 days); `null` for a link that never expires. */
  expiresInSeconds?: number | null;
  /** How many joins it allows (default: no limit). */
  maxUses?: number;
  /** Joins wait for an owner's or admin's approval. */
  requiresApproval?: boolean;
}

/** The columns of group_invite_links that members may read (the code's hash is never readable). */
const LINK_COLUMNS =
  "id, conversation_id, created_by, created_at, expires_at, max_uses, uses, requires_approval, revoked_at";

export function invitesApi(db: ParleyRest) {
  return {
    /** Owner or admin: a new link; `code` is shown this once (only its hash is kept). */
    async create(
      groupId: string,
      options: InviteLinkOptions = {},
    ): Promise<{ id: string; code: string; expires_at: string | null }> {
      const args = {
        group_id: groupId,
        expires_in_seconds: options.expiresInSeconds === null ? undefined : options.expiresInSeconds,
        max_uses: options.maxUses,
        requires_approval: options.requiresApproval,
      };
      return rpc(db, "create_invite_link", args, "single");
    },
    /** Owner or admin: the group's links, newest first. */
    async list(groupId: string): Promise<InviteLink[]> {
      return unwrap(
        await db
          .from("group_invite_links")
          .select(LINK_COLUMNS)
          .eq("conversation_id", groupId)
          .order("created_at", { ascending: false }),
      ) as InviteLink[];
    },
    async revoke(inviteLinkId: string): Promise<void> {
      await rpc(db, "revoke_invite_link", { invite_link_id: inviteLinkId });
    },
    /** Joins with a code: `joined`, or `pending` when the link needs approval. */
    async join(code: string): Promise<{ conversation_id: string; status: "joined" | "pending" }> {
      return rpc(db, "join_by_invite", { code }, "single");
    },
    /** Owner or admin: the pending requests to join (a requester sees their own). */
    async requests(groupId: string): Promise<JoinRequest[]> {
      return unwrap(
        await db
          .from("group_join_requests")
          .select("*")
          .eq("conversation_id", groupId)
          .eq("status", "pending")
          .order("requested_at"),
      );
    },
    async approve(groupId: string, userId: string): Promise<JoinRequest> {
      return rpc(db, "approve_join_request", { group_id: groupId, user_id: userId }, "single");
    },
    async decline(groupId: string, userId: string): Promise<JoinRequest> {
      return rpc(db, "decline_join_request", { group_id: groupId, user_id: userId }, "single");
    },
  };
}

export type InvitesApi = ReturnType<typeof invitesApi>;
