// Loads what the caller may do in a call, as that user (their JWT, so RLS and auth.uid() apply), via supabase-js.
import { HttpError } from "../_shared/http.ts";
import { toHttpError } from "../_shared/postgrest-errors.ts";
import { callGrantRow, type CallGrantRow } from "../_shared/schemas.ts";
import { userClient } from "../_shared/user-client.ts";

/** Reads one call's grant row through `parley.get_call_grant` with the caller's Authorization header. */
export type LoadGrant = (authorization: string, callId: string) => Promise<CallGrantRow>;

/** The production loader: supabase-js against SUPABASE_URL with the anon key and the user's JWT. */
export function supabaseGrantLoader(env: (name: string) => string | undefined): LoadGrant {
  return async (authorization, callId) => {
    const { data, error, status } = await userClient(env, authorization)
      .rpc("get_call_grant", { call_id: callId })
      .single();
    if (error) throw toHttpError(error, status);
    const parsed = callGrantRow.safeParse(data);
    if (!parsed.success) throw new HttpError(502, "database_error", "get_call_grant returned an unexpected row.");
    return parsed.data;
  };
}
