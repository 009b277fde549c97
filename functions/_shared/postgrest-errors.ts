// Maps a PostgREST / Postgres error (code, hint, message, HTTP status) to the HttpError a function answers with,
// by the rule the client SDK uses too (database-errors.ts).
import { classifyDatabaseError, type PostgrestLikeError } from "./database-errors.ts";
import { HttpError } from "./http.ts";

export type { PostgrestLikeError };

/** A database refusal as a function's answer: the Parley code (or generic one) and its HTTP status (see docs/calls.md). */
export function toHttpError(error: PostgrestLikeError, status: number): HttpError {
  const refusal = classifyDatabaseError(error, status);
  const message = error.message ?? "database error";
  // Whoever the database does not know as a user gets the functions' one 401 answer.
  if (refusal.status === 401 || refusal.code === "not_authenticated")
    return new HttpError(401, "unauthorized", "A valid user JWT is required.");
  // A 429 always says when to retry: one second when the refusal's details did not.
  if (refusal.status === 429) return new HttpError(429, refusal.code, message, refusal.retryAfter ?? 1);
  if (refusal.code === "database_error")
    return new HttpError(502, "database_error", `The database refused the request: ${message}`);
  return new HttpError(refusal.status, refusal.code, message);
}
