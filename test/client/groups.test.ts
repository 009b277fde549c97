// The SDK's groups end to end: roles decide who may manage members, and the database keeps an owner.
import { describe, expect, it } from "vitest";
import { newParleyUser, refusal } from "./parley.ts";
import { acquaint } from "../support/contacts.ts";

describe("client SDK: groups", () => {
  it("the creator owns the group and its members see it and its messages", async () => {
    const [owner, ana, ben] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(owner, [ana, ben]);
    const group = await owner.parley.groups.create({
      title: "Team",
      description: "our team",
      memberIds: [ana.id, ben.id],
    });
    expect(group).toMatchObject({ kind: "group", title: "Team" });
    const members = await ana.parley.conversations.members(group.id);
    expect(members.map((m) => [m.user_id, m.role])).toEqual(
      expect.arrayContaining([
        [owner.id, "owner"],
        [ana.id, "member"],
        [ben.id, "member"],
      ]),
    );
    expect(members[0]!.role).toBe("owner");

    await ben.parley.messages.send(group.id, { body: "hi all" });
    const page = await ana.parley.messages.list(group.id);
    expect(page.items.find((m) => m.kind === "text")).toMatchObject({ body: "hi all", sender_id: ben.id });
  });

  it("an admin manages members but cannot remove the owner; a member cannot manage anyone", async () => {
    const [owner, admin, member, newcomer] = await Promise.all([
      newParleyUser(),
      newParleyUser(),
      newParleyUser(),
      newParleyUser(),
    ]);
    await acquaint(owner, [admin, member]);
    const group = await owner.parley.groups.create({ title: "Roles", memberIds: [admin.id, member.id] });
    await owner.parley.groups.setRole(group.id, admin.id, "admin");

    await acquaint(admin, [newcomer]);
    const added = await admin.parley.groups.addMembers(group.id, [newcomer.id]);
    expect(added.map((m) => m.user_id)).toEqual([newcomer.id]);
    expect((await refusal(admin.parley.groups.removeMember(group.id, owner.id))).code).toBe("cannot_remove_owner");
    expect((await refusal(member.parley.groups.removeMember(group.id, newcomer.id))).code).toBe("insufficient_role");
    await admin.parley.groups.removeMember(group.id, newcomer.id);
    expect((await refusal(newcomer.parley.groups.get(group.id))).code).toBe("conversation_not_found");
  });

  it("when the owner leaves, the longest-standing admin becomes owner", async () => {
    const [owner, admin, member] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(owner, [admin, member]);
    const group = await owner.parley.groups.create({ title: "Handover", memberIds: [admin.id, member.id] });
    await owner.parley.groups.setRole(group.id, admin.id, "admin");
    await owner.parley.groups.leave(group.id);
    const members = await member.parley.conversations.members(group.id);
    expect(members.find((m) => m.user_id === admin.id)?.role).toBe("owner");
    expect(members.some((m) => m.user_id === owner.id)).toBe(false);
  });

  it("only owners and admins update the group, and only the owner deletes it", async () => {
    const [owner, member] = await Promise.all([newParleyUser(), newParleyUser()]);
    const group = await owner.parley.groups.create({ title: "Before", memberIds: [member.id] });
    // Strangers: the member joins from the invitation.
    const [invitation] = await member.parley.safety.invitations();
    await member.parley.safety.accept(invitation!.id);
    expect((await refusal(member.parley.groups.update(group.id, { title: "Hijacked" }))).code).toBe(
      "insufficient_role",
    );
    expect((await owner.parley.groups.update(group.id, { title: "After" })).title).toBe("After");
    expect((await refusal(member.parley.groups.remove(group.id))).code).toBe("insufficient_role");
    await owner.parley.groups.remove(group.id);
    expect((await member.parley.conversations.inbox()).items).toEqual([]);
  });
});
