// push-dispatch: drains the push outbox. Called by the outbox's Database Webhook (pg_net) after each
// commit that enqueued notifications, by the Supabase Cron sweep, or by anyone holding the secret.
import { HttpError, json, toErrorResponse } from "../_shared/http.ts";
import { isAuthorized } from "./auth.ts";
import type { PushConfig } from "./config.ts";
import { drain, type DrainOptions } from "./dispatch.ts";
import type { Sender } from "./providers/common.ts";
import type { PushStore } from "./store.ts";

export interface DispatchHandlerDeps {
  config: PushConfig;
  store: PushStore;
  senders: Partial<Record<"expo" | "fcm" | "apns" | "webpush", Sender>>;
  options?: DrainOptions;
  log?: (message: string) => void;
}

/**
 * POST with `Authorization: Bearer <PUSH_DISPATCH_SECRET or service role key>` (any body, ignored: the
 * outbox says what to send). 200 {jobs, sent, retried, invalid, failed}; 401 unauthorized; 405; 500 when
 * the database failed.
 */
export function createDispatchHandler(deps: DispatchHandlerDeps): (req: Request) => Promise<Response> {
  for (const warning of deps.config.warnings) (deps.log ?? console.warn)(`push-dispatch: ${warning}`);
  return async (req) => {
    try {
      if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", `Use POST, not ${req.method}.`);
      if (!(await isAuthorized(req.headers.get("Authorization"), deps.config.callerSecrets))) {
        throw new HttpError(
          401,
          "unauthorized",
          "push-dispatch needs Authorization: Bearer <PUSH_DISPATCH_SECRET or the service role key>.",
        );
      }
      await req.body?.cancel();
      return json(
        await drain({ store: deps.store, senders: deps.senders, ...(deps.log ? { log: deps.log } : {}) }, deps.options),
      );
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}
