// End to end: rate limits and slow mode through the official clients — HTTP 429 with PostgREST's error
// body, retry_after in details, the functions' Retry-After, the SDK's retryAfter, and no overshoot when one
// user's requests race. Each test tightens the limits of its own new users only (parley.rate_limit_overrides,
// written with the service role), so nothing else running at the same time meets them.
import { describe, expect, it } from "vitest";
import { createParley } from "../../client/index.ts";
import { newUser, parleyOf, serviceClient, type TestUser } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";
import { acquaint } from "../support/contacts.ts";

type Bucket = "send_message" | "new_direct" | "create_group" | "add_member" | "start_call" | "upload" | "call_token";

/** Gives a user their own limit for one bucket (the service role's job). */
async function limit(user: TestUser, bucket: Bucket, burst: number, perMinute: number): Promise<void> {
  const { error } = await parleyOf(serviceClient())
    .from("rate_limit_overrides")
    .upsert({ user_id: user.id, bucket, burst, per_minute: perMinute });
  if (error) throw new Error(`rate_limit_overrides: ${error.message}`);
}

async function group(owner: TestUser, members: TestUser[]): Promise<string> {
  await acquaint(owner, members);
  const { data, error } = await parleyOf(owner.client)
    .rpc("create_group", { title: "Limits", member_ids: members.map((m) => m.id) })
    .single<{ id: string }>();
  if (error || !data) throw new Error(`create_group: ${error?.message}`);
  return data.id;
}

function retryAfter(details: string | null | undefined): number {
  const parsed = JSON.parse(details ?? "null") as { retry_after?: unknown } | null;
  expect(typeof parsed?.retry_after).toBe("number");
  return parsed!.retry_after as number;
}

