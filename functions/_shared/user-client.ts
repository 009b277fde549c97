// A supabase-js client that acts as the calling user: their JWT, so RLS and auth.uid() apply to every query.
import { createClient } from "./deps.ts";
import { HttpError } from "./http.ts";
import { serverClientOptions } from "./supabase-options.ts";

/** supabase-js against SUPABASE_URL (schema `parley`) with the anon (or publishable) key and the caller's Authorization header. */
export function userClient(env: (name: string) => string | undefined, authorization: string) {
  const url = env("SUPABASE_URL");
  const key = env("SUPABASE_ANON_KEY") ?? env("SUPABASE_PUBLISHABLE_KEY");
  if (!url || !key)
    throw new HttpError(503, "supabase_not_configured", "SUPABASE_URL and SUPABASE_ANON_KEY must be set.");
  return createClient(url, key, { ...serverClientOptions, global: { headers: { Authorization: authorization } } });
}
