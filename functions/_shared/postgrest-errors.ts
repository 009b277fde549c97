// Maps a PostgREST / Postgres error (code, hint, message, HTTP status) to the HttpError a function answers with.
import { HttpError } from "./http.ts";
import { retryAfterOf } from "./retry-after.ts";

export interface PostgrestLikeError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}


/** SQLSTATE or PostgREST code → HTTP status, as Parley's SQL raises them (see docs/calls.md). */
export function toHttpError(error: PostgrestLikeError, status: number): HttpError {
  const code = error.code ?? "";
  const parleyCode = error.hint && /^[a-z_]+$/.test(error.hint) ? error.hint : undefined;
  const message = error.message ?? "database error";
  if (status === 401 || code.startsWith("PGRST3") || parleyCode === "not_authenticated") return new HttpError(401, "unauthorized", "A valid user JWT is required.");
  // PT404 is Parley's not-found (PostgREST answers it 404); P0002 is what the first migrations raised.
  if (code === "PT404" || code === "P0002") return new HttpError(404, parleyCode ?? "not_found", message);
  if (code === "42501") return new HttpError(403, parleyCode ?? "forbidden", message);
  // PT429 is Parley's rate limit / slow mode refusal (PostgREST answers it 429); details carry retry_after.
  if (code === "PT429") return new HttpError(429, parleyCode ?? "rate_limited", message, retryAfterOf(error.details) ?? 1);
  if (code === "23505") return new HttpError(409, parleyCode ?? "conflict", message);
  if (code === "22023" || code === "22P02") return new HttpError(400, parleyCode ?? "invalid_parameter", message);
  return new HttpError(502, "database_error", `The database refused the request: ${message}`);
}
