// One error type for every SDK call: the stable Parley code, the HTTP status, whether a retry can help, and the cause.
import type { FunctionsError } from "@supabase/supabase-js";
import { classifyDatabaseError, type PostgrestLikeError } from "../functions/_shared/database-errors.ts";
import {
  CLIENT_ERROR_CODES,
  DATABASE_ERROR_CODES,
  FUNCTION_ERROR_CODES,
  type ParleyErrorCode,
} from "../functions/_shared/error-codes.ts";
import { functionErrorBody } from "../functions/_shared/schemas.ts";

export type {
  ClientErrorCode,
  DatabaseErrorCode,
  FunctionErrorCode,
  ParleyErrorCode,
} from "../functions/_shared/error-codes.ts";
export type { PostgrestLikeError };

/**
 * The codes a retry of the same request can cure: a rate limit or slow mode once `retryAfter` has
 * passed, a start_call race (`retry`), and an unreachable or failing service. Every other code says
 * something about the request or the state it met, which a retry meets again.
 */
export const RETRYABLE_CODES: ReadonlySet<ParleyErrorCode> = new Set<ParleyErrorCode>([
  "rate_limited",
  "slow_mode",
  "retry",
  "function_unreachable",
  "auth_unavailable",
  "internal_error",
]);

const KNOWN_CODES: ReadonlySet<string> = new Set([
  ...DATABASE_ERROR_CODES,
  ...FUNCTION_ERROR_CODES,
  ...CLIENT_ERROR_CODES,
]);

/** True when `code` is one of Parley's codes (for a code read off the wire, such as a function's error body). */
export function isParleyErrorCode(code: unknown): code is ParleyErrorCode {
  return typeof code === "string" && KNOWN_CODES.has(code);
}

export interface ParleyErrorOptions {
  /** Parley's stable code: what to branch on. */
  code: ParleyErrorCode;
  /** What went wrong, for people (never branch on it). */
  message: string;
  /** HTTP status of the response; undefined when no request was answered (the SDK's own checks, a network failure). */
  status: number | undefined;
  /** For 429 (`rate_limited`, `slow_mode`): whole seconds until a retry can succeed. */
  retryAfter?: number;
  /** What the SDK was given: the supabase-js error, the function's Response, … (`error.cause`). */
  cause?: unknown;
  /** The database refusal's `details` (for example `member_muted`'s `{"until": …}`). */
  details?: string;
  /** SQLSTATE or PostgREST code, for errors from the database (`42501`, `PT429`, `PGRST102`). */
  sqlstate?: string;
}

/**
 * A refused or failed Parley operation: every SDK method throws one (raw supabase-js returns
 * `{ data, error }` instead). Branch on `code`; `retryable` says whether the same request may succeed later.
 * @example
 * try {
 *   await parley.messages.send(id, { body });
 * } catch (e) {
 *   if (e instanceof ParleyError && e.code === "slow_mode") setTimeout(retry, (e.retryAfter ?? 1) * 1000);
 *   else throw e;
 * }
 */
export class ParleyError extends Error {
  override readonly name = "ParleyError";
  readonly code: ParleyErrorCode;
  readonly status: number | undefined;
  readonly retryAfter?: number;
  readonly details?: string;
  readonly sqlstate?: string;
  /** Whether retrying the same request can succeed (after `retryAfter`, when given): see RETRYABLE_CODES. */
  readonly retryable: boolean;

  constructor(options: ParleyErrorOptions) {
    super(options.message, options.cause == null ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.retryable = RETRYABLE_CODES.has(options.code);
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.details !== undefined) this.details = options.details;
    if (options.sqlstate !== undefined) this.sqlstate = options.sqlstate;
  }
}

/** Converts a supabase-js database error by the rule the functions use (functions/_shared/database-errors.ts). */
export function fromPostgrestError(error: PostgrestLikeError, status?: number): ParleyError {
  const refusal = classifyDatabaseError(error, status);
  return new ParleyError({
    code: refusal.code,
    message: error.message ?? "database error",
    // PostgREST's own status wins (it is the response's); the rule's is what the SQLSTATE means.
    status: status ?? refusal.status,
    ...(refusal.retryAfter !== undefined ? { retryAfter: refusal.retryAfter } : {}),
    ...(error.details ? { details: error.details } : {}),
    ...(error.code ? { sqlstate: error.code } : {}),
    cause: error,
  });
}

/** Converts a supabase-js `functions.invoke` error, reading Parley's `{ error: { code, message } }` body. */
export async function fromFunctionsError(error: FunctionsError): Promise<ParleyError> {
  const context: unknown = error.context;
  if (!(context instanceof Response))
    return new ParleyError({ code: "function_unreachable", message: error.message, status: undefined, cause: error });
  const text = await context.text().catch(() => "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = functionErrorBody.safeParse(parsed);
  if (body.success && isParleyErrorCode(body.data.error.code)) {
    const header = Number(context.headers.get("Retry-After") ?? Number.NaN);
    const retryAfter = body.data.error.retryAfter ?? (Number.isFinite(header) ? header : undefined);
    return new ParleyError({
      code: body.data.error.code,
      message: body.data.error.message,
      status: context.status,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      cause: error,
    });
  }
  // Not a Parley function's answer (the gateway's, a proxy's): say so, with its text.
  const message = text || error.message;
  if (context.status === 401) return new ParleyError({ code: "unauthorized", message, status: 401, cause: error });
  return new ParleyError({ code: "function_error", message, status: context.status, cause: error });
}

/**
 * Converts a Storage upload refusal. Storage answers every SQLSTATE it does not know with 500
 * `DatabaseError` "database error, code: <sqlstate>", so the upload rate limit (PT429 from the trigger on
 * storage.objects) arrives as that: the SDK names it `rate_limited` (status 429). Storage keeps the
 * refusal's details to itself, so there is no retry time: read the `upload` rule to pace retries.
 */
export function fromStorageUploadError(error: { message: string; statusCode?: string | number }): ParleyError {
  if (/\bcode: PT429\b/.test(error.message)) {
    return new ParleyError({
      code: "rate_limited",
      message: "rate limited: too many uploads",
      status: 429,
      sqlstate: "PT429",
      cause: error,
    });
  }
  return new ParleyError({
    code: "upload_refused",
    message: error.message,
    status: Number(error.statusCode ?? 0) || undefined,
    cause: error,
  });
}

/** The data of a supabase-js result, or its error thrown as a ParleyError. */
export function unwrap<T>(result: { data: T | null; error: PostgrestLikeError | null; status?: number }): T {
  if (result.error) throw fromPostgrestError(result.error, result.status);
  return result.data as T;
}
