// Runs leave_call / end_call as the caller (their JWT, so RLS and auth.uid() apply), via supabase-js, and
// reads whom LiveKit should disconnect from a call (get_call_evictions), also as the caller.
import { z } from "zod";
import { HttpError } from "../_shared/http.ts";
import { toHttpError } from "../_shared/postgrest-errors.ts";
import { callRow, type CallEndRequest, type CallRow } from "../_shared/schemas.ts";
import { userClient } from "../_shared/user-client.ts";

/** Applies the hang-up in Postgres and returns the call row after it. */
export type EndCall = (authorization: string, request: CallEndRequest) => Promise<CallRow>;

/** A live call and its participants who are no longer members of its conversation. */
export interface CallEvictions {
  call: CallRow;
  userIds: string[];
}

/** Reads, as the caller, a call and who must leave its room; throws HttpError 401/404. */
export type ReadEvictions = (authorization: string, callId: string) => Promise<CallEvictions>;

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

const userIds = z.array(z.string());

/** The production implementation: get_call_evictions (members only), then the call row through RLS. */
export function supabaseEvictionReader(env: (name: string) => string | undefined): ReadEvictions {
  return async (authorization, callId) => {
    const client = userClient(env, authorization);
    const evictions = await client.rpc("get_call_evictions", { call_id: callId });
    if (evictions.error) throw toHttpError(evictions.error, evictions.status);
    const ids = userIds.safeParse(evictions.data);
    if (!ids.success) throw new HttpError(502, "database_error", "get_call_evictions returned an unexpected value.");
    const row = await client.from("calls").select("*").eq("id", callId).single();
    if (row.error) throw toHttpError(row.error, row.status);
    const call = callRow.safeParse(row.data);
    if (!call.success) throw new HttpError(502, "database_error", "calls returned an unexpected row.");
    return { call: call.data, userIds: ids.data };
  };
}
