// The Phoenix wire formats against realtime-js's own serializer: what the client encodes, the stack decodes;
// what the stack encodes (text messages and binary broadcasts), the client decodes.
import { RealtimeClient } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { decode, encode, encodeBroadcast, FrameError, type Broadcast } from "./serializer.ts";

// realtime-js's own encoder and decoder for protocol 2.0.0 (the client is never connected).
const client = new RealtimeClient("ws://127.0.0.1:9/realtime/v1", {
  params: { apikey: "unused" },
  transport: WebSocket as unknown as typeof globalThis.WebSocket,
});

type Push = { join_ref: string | null; ref: string | null; topic: string; event: string; payload: unknown };

/** What realtime-js puts on the wire for a push (a string, or an ArrayBuffer for broadcasts). */
function clientFrame(msg: Push): string | ArrayBuffer {
  let frame: unknown;
  client.encode(msg as Parameters<RealtimeClient["encode"]>[0], (f) => void (frame = f));
  return frame as string | ArrayBuffer;
}

/** How realtime-js decodes a frame the stack sent. */
function clientDecode(frame: string | Buffer): unknown {
  const raw = typeof frame === "string" ? frame : frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length);
  let out: unknown;
  client.decode(raw as ArrayBuffer, (m) => void (out = m));
  return out;
}

describe("decode", () => {
  it("reads a 2.0.0 text push (the 5-element array)", () => {
    const frame = clientFrame({
      join_ref: "1",
      ref: "2",
      topic: "realtime:room",
      event: "phx_join",
      payload: { a: 1 },
    });
    expect(decode("2.0.0", Buffer.from(frame as string), false)).toEqual({
      type: "message",
      message: { join_ref: "1", ref: "2", topic: "realtime:room", event: "phx_join", payload: { a: 1 } },
    });
  });

  it("reads a 1.0.0 push (an object), refs as strings", () => {
    const frame = JSON.stringify({ topic: "phoenix", event: "heartbeat", payload: {}, ref: 7, join_ref: null });
    expect(decode("1.0.0", Buffer.from(frame), false)).toEqual({
      type: "message",
      message: { join_ref: null, ref: "7", topic: "phoenix", event: "heartbeat", payload: {} },
    });
  });

  it("reads realtime-js's binary broadcast push with a JSON payload", () => {
    const frame = clientFrame({
      join_ref: "3",
      ref: "4",
      topic: "realtime:room",
      event: "broadcast",
      payload: { type: "broadcast", event: "typing", payload: { who: "ann", n: [1, 2] } },
    });
    expect(frame).toBeInstanceOf(ArrayBuffer);
    expect(decode("2.0.0", Buffer.from(frame as ArrayBuffer), true)).toEqual({
      type: "user_broadcast",
      push: {
        join_ref: "3",
        ref: "4",
        topic: "realtime:room",
        broadcast: { kind: "user", event: "typing", json: { who: "ann", n: [1, 2] } },
      },
    });
  });

  it("reads a binary payload as bytes, and a latin-1 header byte (realtime-js writes UTF-16 code units)", () => {
    const bytes = new Uint8Array([0, 1, 2, 255]).buffer;
    const frame = clientFrame({
      join_ref: "1",
      ref: "2",
      topic: "realtime:café",
      event: "broadcast",
      payload: { type: "broadcast", event: "blob", payload: bytes },
    });
    const out = decode("2.0.0", Buffer.from(frame as ArrayBuffer), true);
    expect(out).toMatchObject({ type: "user_broadcast", push: { topic: "realtime:café" } });
    expect(out.type === "user_broadcast" && out.push.broadcast.binary).toEqual(new Uint8Array([0, 1, 2, 255]));
  });

  it("refuses malformed frames with FrameError", () => {
    const bad: Array<[Parameters<typeof decode>[0], Buffer, boolean]> = [
      ["2.0.0", Buffer.from("not json"), false],
      ["2.0.0", Buffer.from("[1,2,3]"), false],
      ["2.0.0", Buffer.from('[null,null,1,"e",{}]'), false],
      ["1.0.0", Buffer.from("[]"), false],
      ["1.0.0", Buffer.from([3, 0, 0, 0, 0, 0, 1]), true],
      ["2.0.0", Buffer.from([9, 0, 0, 0, 0, 0, 1]), true],
      ["2.0.0", Buffer.from([3, 5, 0, 0, 0, 0, 1, 65]), true],
      ["2.0.0", Buffer.from([3, 0, 0, 0, 0, 0, 7, 65]), true],
    ];
    for (const [vsn, data, binary] of bad) expect(() => decode(vsn, data, binary)).toThrow(FrameError);
  });
});

