// One supabase-js client and Parley on it, configured from Vite's env (.env.local or the shell):
//   VITE_SUPABASE_URL       http://127.0.0.1:54321 for `npm run dev`, or https://<ref>.supabase.co
//   VITE_SUPABASE_ANON_KEY  the anon (or publishable) key `npm run dev` prints, or your project's
//   VITE_LIVEKIT_HINT_URL   optional: the LiveKit URL to mention when no LiveKit server answers
import { createClient } from "@supabase/supabase-js";
import { createParley, type Database } from "../../../client/index.ts";

const url = import.meta.env.VITE_SUPABASE_URL as string | undefined;
const key = import.meta.env.VITE_SUPABASE_ANON_KEY as string | undefined;

/** What is missing from the configuration, if anything (the app then says how to fix it). */
export const configProblem: string | undefined =
  !url || !key
    ? "Set VITE_SUPABASE_URL and VITE_SUPABASE_ANON_KEY (npm run demo does it for you; for a hosted project put them in examples/web/.env.local)."
    : undefined;

export const supabase = createClient<Database>(url ?? "http://127.0.0.1:54321", key ?? "missing-key", {
  db: { schema: "parley" },
  auth: { persistSession: true, autoRefreshToken: true, storageKey: "parley-example-auth" },
});

export const parley = createParley(supabase);
export type { Parley } from "../../../client/index.ts";

/** The project URL and key the client uses (uploads with progress talk to Storage over XHR). */
export const projectUrl = url ?? "http://127.0.0.1:54321";
export const projectKey = key ?? "missing-key";
