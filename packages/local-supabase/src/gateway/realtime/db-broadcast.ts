// Broadcast from the database: committed inserts into realtime.messages fan out to the topic's room, in commit order.
import type { Rooms } from "./rooms.ts";
import { roomKey } from "./rooms.ts";
import type { Change } from "./replication.ts";

/** bytea text output (`\x0a0b…`) to bytes. */
function byteaToBytes(text: string): Uint8Array {
  return text.startsWith("\\x")
    ? new Uint8Array(Buffer.from(text.slice(2), "hex"))
    : new Uint8Array(Buffer.from(text, "latin1"));
}

/**
 * Returns the replication handler that delivers `realtime.send` / `send_binary` / `broadcast_changes`
 * rows: each insert with an event, id, topic and payload goes to the public or private room of its
 * topic as a user broadcast with `meta: {id}` (spec §9.3). Rolled-back rows never reach the slot.
 */
export function databaseBroadcast(rooms: Rooms): (ch: Change) => void {
  return (ch) => {
    if (ch.type !== "INSERT" || ch.relation.schema !== "realtime" || ch.relation.table !== "messages" || !ch.record)
      return;
    const r = ch.record;
    if (r.extension !== "broadcast" || !r.event || !r.id || !r.topic || r.private == null || !r.inserted_at) return;
    const key = roomKey(r.topic, r.private === "t");
    const base = { kind: "user" as const, event: r.event, meta: { id: r.id } };
    if (r.binary_payload) return rooms.broadcast(key, { ...base, binary: byteaToBytes(r.binary_payload) });
    if (r.payload == null) return;
    let json: unknown;
    try {
      json = JSON.parse(r.payload);
    } catch {
      return;
    }
    rooms.broadcast(key, { ...base, json });
  };
}
