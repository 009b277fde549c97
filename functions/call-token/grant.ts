// Loads what the caller may do in a call, as that user (their JWT, so RLS and auth.uid() apply), via supabase-js.
import { createClient } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import { toHttpError } from "../_shared/postgrest-errors.ts";
import { callGrantRow, type CallGrantRow } from "../_shared/schemas.ts";

/** Reads one call's grant row through `public.get_call_grant` with the caller's Authorization header. */
export type LoadGrant = (authorization: string, callId: string) => Promise<CallGrantRow>;

/** The production loader: supabase-js against SUPABASE_URL with the anon key and the user's JWT. */
export function supabaseGrantLoader(env: (name: string) => string | undefined): LoadGrant {
  return async (authorization, callId) => {
    const url = env("SUPABASE_URL");
    const key = env("SUPABASE_ANON_KEY") ?? env("SUPABASE_PUBLISHABLE_KEY");
    if (!url || !key) throw new HttpError(503, "supabase_not_configured", "SUPABASE_URL and SUPABASE_ANON_KEY must be set.");
    const client = createClient(url, key, {
      global: { headers: { Authorization: authorization } },
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    const { data, error, status } = await client.rpc("get_call_grant", { call_id: callId }).single();
    if (error) throw toHttpError(error, status);
    const parsed = callGrantRow.safeParse(data);
    if (!parsed.success) throw new HttpError(502, "database_error", "get_call_grant returned an unexpected row.");
    return parsed.data;
  };
}
