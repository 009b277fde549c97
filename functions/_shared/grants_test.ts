// Unit tests for the grant rule: room-scoped, never roomCreate, sources follow media, roomAdmin follows role.
import assert from "node:assert/strict";
import { TrackSource } from "./deps.ts";
import { callVideoGrant } from "./grants.ts";

Deno.test("grant: joins, publishes, subscribes and sends data in that room only", () => {
  const g = callVideoGrant({ roomName: "call_x", media: "video", kind: "direct", role: "member" });
  assert.equal(g.room, "call_x");
  assert.equal(g.roomJoin, true);
  assert.equal(g.canPublish, true);
  assert.equal(g.canSubscribe, true);
  assert.equal(g.canPublishData, true);
  assert.equal(g.roomCreate, false);
  assert.equal(g.roomList, false);
  assert.equal(g.roomRecord, false);
  assert.equal(g.canUpdateOwnMetadata, false);
});

Deno.test("grant: an audio call publishes the microphone only; video adds camera and screen share", () => {
  assert.deepEqual(callVideoGrant({ roomName: "r", media: "audio", kind: "group", role: "member" }).canPublishSources, [
    TrackSource.MICROPHONE,
  ]);
  const video =
    callVideoGrant({ roomName: "r", media: "video", kind: "group", role: "member" }).canPublishSources ?? [];
  assert.ok(
    video.includes(TrackSource.CAMERA) &&
      video.includes(TrackSource.MICROPHONE) &&
      video.includes(TrackSource.SCREEN_SHARE),
  );
});

Deno.test("grant: group owners and admins moderate the room, members and direct calls do not", () => {
  assert.equal(callVideoGrant({ roomName: "r", media: "audio", kind: "group", role: "owner" }).roomAdmin, true);
  assert.equal(callVideoGrant({ roomName: "r", media: "audio", kind: "group", role: "admin" }).roomAdmin, true);
  assert.equal(callVideoGrant({ roomName: "r", media: "audio", kind: "group", role: "member" }).roomAdmin, false);
  assert.equal(callVideoGrant({ roomName: "r", media: "audio", kind: "direct", role: "owner" }).roomAdmin, false);
});
