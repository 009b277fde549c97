// JSON responses, CORS headers and the `{ error: { code, message } }` shape every Parley function answers with.
import { supabaseCorsHeaders } from "./deps.ts";

/**
 * Headers that let browsers call the functions with supabase-js `functions.invoke`: Supabase's own
 * `corsHeaders` (`@supabase/supabase-js/cors`, the functions guide's recommendation), so a header the
 * client starts sending (`x-retry-count` lately) never breaks a preflight. On every response, errors too.
 */
export const corsHeaders: Record<string, string> = {
  ...supabaseCorsHeaders,
  // Lets browser code read Retry-After on a 429.
  "Access-Control-Expose-Headers": "Retry-After",
};

/** The answer to a browser's CORS preflight, as Supabase's functions guide writes it. */
export function preflight(): Response {
  return new Response("ok", { headers: corsHeaders });
}

/** A refusal with its HTTP status and a stable Parley code (`code`), thrown by handlers and their deps. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For 429: whole seconds until a retry can succeed; sent as `Retry-After` and `error.retryAfter`. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** A JSON response with CORS headers (and any extra headers). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "Content-Type": "application/json", ...headers },
  });
}

/** The error body for an HttpError: `{ error: { code, message } }`, plus `retryAfter` and a `Retry-After` header when it has one. */
export function errorResponse(error: HttpError): Response {
  if (error.retryAfter === undefined)
    return json({ error: { code: error.code, message: error.message } }, error.status);
  return json({ error: { code: error.code, message: error.message, retryAfter: error.retryAfter } }, error.status, {
    "Retry-After": String(error.retryAfter),
  });
}

/** Turns anything thrown into a response: HttpErrors keep their status, the rest is a logged 500. */
export function toErrorResponse(error: unknown, log: (message: string) => void = console.error): Response {
  if (error instanceof HttpError) return errorResponse(error);
  log(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return errorResponse(new HttpError(500, "internal_error", "The function failed unexpectedly; see its logs."));
}