describe("rate limits", () => {
  it("20 parallel sends from one user take exactly the burst; the rest are 429 rate_limited and write nothing", async () => {
    const [ann, bob] = await Promise.all([newUser(), newUser()]);
    const conversationId = await group(ann, [bob]);
    await limit(ann, "send_message", 5, 0.01);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        parleyOf(ann.client).rpc("send_message", { conversation_id: conversationId, body: `burst ${i}` }),
      ),
    );
    const sent = results.filter((r) => r.error === null);
    const refused = results.filter((r) => r.error !== null);
    expect(sent).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.error?.code).toBe("PT429");
      expect(r.error?.hint).toBe("rate_limited");
      expect(retryAfter(r.error?.details)).toBeGreaterThan(0);
    }
    const { data: rows } = await parleyOf(bob.client)
      .from("messages")
      .select("body")
      .eq("conversation_id", conversationId)
      .eq("sender_id", ann.id)
      .eq("kind", "text");
    expect(rows).toHaveLength(5);
  });

  it("answers 429 with PostgREST's body (code, message, details, hint); a retried client_id is answered, not counted", async () => {
    const [ann, bob] = await Promise.all([newUser(), newUser()]);
    const conversationId = await group(ann, [bob]);
    await limit(ann, "send_message", 1, 6);
    const clientId = crypto.randomUUID();
    const first = await parleyOf(ann.client)
      .rpc("send_message", { conversation_id: conversationId, body: "once", client_id: clientId })
      .single<{ id: string }>();
    expect(first.error).toBeNull();
    const res = await fetch(`${stackEnv.url}/rest/v1/rpc/send_message`, {
      method: "POST",
      headers: {
        apikey: stackEnv.anonKey,
        Authorization: `Bearer ${ann.accessToken}`,
        "Content-Type": "application/json",
        "Content-Profile": "parley",
      },
      body: JSON.stringify({ conversation_id: conversationId, body: "twice" }),
    });
    expect(res.status).toBe(429);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["code", "details", "hint", "message"]);
    expect(body.code).toBe("PT429");
    expect(body.hint).toBe("rate_limited");
    expect(JSON.parse(body.details as string)).toEqual({ retry_after: 10, bucket: "send_message" });
    const replay = await parleyOf(ann.client)
      .rpc("send_message", { conversation_id: conversationId, body: "once", client_id: clientId })
      .single<{ id: string }>();
    expect(replay.error).toBeNull();
    expect(replay.data?.id).toBe(first.data?.id);
  });

  it("the SDK surfaces rate_limited with status 429 and retryAfter", async () => {
    const [ann, bob] = await Promise.all([newUser(), newUser()]);
    await limit(ann, "new_direct", 1, 1);
    const parley = createParley(ann.client);
    const other = await newUser();
    await parley.messages.sendDirect(bob.id, { body: "hello" });
    const error = await parley.messages.sendDirect(other.id, { body: "hello too" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      name: "ParleyError",
      code: "rate_limited",
      status: 429,
      sqlstate: "PT429",
      retryAfter: 60,
    });
  });

  it("slow mode: a member waits between messages (429 slow_mode with retryAfter), the owner does not", async () => {
    const [owner, member] = await Promise.all([newUser(), newUser()]);
    const conversationId = await group(owner, [member]);
    const set = await parleyOf(owner.client)
      .rpc("set_slow_mode", { group_id: conversationId, seconds: 60 })
      .single<{ slow_mode_seconds: number }>();
    expect(set.data?.slow_mode_seconds).toBe(60);
    const parley = createParley(member.client);
    await parley.messages.send(conversationId, { body: "first" });
    const error = await parley.messages.send(conversationId, { body: "second" }).then(
      () => undefined,
      (e: unknown) => e as { code: string; status: number; retryAfter: number },
    );
    expect(error).toMatchObject({ code: "slow_mode", status: 429 });
    expect(error?.retryAfter).toBeGreaterThan(55);
    expect(error?.retryAfter).toBeLessThanOrEqual(60);
    const owners = createParley(owner.client);
    await owners.messages.send(conversationId, { body: "owner 1" });
    await owners.messages.send(conversationId, { body: "owner 2" });
  });

  it("call-token answers 429 with Retry-After and the usual error body; the SDK gives retryAfter", async () => {
    const [ann, bob] = await Promise.all([newUser(), newUser()]);
    const { data: conversation } = await parleyOf(ann.client)
      .rpc("get_or_create_direct_conversation", { other_user_id: bob.id })
      .single<{ id: string }>();
    const { data: call } = await parleyOf(ann.client)
      .rpc("start_call", { conversation_id: conversation!.id, media: "audio" })
      .single<{ id: string }>();
    await limit(ann, "call_token", 1, 2);
    const token = (accessToken: string) =>
      fetch(`${stackEnv.url}/functions/v1/call-token`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          apikey: stackEnv.anonKey,
          Authorization: `Bearer ${accessToken}`,
        },
        body: JSON.stringify({ callId: call!.id }),
      });
    expect((await token(ann.accessToken)).status).toBe(200);
    const res = await token(ann.accessToken);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({
      error: { code: "rate_limited", message: expect.stringContaining("call_token") as unknown, retryAfter: 30 },
    });
    const error = await createParley(ann.client)
      .calls.token(call!.id)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: "ParleyError", code: "rate_limited", status: 429, retryAfter: 30 });
  });

  it("uploads into parley-attachments are limited too; the SDK names the refusal rate_limited", async () => {
    const [ann, bob] = await Promise.all([newUser(), newUser()]);
    const conversationId = await group(ann, [bob]);
    await limit(ann, "upload", 1, 1);
    const parley = createParley(ann.client);
    const file = { data: new Uint8Array([137, 80, 78, 71]), contentType: "image/png", name: "a.png" };
    await parley.attachments.upload(conversationId, file);
    const error = await parley.attachments.upload(conversationId, { ...file, name: "b.png" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: "ParleyError", code: "rate_limited", status: 429 });
    const { data: objects } = await ann.client.storage.from("parley-attachments").list(conversationId);
    expect(objects?.map((o) => o.name)).toHaveLength(1);
  });
});
