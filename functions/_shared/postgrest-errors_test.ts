// Unit tests for mapping database refusals to HTTP answers.
import assert from "node:assert/strict";
import { toHttpError } from "./postgrest-errors.ts";

Deno.test("errors: SQLSTATEs map to their HTTP meaning and keep the Parley code from hint", () => {
  const cases: Array<[string, string | null, number, number, string]> = [
    ["PT404", "call_not_found", 404, 404, "call_not_found"],
    ["P0002", "call_not_found", 500, 404, "call_not_found"],
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
