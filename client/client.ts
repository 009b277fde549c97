// The supabase-js client type every SDK module takes.
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "./database.types.ts";

/** A supabase-js client typed with Parley's schema: `createClient<Database>(url, key)`. */
export type ParleyClient = SupabaseClient<Database>;
