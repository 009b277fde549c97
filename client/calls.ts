// Calls: the state machine RPCs, history, my live call, and the LiveKit token from the call-token function.
import {
  callEndResponse,
  callTokenResponse,
  type CallEndResponse,
  type CallTokenResponse,
} from "../functions/_shared/schemas.ts";
import type { z } from "zod";
import type { ParleyClient, ParleyRest } from "./client.ts";
import { fromFunctionsError, ParleyError } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type { Call, CallHistoryEntry, CallMedia, Page } from "./types.ts";

export type { CallEndResponse, CallTokenResponse };

export interface CallHistoryOptions {
  /** Page size, 1–200 (default 50). */
  limit?: number;
  /** Cursor: the `created_at` of the last call already shown. */
  before?: string;
}

export function callsApi(supabase: ParleyClient, db: ParleyRest) {
  /** Invokes a Parley function and parses its 200 body with the schema it shares with the function. */
  const invoke = async <T>(name: string, body: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> => {
    const { data, error } = await supabase.functions.invoke<unknown>(name, { body });
    if (error) throw await fromFunctionsError(error);
    const parsed = schema.safeParse(data);
    if (!parsed.success)
      throw new ParleyError({
        code: "invalid_response",
        message: `${name} answered an unexpected body: ${parsed.error.message}`,
        status: 200,
        cause: parsed.error,
      });
    return parsed.data;
  };
  return {
    /** Rings the conversation (direct: the other person; group: every member), or joins its live call. */
    async start(conversationId: string, media: CallMedia = "audio"): Promise<Call> {
      return rpc(db, "start_call", { conversation_id: conversationId, media }, "single");
    },
    /** Answers a call ringing me, or joins / rejoins a live group call. Every device of mine sees it. */
    async accept(callId: string): Promise<Call> {
      return rpc(db, "accept_call", { call_id: callId }, "single");
    },
    async decline(callId: string): Promise<Call> {
      return rpc(db, "decline_call", { call_id: callId }, "single");
    },
    /**
     * Hangs up for me (ends a direct call; a group call ends when nobody is left). Goes through the
     * `call-end` function, which also closes the LiveKit room once the call is over.
     */
    async leave(callId: string): Promise<CallEndResponse> {
      return invoke("call-end", { callId, scope: "me" }, callEndResponse);
    },
    /** Ends it for everyone (direct: either side; group: the caller, an owner or an admin), closing the LiveKit room. */
    async end(callId: string): Promise<CallEndResponse> {
      return invoke("call-end", { callId, scope: "everyone" }, callEndResponse);
    },
    /**
     * Disconnects from the call's LiveKit room everyone who is no longer a member of its conversation
     * (the database already took them out of the call). `groups.removeMember` does this for you.
     */
    async evictFormerMembers(callId: string): Promise<CallEndResponse> {
      return invoke("call-end", { callId, scope: "removed" }, callEndResponse);
    },
    /** My calls, newest first, each as I saw it (outcome, duration, participants). */
    async history(options: CallHistoryOptions = {}): Promise<Page<CallHistoryEntry, string>> {
      const limit = options.limit ?? 50;
      const rows = await rpc(db, "list_call_history", { max_count: limit, before_created_at: options.before });
      const last = rows.at(-1);
      return rows.length === limit && last ? { items: rows, next: last.created_at } : { items: rows };
    },
    /** The call ringing me or that I am in, if any (there is never more than one). */
    async active(): Promise<CallHistoryEntry | null> {
      return rpc(db, "get_active_call", {}, "maybeSingle");
    },
    /** A LiveKit token for the call's room (after accepting, for a callee): `room.connect(wsUrl, token)`. */
    async token(callId: string): Promise<CallTokenResponse> {
      return invoke("call-token", { callId }, callTokenResponse);
    },
  };
}

export type CallsApi = ReturnType<typeof callsApi>;
