// Invite links with the official client: a stranger joins with the code, a gated link queues a request
// the owner approves, a revoked link stops working; the SDK lists links without ever seeing a code's hash.
import { describe, expect, it } from "vitest";
import { createParley } from "../../client/index.ts";
import { newUser, parleyOf } from "../support/clients.ts";

describe("invite links", () => {
  it("a stranger joins with the code; a gated link waits for approval; a revoked one stops working", async () => {
    const [owner, stranger, asker, late] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
    const group = await parleyOf(owner.client).rpc("create_group", { title: "Open house" }).single<{ id: string }>();
    const link = await parleyOf(owner.client)
      .rpc("create_invite_link", { group_id: group.data!.id })
      .single<{ id: string; code: string }>();
    expect(link.error).toBeNull();

    const joined = await parleyOf(stranger.client).rpc("join_by_invite", { code: link.data!.code }).single();
    expect(joined.data).toEqual({ conversation_id: group.data!.id, status: "joined" });
    const members = await parleyOf(stranger.client)
      .from("conversation_members")
      .select("user_id")
      .eq("conversation_id", group.data!.id);
    expect(members.data?.map((m) => m.user_id).sort()).toEqual([owner.id, stranger.id].sort());

    const ownerSdk = createParley(owner.client);
    const gated = await ownerSdk.invites.create(group.data!.id, { requiresApproval: true, maxUses: 5 });
    expect(await createParley(asker.client).invites.join(gated.code)).toEqual({
      conversation_id: group.data!.id,
      status: "pending",
    });
    expect((await ownerSdk.invites.requests(group.data!.id)).map((r) => r.user_id)).toEqual([asker.id]);
    expect((await ownerSdk.invites.approve(group.data!.id, asker.id)).status).toBe("approved");
    expect((await ownerSdk.invites.list(group.data!.id)).map((l) => [l.id, l.uses])).toEqual([
      [gated.id, 1],
      [link.data!.id, 1],
    ]);

    await ownerSdk.invites.revoke(link.data!.id);
    const refused = await parleyOf(late.client).rpc("join_by_invite", { code: link.data!.code });
    expect([refused.status, refused.error?.hint]).toEqual([400, "invite_revoked"]);
    const wrong = await parleyOf(late.client).rpc("join_by_invite", { code: "guess" });
    expect([wrong.status, wrong.error?.hint]).toEqual([404, "invite_not_found"]);
  });
});
