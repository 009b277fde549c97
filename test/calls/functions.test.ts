// End to end: the call-token and livekit-webhook edge functions behind the stack's /functions/v1, with real calls.
import { createHash } from "node:crypto";
import { AccessToken, TokenVerifier } from "livekit-server-sdk";
import { describe, expect, it } from "vitest";
import { stackEnv } from "../support/env.ts";
import { newUser, parleyOf, type TestUser } from "../support/clients.ts";
import { acquaint } from "../support/contacts.ts";

// The functions run with LiveKit's dev defaults unless the stack was given other credentials.
const LIVEKIT_KEY = process.env.LIVEKIT_API_KEY ?? "devkey";
const LIVEKIT_SECRET = process.env.LIVEKIT_API_SECRET ?? "secret";

function fn(name: string): string {
  return `${stackEnv.url}/functions/v1/${name}`;
}

async function callToken(body: unknown, accessToken?: string): Promise<Response> {
  return await fetch(fn("call-token"), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      apikey: stackEnv.anonKey,
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

/** Signs a body the way LiveKit's server does: a JWT from the API key carrying the body's sha256. */
async function signed(body: string, secret = LIVEKIT_SECRET): Promise<string> {
  const token = new AccessToken(LIVEKIT_KEY, secret, { ttl: "5m" });
  token.sha256 = createHash("sha256").update(body).digest("base64");
  return await token.toJwt();
}

async function webhook(body: string, authorization: string): Promise<Response> {
  return await fetch(fn("livekit-webhook"), {
    method: "POST",
    headers: { "Content-Type": "application/webhook+json", Authorization: authorization },
    body,
  });
}

function event(fields: { event: string; id: string; room: string; identity?: string }): string {
  return JSON.stringify({
    event: fields.event,
    id: fields.id,
    createdAt: String(Math.floor(Date.now() / 1000)),
    room: { sid: "RM_e2e", name: fields.room },
    ...(fields.identity ? { participant: { sid: "PA_e2e", identity: fields.identity } } : {}),
  });
}

/** Two fresh users with a direct conversation and a call from a to b. */
async function directCall(
  media: "audio" | "video" = "video",
): Promise<{ a: TestUser; b: TestUser; callId: string; room: string }> {
  const a = await newUser();
  const b = await newUser({ displayName: "Bea Callee" });
  const conv = await parleyOf(a.client).rpc("get_or_create_direct_conversation", { other_user_id: b.id });
  if (conv.error) throw new Error(`get_or_create_direct_conversation: ${conv.error.message}`);
  const conversationId = typeof conv.data === "string" ? conv.data : (conv.data as { id: string }).id;
  const call = await parleyOf(a.client)
    .rpc("start_call", { conversation_id: conversationId, media })
    .single<{ id: string; room_name: string }>();
  if (call.error) throw new Error(`start_call: ${call.error.message}`);
  return { a, b, callId: call.data.id, room: call.data.room_name };
}

describe("call-token", () => {
  it("answers 401 without a JWT", async () => {
    const res = await callToken({ callId: "5b7e0d1e-4c1a-4f7e-9a55-0c2d7b6f0a01" });
    expect(res.status).toBe(401);
    // As with the CLI's Kong: a legacy apikey alone is copied into Authorization without "Bearer ",
    // which the function (verify_jwt = false: it checks the caller itself) refuses.
    expect((await res.json()).error.code).toBe("unauthorized");
  });

  it("answers 400 for a callId that is not a uuid string", async () => {
    const user = await newUser();
    const res = await callToken({ callId: 42 }, user.accessToken);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_body");
  });

  it("answers 404 for an unknown call", async () => {
    const user = await newUser();
    const res = await callToken({ callId: "5b7e0d1e-4c1a-4f7e-9a55-0c2d7b6f0a01" }, user.accessToken);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("call_not_found");
  });

  it("refuses the callee before accepting (403), then mints a token LiveKit's verifier accepts", async () => {
    const { b, callId, room } = await directCall();
    const early = await callToken({ callId }, b.accessToken);
    expect(early.status).toBe(403);
    expect((await early.json()).error.code).toBe("not_accepted");

    const accepted = await parleyOf(b.client).rpc("accept_call", { call_id: callId });
    expect(accepted.error).toBeNull();
    const res = await callToken({ callId }, b.accessToken);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ roomName: room, identity: b.id });
    const claims = await new TokenVerifier(LIVEKIT_KEY, LIVEKIT_SECRET).verify(body.token);
    expect(claims.sub).toBe(b.id);
    expect(claims.name).toBe("Bea Callee");
    expect(claims.video).toMatchObject({
      room,
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    expect(claims.video?.roomCreate).not.toBe(true);
    expect(claims.roomConfig).toMatchObject({ name: room, maxParticipants: 2, emptyTimeout: 300 });
  });

  it("refuses a member removed from the group mid-call: accept_call cannot bring them back, call-token is 403 not_a_member", async () => {
    const [owner, rita, ben] = [await newUser(), await newUser(), await newUser()];
    await acquaint(owner, [rita, ben]);
    const group = await parleyOf(owner.client)
      .rpc("create_group", { title: "Removal", member_ids: [rita.id, ben.id] })
      .single<{ id: string }>();
    expect(group.error).toBeNull();
    const call = await parleyOf(owner.client)
      .rpc("start_call", { conversation_id: group.data!.id, media: "video" })
      .single<{ id: string }>();
    const callId = call.data!.id;
    expect((await parleyOf(rita.client).rpc("accept_call", { call_id: callId })).error).toBeNull();
    expect((await callToken({ callId }, rita.accessToken)).status).toBe(200);

    expect(
      (await parleyOf(owner.client).rpc("remove_member", { group_id: group.data!.id, user_id: rita.id })).error,
    ).toBeNull();
    const again = await parleyOf(rita.client).rpc("accept_call", { call_id: callId });
    expect([again.status, again.error?.hint]).toEqual([403, "not_a_member"]);
    const res = await callToken({ callId }, rita.accessToken);
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("not_a_member");
    const mine = await parleyOf(rita.client)
      .from("call_participants")
      .select("state")
      .eq("call_id", callId)
      .eq("user_id", rita.id)
      .single();
    expect(mine.data).toEqual({ state: "left" });
  });

  it("answers 409 once the call is over", async () => {
    const { a, callId } = await directCall("audio");
    await parleyOf(a.client).rpc("end_call", { call_id: callId });
    const res = await callToken({ callId }, a.accessToken);
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe("call_over");
  });
});

describe("livekit-webhook", () => {
  it("answers 401 to a forged signature and 200 to a signed event for an unknown room", async () => {
    const body = event({ event: "room_started", id: `EV_${crypto.randomUUID()}`, room: "no-such-room" });
    expect((await webhook(body, await signed(body, "not-the-secret-at-all-000000000000"))).status).toBe(401);
    const ok = await webhook(body, await signed(body));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ result: "ignored" });
  });

  it("applies a signed participant_left once: the call ends, a replay changes nothing", async () => {
    const { a, b, callId, room } = await directCall("audio");
    await parleyOf(b.client).rpc("accept_call", { call_id: callId });
    const body = event({ event: "participant_left", id: `EV_${crypto.randomUUID()}`, room, identity: b.id });
    const auth = await signed(body);
    const first = await webhook(body, auth);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ result: "applied" });
    const call = await parleyOf(a.client).from("calls").select("status, end_reason").eq("id", callId).single();
    expect(call.data).toEqual({ status: "ended", end_reason: "hung_up" });

    const replay = await webhook(body, auth);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ result: "duplicate" });
    const after = await parleyOf(a.client)
      .from("call_participants")
      .select("user_id, state")
      .eq("call_id", callId)
      .order("user_id");
    expect(after.data?.map((p) => p.state)).toEqual(["left", "left"]);
  });

  it("a forged event for a real call changes nothing", async () => {
    const { a, callId, room } = await directCall("audio");
    const body = event({ event: "room_finished", id: `EV_${crypto.randomUUID()}`, room });
    expect((await webhook(body, await signed(body, "forged-secret-forged-secret-forged-00"))).status).toBe(401);
    const call = await parleyOf(a.client).from("calls").select("status").eq("id", callId).single();
    expect(call.data?.status).toBe("ringing");
  });
});
