// Phoenix wire formats Realtime speaks: vsn 1.0.0 (JSON objects) and 2.0.0 (JSON arrays + binary broadcast frames).
// Payloads are encoded at any depth, as Realtime's Jason does (JSON.stringify alone throws past ~4,000 levels).
import { stringifyJson } from "../json.ts";

export type Vsn = "1.0.0" | "2.0.0";

/** One Phoenix message. Client pushes carry `join_ref`/`ref`; fan-out messages have both null. */
export interface Message {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/**
 * A broadcast on its way to subscribers, kept in the form it arrived in so each subscriber can get
 * the encoding its protocol version allows (spec §2.5):
 * - `map`: a whole JSON payload map (v1 client sends, REST batch), sent as a text `broadcast` event;
 * - `user`: a user broadcast (v2 client sends, REST single, database), sent as binary kind 4 to v2
 *   and as a JSON map to v1 (binary payloads cannot reach v1 and are skipped).
 */
export type Broadcast =
  | { kind: "map"; event: string; map: Record<string, unknown> }
  | { kind: "user"; event: string; json?: unknown; binary?: Uint8Array; meta?: Record<string, unknown> };

/** A client `broadcast` push decoded from a kind-3 binary frame. */
export interface UserBroadcastPush {
  join_ref: string;
  ref: string;
  topic: string;
  broadcast: Extract<Broadcast, { kind: "user" }>;
}

export type Decoded = { type: "message"; message: Message } | { type: "user_broadcast"; push: UserBroadcastPush };

export class FrameError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");
const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;

/**
 * Header strings of kind-3 frames. realtime-js writes one byte per UTF-16 code unit (not UTF-8),
 * so a name with "é" arrives as latin-1; decode UTF-8 when valid, else latin-1, so it round-trips.
 */
function headerString(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

const asRef = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Decodes one client frame; throws FrameError for a malformed one (the socket logs and drops it). */
export function decode(vsn: Vsn, data: Buffer, isBinary: boolean): Decoded {
  if (isBinary) {
    if (vsn !== "2.0.0") throw new FrameError("binary frame on a 1.0.0 socket");
    return { type: "user_broadcast", push: decodeUserBroadcastPush(data) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString("utf8"));
  } catch {
    throw new FrameError("frame is not JSON");
  }
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length < 5) throw new FrameError("frame is not a 5-element array");
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    if (typeof topic !== "string" || typeof event !== "string") throw new FrameError("topic and event must be strings");
    return { type: "message", message: { join_ref: asRef(joinRef), ref: asRef(ref), topic, event, payload } };
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new FrameError("frame is not a JSON object");
  const o = parsed as Record<string, unknown>;
  if (typeof o.topic !== "string" || typeof o.event !== "string")
    throw new FrameError("topic and event must be strings");
  return {
    type: "message",
    message: { join_ref: asRef(o.join_ref), ref: asRef(o.ref), topic: o.topic, event: o.event, payload: o.payload },
  };
}

function decodeUserBroadcastPush(buf: Buffer): UserBroadcastPush {
  if (buf.length < 7 || buf[0] !== KIND_USER_BROADCAST_PUSH)
    throw new FrameError(`unknown binary frame kind ${buf[0]}`);
  const [j, r, t, e, m, encoding] = [buf[1]!, buf[2]!, buf[3]!, buf[4]!, buf[5]!, buf[6]!];
  let at = 7;
  const take = (n: number): Uint8Array => {
    if (at + n > buf.length) throw new FrameError("binary frame shorter than its header says");
    const part = buf.subarray(at, at + n);
    at += n;
    return part;
  };
  const joinRef = headerString(take(j));
  const ref = headerString(take(r));
  const topic = headerString(take(t));
  const event = headerString(take(e));
  take(m); // metadata (e.g. `persist`): decoded and ignored, as the server does
  const body = buf.subarray(at);
  if (encoding === 0)
    return { join_ref: joinRef, ref, topic, broadcast: { kind: "user", event, binary: new Uint8Array(body) } };
  if (encoding !== 1) throw new FrameError(`unknown payload encoding ${encoding}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    throw new FrameError("broadcast payload is not JSON");
  }
  return { join_ref: joinRef, ref, topic, broadcast: { kind: "user", event, json } };
}

/** Encodes a message for a socket of the given version. */
export function encode(vsn: Vsn, m: Message): string {
  if (vsn === "2.0.0") return stringifyJson([m.join_ref, m.ref, m.topic, m.event, m.payload]);
  return stringifyJson({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref });
}

/** Frames already built for a broadcast, per protocol version and topic: a fan-out encodes once. */
const encoded = new WeakMap<Broadcast, Map<string, string | Buffer | undefined>>();

/** Encodes a broadcast for one subscriber; undefined when it cannot be represented (binary to v1). */
export function encodeBroadcast(vsn: Vsn, topic: string, b: Broadcast): string | Buffer | undefined {
  let frames = encoded.get(b);
  if (!frames) encoded.set(b, (frames = new Map()));
  const key = `${vsn} ${topic}`;
  if (frames.has(key)) return frames.get(key);
  const frame = buildBroadcast(vsn, topic, b);
  frames.set(key, frame);
  return frame;
}

function buildBroadcast(vsn: Vsn, topic: string, b: Broadcast): string | Buffer | undefined {
  if (b.kind === "map") return encode(vsn, { join_ref: null, ref: null, topic, event: "broadcast", payload: b.map });
  if (vsn === "1.0.0") {
    if (b.binary) return undefined;
    const payload: Record<string, unknown> = { event: b.event, payload: b.json, type: "broadcast" };
    if (b.meta) payload.meta = b.meta;
    return encode(vsn, { join_ref: null, ref: null, topic, event: "broadcast", payload });
  }
  const t = Buffer.from(topic, "utf8");
  const e = Buffer.from(b.event, "utf8");
  const m = b.meta ? Buffer.from(stringifyJson(b.meta), "utf8") : Buffer.alloc(0);
  if (t.length > 255 || e.length > 255 || m.length > 255) return undefined;
  const body = b.binary ? Buffer.from(b.binary) : Buffer.from(stringifyJson(b.json ?? {}), "utf8");
  const head = Buffer.from([KIND_USER_BROADCAST, t.length, e.length, m.length, b.binary ? 0 : 1]);
  return Buffer.concat([head, t, e, m, body]);
}
