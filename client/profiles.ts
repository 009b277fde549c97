// Profiles: who people are (username, display name, avatar, last seen).
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import { whileForeground } from "./foreground.ts";
import { rpc } from "./rpc.ts";
import type { Profile, ProfileMatch } from "./types.ts";

export interface ProfileChanges {
  username?: string;
  displayName?: string;
  avatarUrl?: string | null;
}

export function profilesApi(db: ParleyRest, currentUserId: () => Promise<string>) {
  const api = {
    async get(userId: string): Promise<Profile | null> {
      return unwrap(await db.from("profiles").select("*").eq("id", userId).maybeSingle());
    },
    async me(): Promise<Profile> {
      const id = await currentUserId();
      return unwrap(await db.from("profiles").select("*").eq("id", id).single());
    },
    async update(changes: ProfileChanges): Promise<Profile> {
      const id = await currentUserId();
      const row: { username?: string; display_name?: string; avatar_url?: string | null } = {};
      if (changes.username !== undefined) row.username = changes.username;
      if (changes.displayName !== undefined) row.display_name = changes.displayName;
      if (changes.avatarUrl !== undefined) row.avatar_url = changes.avatarUrl;
      return unwrap(await db.from("profiles").update(row).eq("id", id).select("*").single());
    },
    /**
     * People whose username starts with `prefix` (case-insensitive), the exact match first, at most
     * `limit` (1–200, default 20): for picking whom to message or add to a group.
     */
    async search(prefix: string, limit = 20): Promise<ProfileMatch[]> {
      return rpc(db, "search_profiles", { prefix, max_count: limit });
    },
    /**
     * Records that I am around now (`last_seen_at`). RLS lets only its owner move it, so unlike
     * presence on a conversation topic (a hint any member can fake) it is a trustworthy "last seen".
     */
    async touch(): Promise<void> {
      const id = await currentUserId();
      unwrap(await db.from("profiles").update({ last_seen_at: new Date().toISOString() }).eq("id", id));
    },
    /**
     * Keeps `last_seen_at` fresh while the app is in the foreground: `touch()` now and every `everyMs`
     * (default 60 s, at least 1 s); in a browser only while the page is visible, and again as soon as
     * it becomes visible. Show someone as online when their `last_seen_at` is within about two periods.
     * Returns the function that stops it. A failed touch is passed to `onError` (default: ignored) and
     * the next period tries again.
     * @example
     * const stop = parley.profiles.heartbeat({ everyMs: 30_000 });
     * // on sign-out: stop();
     */
    heartbeat(options: { everyMs?: number; onError?: (error: unknown) => void } = {}): () => void {
      return whileForeground({
        everyMs: Math.max(1_000, options.everyMs ?? 60_000),
        beat: () => void api.touch().catch((e: unknown) => options.onError?.(e)),
      });
    },
  };
  return api;
}

export type ProfilesApi = ReturnType<typeof profilesApi>;
