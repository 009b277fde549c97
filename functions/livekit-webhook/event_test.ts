// Unit tests for the mapping of LiveKit webhook events to database calls.
import assert from "node:assert/strict";
import { toCallEvent } from "./event.ts";

Deno.test("event: participant events carry the identity and LiveKit's createdAt", () => {
  const e = toCallEvent({
    event: "participant_joined",
    id: "EV_1",
    createdAt: 1_700_000_000n,
    room: { name: "call_r" },
    participant: { identity: "u1" },
  });
  assert.deepEqual(e, {
    eventId: "EV_1",
    event: "participant_joined",
    roomName: "call_r",
    identity: "u1",
    occurredAt: new Date(1_700_000_000_000),
  });
});

Deno.test("event: participant_connection_aborted counts as participant_left", () => {
  assert.equal(
    toCallEvent({
      event: "participant_connection_aborted",
      id: "EV_2",
      createdAt: 1n,
      room: { name: "r" },
      participant: { identity: "u" },
    })?.event,
    "participant_left",
  );
});

Deno.test(
  "event: track and egress events, events without id or room, participant events without identity are not applied",
  () => {
    assert.equal(toCallEvent({ event: "track_published", id: "EV_3", createdAt: 1n, room: { name: "r" } }), null);
    assert.equal(toCallEvent({ event: "room_started", id: "", createdAt: 1n, room: { name: "r" } }), null);
    assert.equal(toCallEvent({ event: "room_started", id: "EV_4", createdAt: 1n }), null);
    assert.equal(toCallEvent({ event: "participant_left", id: "EV_5", createdAt: 1n, room: { name: "r" } }), null);
  },
);

Deno.test("event: a missing createdAt falls back to the receive time", () => {
  const e = toCallEvent({ event: "room_finished", id: "EV_6", createdAt: 0n, room: { name: "r" } }, () => 42_000);
  assert.equal(e?.occurredAt.getTime(), 42_000);
  assert.equal(e?.identity, null);
});
