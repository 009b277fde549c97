// Parley's own API through /rest/v1 with the official client: messaging and call RPCs, tables under RLS, refusals.
// Parley lives in schema parley: these clients are made with `{ db: { schema: "parley" } }`.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { PARLEY_SCHEMA } from "../support/clients.ts";
import { client as anyClient, closeDb, sqlUser as anyUser } from "@parley/local-supabase/testing/rest";
import { acquaint } from "../support/contacts.ts";

const sqlUser = () => anyUser(PARLEY_SCHEMA);
const client = () => anyClient(undefined, PARLEY_SCHEMA);

afterAll(async () => {
  await closeDb();
});

describe("Parley through /rest/v1", () => {
  it("sends a direct message and lists it in both inboxes", async () => {
    const alice = await sqlUser();
    const bob = await sqlUser();
    const { data: msg, error } = await alice.client.rpc("send_direct_message", {
      recipient_id: bob.id,
      body: "Hello!",
      client_id: randomUUID(),
    });
    expect(error).toBeNull();
    expect(msg).toMatchObject({ body: "Hello!", sender_id: alice.id, kind: "text" });
    const { data: inbox } = await bob.client.rpc("list_conversations", { max_count: 10 });
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ conversation_id: msg.conversation_id, unread_count: 1 });
    const { data: page } = await bob.client.rpc("list_messages", {
      conversation_id: msg.conversation_id,
      max_count: 5,
    });
    expect(page.map((m: { id: string }) => m.id)).toEqual([msg.id]);
  });

  it("reads messages from the table with RLS: members see them, strangers get nothing", async () => {
    const alice = await sqlUser();
    const bob = await sqlUser();
    const stranger = await sqlUser();
    const { data: msg } = await alice.client.rpc("send_direct_message", { recipient_id: bob.id, body: "just us" });
    const mine = await bob.client.from("messages").select("id,body").eq("conversation_id", msg.conversation_id);
    expect(mine.data).toEqual([{ id: msg.id, body: "just us" }]);
    const theirs = await stranger.client.from("messages").select("id").eq("conversation_id", msg.conversation_id);
    expect(theirs.error).toBeNull();
    expect(theirs.data).toEqual([]);
  });

  it("embeds the sender's profile on messages through the foreign key", async () => {
    const alice = await sqlUser();
    const bob = await sqlUser();
    const { data: msg } = await alice.client.rpc("send_direct_message", { recipient_id: bob.id, body: "with profile" });
    const { data, error } = await bob.client
      .from("messages")
      .select("body,sender:profiles(id)")
      .eq("id", msg.id)
      .single();
    expect(error).toBeNull();
    expect(data).toEqual({ body: "with profile", sender: { id: alice.id } });
  });

  it("embeds a self-reference both ways: the parent by FK column, the children by table name with the FK column hint", async () => {
    const alice = await sqlUser();
    const bob = await sqlUser();
    const { data: first } = await alice.client.rpc("send_direct_message", { recipient_id: bob.id, body: "question" });
    const { data: reply } = await bob.client.rpc("send_message", {
      conversation_id: first.conversation_id,
      body: "answer",
      reply_to_id: first.id,
    });
    const parent = await bob.client.from("messages").select("body,reply_to_id(body)").eq("id", reply.id).single();
    expect(parent.data).toEqual({ body: "answer", reply_to_id: { body: "question" } });
    const children = await bob.client
      .from("messages")
      .select("body,replies:messages!reply_to_id(body)")
      .eq("id", first.id)
      .single();
    expect(children.data).toEqual({ body: "question", replies: [{ body: "answer" }] });
  });

  it("surfaces a Parley refusal with its SQLSTATE, status and hint", async () => {
    const alice = await sqlUser();
    const { error, status } = await alice.client.rpc("send_direct_message", { recipient_id: alice.id, body: "me?" });
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: "22023", hint: "cannot_message_self" });
  });

  it("answers a Parley not-found refusal (SQLSTATE PT404) with 404, keeping the Parley hint", async () => {
    const alice = await sqlUser();
    const { error, status } = await alice.client.rpc("list_messages", { conversation_id: randomUUID() });
    expect(error).toMatchObject({ code: "PT404", hint: "conversation_not_found" });
    expect(status).toBe(404);
  });

  it("refuses the anon role with 401", async () => {
    const { error, status } = await client().rpc("list_conversations", {});
    expect(status).toBe(401);
    expect(error?.code).toBe("42501");
  });

  it("runs a group flow: create, add members, list members", async () => {
    const owner = await sqlUser();
    const b = await sqlUser();
    const c = await sqlUser();
    await acquaint(owner, [b, c]);
    const { data: group, error } = await owner.client.rpc("create_group", { title: "Team", member_ids: [b.id] });
    expect(error).toBeNull();
    const added = await owner.client.rpc("add_members", { group_id: group.id, user_ids: [c.id] });
    expect(added.data.map((m: { user_id: string }) => m.user_id)).toEqual([c.id]);
    const { data: members } = await c.client.rpc("list_members", { conversation_id: group.id });
    expect(members.map((m: { user_id: string }) => m.user_id).sort()).toEqual([owner.id, b.id, c.id].sort());
    expect(members[0].role).toBe("owner");
  });

  it("starts a call in a conversation", async () => {
    const alice = await sqlUser();
    const bob = await sqlUser();
    const { data: msg } = await alice.client.rpc("send_direct_message", { recipient_id: bob.id, body: "calling" });
    const { data: call, error } = await alice.client.rpc("start_call", {
      conversation_id: msg.conversation_id,
      media: "video",
    });
    expect(error).toBeNull();
    expect(call).toMatchObject({ conversation_id: msg.conversation_id, media: "video" });
    const { data: active } = await bob.client.rpc("get_active_call");
    expect(active.map((r: { id?: string; call_id?: string }) => r.id ?? r.call_id)).toContain(call.id);
  });
});
