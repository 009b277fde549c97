// The one rule for reading a database refusal, shared by the functions (postgrest-errors.ts) and the client
// SDK (client/errors.ts): which hints are Parley codes, and the generic code and HTTP status of a refusal
// that carries none. Imports only shared modules without dependencies, so Node and Deno both load it.
import { DATABASE_ERROR_CODES, type DatabaseErrorCode } from "./error-codes.ts";
import { retryAfterOf } from "./retry-after.ts";

/** What supabase-js / PostgREST hand back for a refused request (PostgREST's error body). */
export interface PostgrestLikeError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

const PARLEY_CODES: ReadonlySet<string> = new Set(DATABASE_ERROR_CODES);

/** True when `hint` is a code Parley's SQL raises (supabase/schemas), rather than free text or nothing. */
export function isParleyCode(hint: string | null | undefined): hint is DatabaseErrorCode {
  return hint !== null && hint !== undefined && PARLEY_CODES.has(hint);
}

/** The code and status of a refusal without a Parley hint, by its SQLSTATE (as Parley's SQL raises them). */
const GENERIC_BY_SQLSTATE = {
  PT404: { code: "not_found", status: 404 },
  "42501": { code: "forbidden", status: 403 },
  PT429: { code: "rate_limited", status: 429 },
  "23505": { code: "conflict", status: 409 },
  "22023": { code: "invalid_parameter", status: 400 },
  "22P02": { code: "invalid_parameter", status: 400 },
} as const;
/** A missing, expired or bad JWT (HTTP 401, PostgREST's PGRST3xx). */
const UNAUTHORIZED = { code: "unauthorized", status: 401 } as const;
/** PostgREST could not read the request (its PGRST1xx group: a bad body, filter or header). */
const INVALID_REQUEST = { code: "invalid_request", status: 400 } as const;
/** Anything else: nothing Parley's SQL raises on purpose (a function answers it 502). */
const UNEXPECTED = { code: "database_error", status: 502 } as const;

type Generic =
  | (typeof GENERIC_BY_SQLSTATE)[keyof typeof GENERIC_BY_SQLSTATE]["code"]
  | (typeof UNAUTHORIZED | typeof INVALID_REQUEST | typeof UNEXPECTED)["code"];

/** A database refusal as Parley names it. */
export interface DatabaseRefusal {
  /** The Parley code of the hint, else the generic code of the SQLSTATE. */
  code: DatabaseErrorCode | Generic;
  /** The HTTP status it means (what PostgREST answers for Parley's SQLSTATEs; 502 for anything unexpected). */
  status: number;
  /** For PT429 (`rate_limited`, `slow_mode`): whole seconds until a retry can succeed, from `details`. */
  retryAfter?: number;
}

/**
 * Names a database refusal: its Parley code when the hint is one, else a generic code for its SQLSTATE
 * (`forbidden` for a policy refusal without a hint, `invalid_request` for PostgREST's PGRST1xx request
 * errors, `unauthorized` for a missing or bad JWT, `database_error` for anything else).
 */
export function classifyDatabaseError(error: PostgrestLikeError, status?: number): DatabaseRefusal {
  const sqlstate = error.code ?? "";
  const parley = isParleyCode(error.hint) ? error.hint : undefined;
  const retryAfter = sqlstate === "PT429" ? retryAfterOf(error.details) : undefined;
  const withRetry = (refusal: DatabaseRefusal) => (retryAfter === undefined ? refusal : { ...refusal, retryAfter });
  if (status === 401 || sqlstate.startsWith("PGRST3"))
    return { code: parley ?? UNAUTHORIZED.code, status: UNAUTHORIZED.status };
  const generic = (GENERIC_BY_SQLSTATE as Record<string, { code: Generic; status: number }>)[sqlstate];
  if (generic) return withRetry({ code: parley ?? generic.code, status: generic.status });
  if (sqlstate.startsWith("PGRST1"))
    return { code: parley ?? INVALID_REQUEST.code, status: status ?? INVALID_REQUEST.status };
  return withRetry({ code: parley ?? UNEXPECTED.code, status: UNEXPECTED.status });
}
