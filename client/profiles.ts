// Profiles: who people are (username, display name, avatar, last seen).
import type { ParleyRest } from "./client.ts";
import { unwrap } from "./errors.ts";
import type { Profile, ProfileMatch } from "./types.ts";

export interface ProfileChanges {
  username?: string;
  displayName?: string;
  avatarUrl?: string | null;
}

export function profilesApi(db: ParleyRest, currentUserId: () => Promise<string>) {
  return {
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
      return unwrap(await db.rpc("search_profiles", { prefix, max_count: limit })) as ProfileMatch[];
    },
    /** Records that I am around now (`last_seen_at`), for "last seen" when I am offline. */
    async touch(): Promise<void> {
      const id = await currentUserId();
      unwrap(await db.from("profiles").update({ last_seen_at: new Date().toISOString() }).eq("id", id));
    },
  };
}

export type ProfilesApi = ReturnType<typeof profilesApi>;
