// One error type for every SDK call: the stable Parley code, the HTTP status, and where it came from.
import type { FunctionsError } from "@supabase/supabase-js";
import { retryAfterOf } from "../functions/_shared/retry-after.ts";
import { functionErrorBody } from "../functions/_shared/schemas.ts";

/** Shape of the `error` supabase-js returns from `rpc()` / `from()` (PostgREST's error body). */
export interface PostgrestLikeError {
  code?: string;
  message: string;
  details?: string | null;
  hint?: string | null;
}

/**
 * A refused or failed Parley operation. `code` is what to branch on: the Parley code the database
 * or function gave (e.g. `body_too_long`, `call_over`), else the SQLSTATE / PostgREST code.
 */
export class ParleyError extends Error {
  override readonly name = "ParleyError";
  constructor(
    /** Stable code: Parley's (`conversation_not_found`), else SQLSTATE (`42501`) or PostgREST's (`PGRST116`). */
    readonly code: string,
    message: string,
    /** HTTP status of the response, when there was one. */
    readonly status: number | undefined,
    /** SQLSTATE or PostgREST code, for errors from the database. */
    readonly sqlstate?: string,
    readonly details?: string,
    /**
     * For `rate_limited` and `slow_mode` (HTTP 429): whole seconds until a retry can succeed, from the
     * refusal's `details` (`{"retry_after": 3}`) or a function's `Retry-After`. Undefined otherwise.
     */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const PARLEY_CODE = /^[a-z][a-z0-9_]*$/;

/** Converts a supabase-js database error: Parley puts its code in `hint`. */
export function fromPostgrestError(error: PostgrestLikeError, status?: number): ParleyError {
  const hint = error.hint ?? undefined;
  const code = hint && PARLEY_CODE.test(hint) ? hint : (error.code ?? "unknown_error");
  const retryAfter = error.code === "PT429" ? retryAfterOf(error.details) : undefined;
  return new ParleyError(code, error.message, status, error.code, error.details ?? undefined, retryAfter);
}

/** Converts a supabase-js `functions.invoke` error, reading Parley's `{ error: { code, message } }` body. */
export async function fromFunctionsError(error: FunctionsError): Promise<ParleyError> {
  const context: unknown = error.context;
  if (context instanceof Response) {
    const text = await context.text().catch(() => "");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const body = functionErrorBody.safeParse(parsed);
    if (body.success) {
      const header = Number(context.headers.get("Retry-After") ?? Number.NaN);
      const retryAfter = body.data.error.retryAfter ?? (Number.isFinite(header) ? header : undefined);
      return new ParleyError(body.data.error.code, body.data.error.message, context.status, undefined, undefined, retryAfter);
    }
    return new ParleyError(context.status === 401 ? "unauthorized" : "function_error", text || error.message, context.status);
  }
  return new ParleyError("function_unreachable", error.message, undefined);
}

/**
 * Converts a Storage upload refusal. Storage answers every SQLSTATE it does not know with 500
 * `DatabaseError` "database error, code: <sqlstate>", so the upload rate limit (PT429 from the trigger on
 * storage.objects) arrives as that: the SDK names it `rate_limited` (status 429). Storage keeps the
 * refusal's details to itself, so there is no retry time: read the `upload` rule to pace retries.
 */
export function fromStorageUploadError(error: { message: string; statusCode?: string | number }): ParleyError {
  if (/\bcode: PT429\b/.test(error.message)) return new ParleyError("rate_limited", "rate limited: too many uploads", 429, "PT429");
  const status = Number(error.statusCode ?? 0) || undefined;
  return new ParleyError("upload_refused", error.message, status);
}

/** The data of a supabase-js result, or its error thrown as a ParleyError. */
export function unwrap<T>(result: { data: T | null; error: PostgrestLikeError | null; status?: number }): T {
  if (result.error) throw fromPostgrestError(result.error, result.status);
  return result.data as T;
}
