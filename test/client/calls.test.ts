// The SDK's calls end to end: the state machine RPCs, the incoming-call event and LiveKit tokens from call-token.
import { TokenVerifier } from "livekit-server-sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { CallIncomingEvent, LiveChannel } from "../../client/index.ts";
import { newParleyUser, refusal } from "./parley.ts";
import { acquaint } from "../support/contacts.ts";

// The stack runs the functions with LiveKit's dev credentials unless told otherwise.
const verifier = new TokenVerifier(process.env.LIVEKIT_API_KEY ?? "devkey", process.env.LIVEKIT_API_SECRET ?? "secret");

const open: LiveChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe("client SDK: calls", () => {
  it("a direct video call rings the callee's inbox, both get a token for the room once answered, and history records it", async () => {
    const [ann, bob] = await Promise.all([newParleyUser("Ann"), newParleyUser("Bob")]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    let ringing!: (e: CallIncomingEvent) => void;
    const incoming = new Promise<CallIncomingEvent>((r) => (ringing = r));
    open.push(await bob.parley.live.inbox({ call_incoming: (e) => ringing(e) }));

    const call = await ann.parley.calls.start(conversation.id, "video");
    expect(call).toMatchObject({ status: "ringing", media: "video", kind: "direct", max_participants: 2 });
    const rung = await incoming;
    expect(rung.call).toMatchObject({ id: call.id, status: "ringing" });
    // The ring deadline: the callee's device stops ringing on its own 45 s after the invitation.
    expect(Date.parse(rung.ring_expires_at) - Date.parse(rung.participant!.invited_at)).toBe(45_000);
    expect((await bob.parley.calls.active())?.id).toBe(call.id);

    const notYet = await refusal(bob.parley.calls.token(call.id));
    expect(notYet).toMatchObject({ code: "not_accepted", status: 403 });

    expect((await bob.parley.calls.accept(call.id)).status).toBe("active");
    for (const user of [ann, bob]) {
      const token = await user.parley.calls.token(call.id);
      expect(token).toMatchObject({ roomName: call.room_name, identity: user.id });
      const claims = await verifier.verify(token.token);
      expect(claims.sub).toBe(user.id);
      expect(claims.video).toMatchObject({
        room: call.room_name,
        roomJoin: true,
        canPublish: true,
        canSubscribe: true,
      });
      expect(claims.video?.roomCreate).toBeFalsy();
    }

    // No LiveKit server runs in tests: the call ends in the database all the same, and the room is reported not closed.
    expect(await ann.parley.calls.end(call.id)).toMatchObject({
      call: { id: call.id, status: "ended" },
      roomClosed: false,
    });
    expect(await bob.parley.calls.active()).toBeNull();
    const history = await bob.parley.calls.history();
    expect(history.items[0]).toMatchObject({
      id: call.id,
      direction: "incoming",
      outcome: "answered",
      status: "ended",
    });
    expect(history.items[0]!.participants.map((p) => p.user_id).sort()).toEqual([ann.id, bob.id].sort());
  });

  it("a declined call ends as declined for the caller and cannot be joined afterwards", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const call = await ann.parley.calls.start(conversation.id, "audio");
    expect((await bob.parley.calls.decline(call.id)).status).toBe("declined");
    const history = await ann.parley.calls.history();
    expect(history.items[0]).toMatchObject({ id: call.id, direction: "outgoing", outcome: "declined" });
    expect((await refusal(ann.parley.calls.token(call.id))).code).toBe("call_over");
  });

  it("the last one to leave a group call ends it for the history of everyone who was in it", async () => {
    const [owner, ana, ben] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(owner, [ana, ben]);
    const group = await owner.parley.groups.create({ title: "Standup", memberIds: [ana.id, ben.id] });
    const call = await owner.parley.calls.start(group.id, "audio");
    await ana.parley.calls.accept(call.id);
    expect((await owner.parley.calls.leave(call.id)).call.status).toBe("active");
    expect((await ana.parley.calls.leave(call.id)).call.status).toBe("ended");
    const [ben1] = (await ben.parley.calls.history()).items;
    expect(ben1).toMatchObject({ id: call.id, kind: "group", direction: "incoming" });
    expect(["missed", "declined"]).toContain(ben1!.outcome);
  });

  it("pages the history by created_at and refuses a page size outside 1–200", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const first = await ann.parley.calls.start(conversation.id, "audio");
    await bob.parley.calls.decline(first.id);
    const second = await ann.parley.calls.start(conversation.id, "video");
    await bob.parley.calls.decline(second.id);
    const newest = await ann.parley.calls.history({ limit: 1 });
    expect(newest.items.map((c) => c.id)).toEqual([second.id]);
    expect(newest.next).toBe(newest.items[0]!.created_at);
    const older = await ann.parley.calls.history({ limit: 1, before: newest.next });
    expect(older.items.map((c) => c.id)).toEqual([first.id]);
    expect(await refusal(ann.parley.calls.history({ limit: 201 }))).toMatchObject({
      code: "invalid_page_size",
      status: 400,
    });
  });

  it("a stranger can neither see a call nor get a token for it", async () => {
    const [ann, bob, eve] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const call = await ann.parley.calls.start(conversation.id, "audio");
    expect((await refusal(eve.parley.calls.accept(call.id))).code).toBe("call_not_found");
    expect((await refusal(eve.parley.calls.token(call.id))).status).toBe(404);
    expect((await refusal(eve.parley.calls.end(call.id))).code).toBe("call_not_found");
    expect((await ann.parley.calls.active())?.status).toBe("ringing");
  });
});
