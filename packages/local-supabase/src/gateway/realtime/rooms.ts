// Rooms: the joined channels per sub-topic, public and private kept apart, and their fan-out.
import { RoomPresence, type PresenceDiff } from "./presence.ts";
import type { Broadcast } from "./serializer.ts";

/** What a room needs from a joined channel. */
export interface RoomMember {
  /** Sends a broadcast if this channel may read it; `fromSelf` is true for the sender's own channel. */
  deliverBroadcast(b: Broadcast, fromSelf: boolean): void;
  deliverPresenceDiff(diff: PresenceDiff): void;
}

export interface Room {
  members: Set<RoomMember>;
  presence: RoomPresence;
}

/** Public and private channels with the same sub-topic are separate rooms (spec §3.1). */
export const roomKey = (subTopic: string, isPrivate: boolean): string =>
  `${isPrivate ? "private" : "public"}:${subTopic}`;

export class Rooms {
  private readonly rooms = new Map<string, Room>();

  join(key: string, member: RoomMember): Room {
    let room = this.rooms.get(key);
    if (!room) this.rooms.set(key, (room = { members: new Set(), presence: new RoomPresence() }));
    room.members.add(member);
    return room;
  }

  leave(key: string, member: RoomMember): void {
    const room = this.rooms.get(key);
    if (!room) return;
    room.members.delete(member);
    const diff = room.presence.untrack(member);
    if (diff) for (const m of room.members) m.deliverPresenceDiff(diff);
    if (room.members.size === 0 && room.presence.size === 0) this.rooms.delete(key);
  }

  get(key: string): Room | undefined {
    return this.rooms.get(key);
  }

  /** Fans a broadcast out to every member; the sender (if any) is told it is its own. */
  broadcast(key: string, b: Broadcast, sender?: RoomMember): void {
    const room = this.rooms.get(key);
    if (!room) return;
    for (const m of room.members) m.deliverBroadcast(b, m === sender);
  }

  presenceDiff(key: string, diff: PresenceDiff): void {
    const room = this.rooms.get(key);
    if (!room) return;
    for (const m of room.members) m.deliverPresenceDiff(diff);
  }
}
