// Unit tests for mapping database refusals to HTTP answers.
import assert from "node:assert/strict";
import { toHttpError } from "./postgrest-errors.ts";
import { retryAfterOf } from "./retry-after.ts";

Deno.test("errors: SQLSTATEs map to their HTTP meaning and keep the Parley code from hint", () => {
  const cases: Array<[string, string | null, number, number, string]> = [
    ["PT404", "call_not_found", 404, 404, "call_not_found"],
    // An SQLSTATE Parley does not raise on purpose is a 502, keeping a Parley hint it carries.
    ["XX000", "call_not_found", 500, 502, "call_not_found"],
    // A hint that is not one of the codes the SQL raises is not taken for one.
    ["42501", "Some free text", 403, 403, "forbidden"],
    ["PGRST102", null, 400, 400, "invalid_request"],
    ["42501", "not_accepted", 403, 403, "not_accepted"],
    ["23505", "call_over", 409, 409, "call_over"],
    ["22023", "call_id_required", 400, 400, "call_id_required"],
    ["22P02", null, 400, 400, "invalid_parameter"],
    ["PGRST301", null, 401, 401, "unauthorized"],
    ["42501", "not_authenticated", 403, 401, "unauthorized"],
    ["XX000", null, 500, 502, "database_error"],
  ];
  for (const [code, hint, status, expectedStatus, expectedCode] of cases) {
    const e = toHttpError({ code, hint, message: "m" }, status);
    assert.equal(e.status, expectedStatus, code);
    assert.equal(e.code, expectedCode, code);
  }
});

Deno.test("errors: PT429 is a 429 carrying the Parley code and retry_after from details", () => {
  const limited = toHttpError(
    { code: "PT429", hint: "rate_limited", message: "m", details: '{"retry_after": 12, "bucket": "call_token"}' },
    429,
  );
  assert.equal(limited.status, 429);
  assert.equal(limited.code, "rate_limited");
  assert.equal(limited.retryAfter, 12);
  const slow = toHttpError({ code: "PT429", hint: "slow_mode", message: "m", details: '{"retry_after": 2.5}' }, 429);
  assert.equal(slow.code, "slow_mode");
  assert.equal(slow.retryAfter, 3);
  // Without a readable retry time the answer still says when: one second.
  assert.equal(toHttpError({ code: "PT429", hint: null, message: "m", details: "not json" }, 429).retryAfter, 1);
  assert.equal(retryAfterOf(undefined), undefined);
});
