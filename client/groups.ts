// Groups: create, read, update, delete, and member management with owner/admin/member roles.
import type { CallsApi } from "./calls.ts";
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type { Conversation, GroupBan, GroupInvitation, Member, MemberRole } from "./types.ts";

export interface GroupInput {
  title: string;
  description?: string;
  avatarUrl?: string;
  /** Initial members besides me (I become the owner). */
  memberIds?: string[];
}

/** Fields to change; omitted ones stay, `""` clears description or avatar. */
export interface GroupChanges {
  title?: string;
  description?: string;
  avatarUrl?: string;
}

export function groupsApi(db: ParleyRest, calls: CallsApi) {
  return {
    async create(input: GroupInput): Promise<Conversation> {
      return rpc(
        db,
        "create_group",
        {
          title: input.title,
          description: input.description,
          avatar_url: input.avatarUrl,
          member_ids: input.memberIds ?? [],
        },
        "single",
      );
    },
    async get(groupId: string): Promise<Conversation> {
      return rpc(db, "get_group", { group_id: groupId }, "single");
    },
    /** Owner or admin. */
    async update(groupId: string, changes: GroupChanges): Promise<Conversation> {
      return rpc(
        db,
        "update_group",
        { group_id: groupId, title: changes.title, description: changes.description, avatar_url: changes.avatarUrl },
        "single",
      );
    },
    /** Owner only: the group, its members and messages go. */
    async remove(groupId: string): Promise<void> {
      await rpc(db, "delete_group", { group_id: groupId });
    },
    /** Owner or admin; existing members and pending invitees are skipped. People who share no conversation with me get an invitation instead (see `invitations`). Returns the new memberships. */
    async addMembers(groupId: string, userIds: string[]): Promise<Member[]> {
      return rpc(db, "add_members", { group_id: groupId, user_ids: userIds });
    },
    /** Owner or admin; never the owner. Also disconnects them from the group's live call in LiveKit. */
    async removeMember(groupId: string, userId: string): Promise<void> {
      await rpc(db, "remove_member", { group_id: groupId, user_id: userId });
      // Removal took them out of the group's live call; LiveKit drops their connection too.
      const live = unwrap(
        await db
          .from("calls")
          .select("id")
          .eq("conversation_id", groupId)
          .in("status", ["ringing", "active"])
          .maybeSingle(),
      );
      if (live) await calls.evictFormerMembers((live as { id: string }).id);
    },
    /** Owner only; `owner` hands the group over (the old owner becomes admin). */
    async setRole(groupId: string, userId: string, role: MemberRole): Promise<Member> {
      return rpc(db, "set_member_role", { group_id: groupId, user_id: userId, role }, "single");
    },
    /** Owner or admin: makes a member read-only until `until` (`null` lifts it). Posts `member_muted` / `member_unmuted`. */
    async mute(groupId: string, userId: string, until: Date | string | null): Promise<Member> {
      const at = until instanceof Date ? until.toISOString() : until;
      return rpc(db, "mute_member", { group_id: groupId, user_id: userId, until: at }, "single");
    },
    /** Owner or admin: removes the user and refuses re-adds and invitations until `unban`. Idempotent. */
    async ban(groupId: string, userId: string): Promise<GroupBan> {
      return rpc(db, "ban_member", { group_id: groupId, user_id: userId }, "single");
    },
    /** Owner or admin: lifts a ban; false when there was none. */
    async unban(groupId: string, userId: string): Promise<boolean> {
      return rpc(db, "unban_member", { group_id: groupId, user_id: userId });
    },
    /** Owner or admin: the group's bans. */
    async bans(groupId: string): Promise<GroupBan[]> {
      return unwrap(await db.from("group_bans").select("*").eq("conversation_id", groupId));
    },
    /** Owner or admin: the group's invitations (those `addMembers` / `create` sent to people who share no conversation with the adder). */
    async invitations(groupId: string): Promise<GroupInvitation[]> {
      return unwrap(
        await db.from("group_invitations").select("*").eq("conversation_id", groupId).order("created_at"),
      ) as GroupInvitation[];
    },
    /** Owner or admin: takes back a pending invitation (an answered one stays as it was). */
    async revokeInvitation(invitationId: string): Promise<GroupInvitation> {
      return rpc(db, "revoke_invitation", { invitation_id: invitationId }, "single");
    },
    /** Leaves; an owner hands over to the longest-standing admin (else member); the last one out deletes the group. */
    async leave(groupId: string): Promise<void> {
      await rpc(db, "leave_group", { group_id: groupId });
    },
  };
}

export type GroupsApi = ReturnType<typeof groupsApi>;
