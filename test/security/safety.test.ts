// Blocking, consent for group adds, moderation and reports with the plain official client (supabase-js
// on schema parley), end to end through the local stack (docs/safety.md).
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { byEvent, live, user } from "../events/support.ts";
import { parleyOf, serviceClient, type TestUser } from "../support/clients.ts";
import { newParleyUser } from "../client/parley.ts";

const db = (u: TestUser) => parleyOf(u.client);

describe("blocking", () => {
  it("a blocked caller cannot message or call the blocker, and hears what a missing user answers", async () => {
    const [alice, bob] = [await user(), await user()];
    const hello = await db(bob)
      .rpc("send_direct_message", { recipient_id: alice.id, body: "hi", client_id: randomUUID() })
      .single<{ conversation_id: string }>();
    expect(hello.error).toBeNull();
    const blocked = await db(alice).rpc("block_user", { user_id: bob.id }).single();
    expect(blocked.error).toBeNull();

    const dm = await db(bob).rpc("send_direct_message", {
      recipient_id: alice.id,
      body: "hello?",
      client_id: randomUUID(),
    });
    const nobody = await db(bob).rpc("send_direct_message", {
      recipient_id: randomUUID(),
      body: "hello?",
      client_id: randomUUID(),
    });
    expect([dm.status, dm.error?.hint]).toEqual([404, "user_not_found"]);
    expect([dm.status, dm.error?.code, dm.error?.hint]).toEqual([
      nobody.status,
      nobody.error?.code,
      nobody.error?.hint,
    ]);
    const inThread = await db(bob).rpc("send_message", {
      conversation_id: hello.data!.conversation_id,
      body: "still there?",
    });
    expect([inThread.status, inThread.error?.hint]).toEqual([404, "user_not_found"]);
    const call = await db(bob).rpc("start_call", { conversation_id: hello.data!.conversation_id, media: "audio" });
    expect([call.status, call.error?.hint]).toEqual([404, "user_not_found"]);

    // Only the blocker sees the block: in their table, their inbox, their list.
    expect((await db(bob).from("blocks").select("*")).data).toEqual([]);
    expect((await db(alice).from("blocks").select("blocked_id")).data).toEqual([{ blocked_id: bob.id }]);
    const inbox = await db(alice).rpc("list_conversations", {});
    expect(inbox.data?.[0]?.other_user).toMatchObject({ id: bob.id, blocked: true });
    const messages = await db(alice).rpc("list_messages", { conversation_id: hello.data!.conversation_id });
    expect(messages.data?.map((m: { body: string }) => m.body)).toEqual(["hi"]);

    expect((await db(alice).rpc("unblock_user", { user_id: bob.id })).data).toBe(true);
    const again = await db(bob).rpc("send_message", {
      conversation_id: hello.data!.conversation_id,
      body: "friends again",
    });
    expect(again.error).toBeNull();
  });
});

