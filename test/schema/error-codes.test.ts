// The SDK's ParleyErrorCode union is exactly the codes the project raises: a hint added to supabase/schemas
// (or a function's or the SDK's own code) without `npm run error-codes` fails here, and so does a code
// that nothing raises any more. The README's table names every code the database raises.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES_FILE, formatErrorCodes, scanRaisedCodes } from "../../scripts/error-codes/scan.ts";
import { PARLEY_ROOT } from "../../scripts/paths.ts";

describe("ParleyErrorCode", () => {
  const raised = scanRaisedCodes(PARLEY_ROOT);

  it("is generated from what the SQL, the functions and the SDK raise (run `npm run error-codes` when this fails)", () => {
    expect(readFileSync(join(PARLEY_ROOT, ERROR_CODES_FILE), "utf8")).toBe(formatErrorCodes(raised));
  });

  it("finds codes in every source (a broken scan must not pass by finding nothing)", () => {
    expect(raised.database).toEqual(
      expect.arrayContaining(["conversation_not_found", "body_too_long", "rate_limited", "slow_mode"]),
    );
    expect(raised.functions).toEqual(
      expect.arrayContaining(["invalid_body", "livekit_not_configured", "not_found", "database_error"]),
    );
    expect(raised.client).toEqual(
      expect.arrayContaining(["signed_url_too_long", "function_unreachable", "channel_refused"]),
    );
  });

  it("every code the database raises is in the README's table of error codes", () => {
    const readme = readFileSync(join(PARLEY_ROOT, "README.md"), "utf8");
    const table = readme.slice(
      readme.indexOf("### Error codes"),
      readme.indexOf("\n## ", readme.indexOf("### Error codes")),
    );
    expect(raised.database.filter((code) => !table.includes(`\`${code}\``))).toEqual([]);
  });
});
