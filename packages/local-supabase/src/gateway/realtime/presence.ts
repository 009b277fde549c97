// Presence for one room: who tracked what under which key, and the diffs Phoenix Presence clients apply.
import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

export type Meta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string };
/** `{ <key>: { metas: [...] } }`, the shape of `presence_state` and of each side of a diff. */
export type PresenceMap = Record<string, { metas: Meta[] }>;
export interface PresenceDiff {
  joins: PresenceMap;
  leaves: PresenceMap;
}

interface Entry {
  key: string;
  payload: Record<string, unknown>;
  meta: Meta;
}

/** A unique, opaque presence reference (Phoenix uses short random base64 strings). */
const newRef = (): string => randomBytes(9).toString("base64url");

function add(map: PresenceMap, key: string, meta: Meta): void {
  (map[key] ??= { metas: [] }).metas.push(meta);
}

/**
 * The tracked presences of one room. Each owner (a joined channel) has at most one entry, under
 * that channel's presence key; several owners may share a key (two tabs of one user).
 */
export class RoomPresence {
  private readonly entries = new Map<object, Entry>();

  /** Tracks or updates an owner's meta; null when nothing changed (same payload re-tracked). */
  track(owner: object, key: string, payload: Record<string, unknown>): PresenceDiff | null {
    const old = this.entries.get(owner);
    if (old && old.key === key && isDeepStrictEqual(old.payload, payload)) return null;
    const meta: Meta = { ...payload, phx_ref: newRef() };
    const diff: PresenceDiff = { joins: {}, leaves: {} };
    if (old) {
      if (old.key === key) meta.phx_ref_prev = old.meta.phx_ref;
      add(diff.leaves, old.key, old.meta);
    }
    add(diff.joins, key, meta);
    this.entries.set(owner, { key, payload, meta });
    return diff;
  }

  /** Removes an owner's entry; null when it had none. */
  untrack(owner: object): PresenceDiff | null {
    const old = this.entries.get(owner);
    if (!old) return null;
    this.entries.delete(owner);
    const diff: PresenceDiff = { joins: {}, leaves: {} };
    add(diff.leaves, old.key, old.meta);
    return diff;
  }

  state(): PresenceMap {
    const out: PresenceMap = {};
    for (const e of this.entries.values()) add(out, e.key, e.meta);
    return out;
  }

  get size(): number {
    return this.entries.size;
  }
}