describe("consent for group adds", () => {
  it("adding a stranger makes an invitation, which the invitee sees live and accepts from the inbox", async () => {
    const [owner, invitee] = [await user(), await user()];
    const inbox = await live(invitee, `user:${invitee.id}`);
    const group = await db(owner)
      .rpc("create_group", { title: "Book club", member_ids: [invitee.id] })
      .single<{ id: string }>();
    expect(group.error).toBeNull();

    // Not a member yet: the group is not theirs to read.
    expect((await db(invitee).rpc("list_conversations", {})).data).toEqual([]);
    const received = await inbox.events.next(byEvent("invitation_received"));
    expect(received.payload.invitation).toMatchObject({
      conversation_id: group.data!.id,
      title: "Book club",
      inviter: { id: owner.id },
    });

    const pending = await db(invitee).rpc("list_invitations", {});
    expect(pending.data).toMatchObject([
      { conversation_id: group.data!.id, title: "Book club", member_count: 1, inviter: { id: owner.id } },
    ]);
    const invitationId = (pending.data as { id: string }[])[0]!.id;
    const accepted = await db(invitee).rpc("accept_invitation", { invitation_id: invitationId }).single();
    expect(accepted.error).toBeNull();
    expect(accepted.data).toMatchObject({ conversation_id: group.data!.id, user_id: invitee.id, role: "member" });
    expect((await inbox.events.next(byEvent("conversation_added"))).payload).toMatchObject({
      conversation_id: group.data!.id,
    });

    const retried = await db(invitee).rpc("accept_invitation", { invitation_id: invitationId }).single();
    expect(retried.data).toEqual(accepted.data);
    const conversations = await db(invitee).rpc("list_conversations", {});
    expect(conversations.data?.map((c: { conversation_id: string }) => c.conversation_id)).toEqual([group.data!.id]);
    const members = await db(invitee).rpc("list_members", { conversation_id: group.data!.id });
    expect(members.data).toHaveLength(2);
    expect((await db(invitee).rpc("list_invitations", {})).data).toEqual([]);
  });

  it("the SDK lists, accepts and declines invitations", async () => {
    const [owner, ana, ben] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const group = await owner.parley.groups.create({ title: "Climbers", memberIds: [ana.id, ben.id] });
    expect((await owner.parley.groups.invitations(group.id)).map((i) => i.status)).toEqual(["pending", "pending"]);
    const [forAna] = await ana.parley.safety.invitations();
    expect(forAna).toMatchObject({ conversation_id: group.id, title: "Climbers" });
    await ana.parley.safety.accept(forAna!.id);
    const [forBen] = await ben.parley.safety.invitations();
    expect((await ben.parley.safety.decline(forBen!.id)).status).toBe("declined");
    const statuses = (await owner.parley.groups.invitations(group.id)).map((i) => [i.invitee_id, i.status]);
    expect(statuses).toEqual(
      expect.arrayContaining([
        [ana.id, "accepted"],
        [ben.id, "declined"],
      ]),
    );
    expect((await owner.parley.conversations.members(group.id)).map((m) => m.user_id).sort()).toEqual(
      [owner.id, ana.id].sort(),
    );
  });
});

describe("moderation and reports", () => {
  it("a muted member gets 403 member_muted with until; a banned one cannot be added back; reports reach the group's moderators", async () => {
    const [owner, member, other] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const group = await owner.parley.groups.create({ title: "Moderated", memberIds: [member.id, other.id] });
    for (const u of [member, other]) {
      const [invitation] = await u.parley.safety.invitations();
      await u.parley.safety.accept(invitation!.id);
    }
    const spam = await member.parley.messages.send(group.id, { body: "buy now" });

    const report = await other.parley.safety.reportMessage(spam.id, "spam", "third time today");
    expect(await other.parley.safety.reportMessage(spam.id, "spam")).toMatchObject({ id: report.id });
    expect((await owner.parley.safety.reports({ groupId: group.id })).map((r) => r.id)).toEqual([report.id]);
    expect(await member.parley.safety.reports()).toEqual([]);
    const all = await parleyOf(serviceClient()).from("reports").select("id").eq("id", report.id);
    expect(all.data).toEqual([{ id: report.id }]);

    const until = new Date(Date.now() + 3600_000);
    await owner.parley.groups.mute(group.id, member.id, until);
    const muted = await db(member).rpc("send_message", { conversation_id: group.id, body: "hey" });
    expect([muted.status, muted.error?.hint]).toEqual([403, "member_muted"]);
    expect(new Date(JSON.parse(muted.error!.details).until as string).getTime()).toBe(until.getTime());

    await owner.parley.groups.ban(group.id, member.id);
    const back = await db(owner).rpc("add_members", { group_id: group.id, user_ids: [member.id] });
    expect([back.status, back.error?.hint]).toEqual([403, "user_banned"]);
    expect((await owner.parley.safety.resolveReport(report.id)).status).toBe("resolved");
  });
});
