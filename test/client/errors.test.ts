// ParleyError as a typed surface: the shared rule names database refusals, functions' bodies keep their code,
// `retryable` follows the code, and the cause is kept. No stack needed: the inputs are what supabase-js hands over.
import { FunctionsHttpError } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import {
  fromFunctionsError,
  fromPostgrestError,
  isParleyErrorCode,
  ParleyError,
  type ParleyErrorCode,
} from "../../client/index.ts";

describe("ParleyError", () => {
  it("takes one options object and keeps the cause", () => {
    const cause = new Error("socket closed");
    const error = new ParleyError({
      code: "function_unreachable",
      message: "call-token could not be reached",
      status: undefined,
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ParleyError",
      code: "function_unreachable",
      status: undefined,
      retryable: true,
      message: "call-token could not be reached",
    });
    expect(error.cause).toBe(cause);
  });

  it("is retryable for rate limits, slow mode and unreachable services, not for refusals of the request", () => {
    const retryable = (code: ParleyErrorCode) => new ParleyError({ code, message: "m", status: 400 }).retryable;
    const transient: ParleyErrorCode[] = [
      "rate_limited",
      "slow_mode",
      "retry",
      "function_unreachable",
      "internal_error",
    ];
    const final: ParleyErrorCode[] = [
      "body_too_long",
      "conversation_not_found",
      "insufficient_role",
      "call_over",
      "forbidden",
    ];
    expect(transient.map(retryable)).toEqual([true, true, true, true, true]);
    expect(final.map(retryable)).toEqual([false, false, false, false, false]);
  });

  it("reads a database refusal by the rule the functions use: the hint when it is a Parley code, else the SQLSTATE's generic code", () => {
    const pgError = {
      code: "PT429",
      message: "slow mode",
      details: '{"retry_after": 2.2, "bucket": "slow_mode"}',
      hint: "slow_mode",
    };
    expect(fromPostgrestError(pgError, 429)).toMatchObject({
      code: "slow_mode",
      status: 429,
      sqlstate: "PT429",
      retryAfter: 3,
      retryable: true,
      cause: pgError,
    });
    // A hint that is not a code the SQL raises is free text: the SQLSTATE decides.
    expect(
      fromPostgrestError(
        { code: "42501", message: "new row violates row-level security policy", hint: "Check your policy" },
        403,
      ),
    ).toMatchObject({ code: "forbidden", status: 403 });
    expect(fromPostgrestError({ code: "PT404", message: "gone", hint: null }, 404)).toMatchObject({
      code: "not_found",
      status: 404,
    });
    expect(fromPostgrestError({ code: "PGRST102", message: "bad body" }, 400)).toMatchObject({
      code: "invalid_request",
      sqlstate: "PGRST102",
    });
    expect(fromPostgrestError({ code: "XX000", message: "boom" }, 500)).toMatchObject({
      code: "database_error",
      status: 500,
      retryable: false,
    });
  });

  it("reads a function's `{ error: { code, message, retryAfter } }` body, and names a body that is not one", async () => {
    const response = (body: string, status: number, headers: Record<string, string> = {}) =>
      new FunctionsHttpError(new Response(body, { status, headers }));
    const limited = await fromFunctionsError(
      response(JSON.stringify({ error: { code: "rate_limited", message: "slow down", retryAfter: 7 } }), 429),
    );
    expect(limited).toMatchObject({ code: "rate_limited", status: 429, retryAfter: 7, retryable: true });
    const fromHeader = await fromFunctionsError(
      response(JSON.stringify({ error: { code: "rate_limited", message: "slow down" } }), 429, { "Retry-After": "4" }),
    );
    expect(fromHeader.retryAfter).toBe(4);
    // A code no Parley function answers with is not passed off as one.
    expect(
      await fromFunctionsError(response(JSON.stringify({ error: { code: "made_up", message: "?" } }), 418)),
    ).toMatchObject({ code: "function_error", status: 418 });
    expect(await fromFunctionsError(response("Unauthorized", 401))).toMatchObject({
      code: "unauthorized",
      status: 401,
      message: "Unauthorized",
    });
  });

  it("knows its codes", () => {
    expect([
      isParleyErrorCode("message_not_found"),
      isParleyErrorCode("invalid_body"),
      isParleyErrorCode("signed_url_too_long"),
      isParleyErrorCode("PGRST116"),
      isParleyErrorCode(42),
    ]).toEqual([true, true, true, false, false]);
  });
});
