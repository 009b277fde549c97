// Runs leave_call / end_call as the caller (their JWT, so RLS and auth.uid() apply), via supabase-js.
import { HttpError } from "../_shared/http.ts";
import { toHttpError } from "../_shared/postgrest-errors.ts";
import { callRow, type CallEndRequest, type CallRow } from "../_shared/schemas.ts";
import { userClient } from "../_shared/user-client.ts";

/** Applies the hang-up in Postgres and returns the call row after it. */
export type EndCall = (authorization: string, request: CallEndRequest) => Promise<CallRow>;

/** The production implementation: supabase-js against SUPABASE_URL with the anon key and the user's JWT. */
export function supabaseCallEnder(env: (name: string) => string | undefined): EndCall {
  return async (authorization, request) => {
    const rpc = request.scope === "everyone" ? "end_call" : "leave_call";
    const { data, error, status } = await userClient(env, authorization).rpc(rpc, { call_id: request.callId }).single();
    if (error) throw toHttpError(error, status);
    const parsed = callRow.safeParse(data);
    if (!parsed.success) throw new HttpError(502, "database_error", `${rpc} returned an unexpected row.`);
    return parsed.data;
  };
}
