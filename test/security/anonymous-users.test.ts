// Anonymous sign-ins with only the public key (issue 23 #3): under the default setting
// (parley.settings anonymous_users = "invited_only") they reach nobody who did not reach them first.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { makeClient, newUser, parleyOf, serviceClient } from "../support/clients.ts";

async function anonymousUser() {
  const client = makeClient();
  const { data, error } = await client.auth.signInAnonymously();
  if (error || !data.user) throw new Error(`signInAnonymously: ${error?.message}`);
  return { id: data.user.id, client, db: parleyOf(client) };
}

describe("anonymous sign-ins", () => {
  it("cannot read the directory, DM a stranger or put strangers in a group", async () => {
    const [anon, stranger] = await Promise.all([anonymousUser(), newUser()]);
    const profiles = await anon.db.from("profiles").select("id");
    expect(profiles.data).toEqual([{ id: anon.id }]);

    const dm = await anon.db.rpc("get_or_create_direct_conversation", { other_user_id: stranger.id });
    expect([dm.status, dm.error?.hint]).toEqual([403, "anonymous_not_allowed"]);
    const sent = await anon.db.rpc("send_direct_message", {
      recipient_id: stranger.id,
      body: "spam",
      client_id: randomUUID(),
    });
    expect([sent.status, sent.error?.hint]).toEqual([403, "anonymous_not_allowed"]);
    const group = await anon.db.rpc("create_group", { title: "Spam", member_ids: [stranger.id] });
    expect([group.status, group.error?.hint]).toEqual([403, "anonymous_not_allowed"]);

    const inbox = await parleyOf(stranger.client).rpc("list_conversations", {});
    expect(inbox.data).toEqual([]);
  });

  it("talks in a conversation a registered user started with them", async () => {
    const [anon, host] = await Promise.all([anonymousUser(), newUser()]);
    const hello = await parleyOf(host.client)
      .rpc("send_direct_message", { recipient_id: anon.id, body: "How can I help?", client_id: randomUUID() })
      .single<{ conversation_id: string }>();
    expect(hello.error).toBeNull();

    const reply = await anon.db
      .rpc("send_direct_message", { recipient_id: host.id, body: "My order is late", client_id: randomUUID() })
      .single<{ conversation_id: string }>();
    expect(reply.error).toBeNull();
    expect(reply.data!.conversation_id).toBe(hello.data!.conversation_id);
    const seen = await anon.db.from("profiles").select("id").order("id");
    expect(seen.data!.map((p) => p.id).sort()).toEqual([anon.id, host.id].sort());
  });
});

describe("users without a profile", () => {
  it("message and are messaged without a raw foreign-key error; the profile comes back", async () => {
    const [lost, other] = await Promise.all([newUser(), newUser()]);
    const service = parleyOf(serviceClient());
    expect((await service.from("profiles").delete().eq("id", lost.id)).error).toBeNull();

    const toLost = await parleyOf(other.client).rpc("send_direct_message", {
      recipient_id: lost.id,
      body: "still there?",
      client_id: randomUUID(),
    });
    expect(toLost.error).toBeNull();
    const back = await parleyOf(lost.client).rpc("send_direct_message", {
      recipient_id: other.id,
      body: "yes",
      client_id: randomUUID(),
    });
    expect(back.error).toBeNull();
    const profile = await parleyOf(other.client).from("profiles").select("username").eq("id", lost.id).single();
    expect(profile.data).toEqual({ username: lost.username });
  });
});
