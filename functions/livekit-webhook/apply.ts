// Hands a verified LiveKit event to Postgres through the service-role-only RPC, with supabase-js.
import { createClient } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import { serverClientOptions } from "../_shared/supabase-options.ts";
import { livekitEventResult, type LivekitEventResult } from "../_shared/schemas.ts";
import type { CallEventInput } from "./event.ts";

/** Records and applies one event; answers what happened (applied / duplicate / ignored / stale). */
export type ApplyEvent = (input: CallEventInput) => Promise<LivekitEventResult>;

/** The production applier: SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY. */
export function supabaseEventApplier(env: (name: string) => string | undefined): ApplyEvent {
  return async (input) => {
    const url = env("SUPABASE_URL");
    const key = env("SUPABASE_SERVICE_ROLE_KEY") ?? env("SUPABASE_SECRET_KEY");
    if (!url || !key)
      throw new HttpError(503, "supabase_not_configured", "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set.");
    const client = createClient(url, key, serverClientOptions);
    const { data, error } = await client.rpc("service_role_apply_livekit_event", {
      event_id: input.eventId,
      event: input.event,
      room_name: input.roomName,
      participant_identity: input.identity,
      occurred_at: input.occurredAt.toISOString(),
    });
    if (error) throw new HttpError(500, "database_error", `Could not record the event: ${error.message}`);
    const parsed = livekitEventResult.safeParse(data);
    if (!parsed.success)
      throw new HttpError(500, "database_error", "service_role_apply_livekit_event returned an unexpected value.");
    return parsed.data;
  };
}