describe("encode", () => {
  const m = { join_ref: "1", ref: "2", topic: "realtime:room", event: "phx_reply", payload: { status: "ok" } };

  it("writes 2.0.0 as the array realtime-js reads", () => {
    expect(clientDecode(encode("2.0.0", m))).toEqual(m);
  });

  it("writes 1.0.0 as an object without join_ref", () => {
    expect(JSON.parse(encode("1.0.0", m))).toEqual({
      topic: "realtime:room",
      event: "phx_reply",
      payload: { status: "ok" },
      ref: "2",
    });
  });

  it("encodes payloads deeper than JSON.stringify can", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(encode("2.0.0", { ...m, payload: deep })).toMatch(/^\["1","2","realtime:room","phx_reply",\[\[\[/);
  });
});

describe("encodeBroadcast", () => {
  const user: Broadcast = { kind: "user", event: "typing", json: { who: "ann" }, meta: { id: "m-1" } };

  it("sends a user broadcast to 2.0.0 as the binary kind-4 frame realtime-js decodes", () => {
    const frame = encodeBroadcast("2.0.0", "room", user);
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect(clientDecode(frame as Buffer)).toEqual({
      join_ref: null,
      ref: null,
      topic: "room",
      event: "broadcast",
      payload: { type: "broadcast", event: "typing", payload: { who: "ann" }, meta: { id: "m-1" } },
    });
  });

  it("sends bytes as bytes to 2.0.0, and nothing to 1.0.0, which cannot carry them", () => {
    const binary: Broadcast = { kind: "user", event: "blob", binary: new Uint8Array([1, 2, 3]) };
    const decoded = clientDecode(encodeBroadcast("2.0.0", "room", binary) as Buffer) as {
      payload: { payload: unknown };
    };
    expect(new Uint8Array(decoded.payload.payload as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect(encodeBroadcast("1.0.0", "room", binary)).toBeUndefined();
  });

  it("sends a user broadcast to 1.0.0 as a JSON `broadcast` event, and a payload map as it came", () => {
    expect(JSON.parse(encodeBroadcast("1.0.0", "room", user) as string)).toEqual({
      topic: "room",
      event: "broadcast",
      payload: { event: "typing", payload: { who: "ann" }, type: "broadcast", meta: { id: "m-1" } },
      ref: null,
    });
    const map: Broadcast = { kind: "map", event: "e", map: { type: "broadcast", event: "e", payload: { x: 1 } } };
    expect(clientDecode(encodeBroadcast("2.0.0", "room", map) as string)).toEqual({
      join_ref: null,
      ref: null,
      topic: "room",
      event: "broadcast",
      payload: { type: "broadcast", event: "e", payload: { x: 1 } },
    });
  });

  it("encodes once per version and topic for a fan-out", () => {
    expect(encodeBroadcast("2.0.0", "room", user)).toBe(encodeBroadcast("2.0.0", "room", user));
    expect(encodeBroadcast("2.0.0", "other", user)).not.toBe(encodeBroadcast("2.0.0", "room", user));
  });

  it("cannot put a topic longer than 255 bytes in a binary frame", () => {
    expect(encodeBroadcast("2.0.0", "t".repeat(256), user)).toBeUndefined();
  });
});
