// client/database.types.ts must describe the schema the migrations build: regenerate with `npm run types`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatTypes, generateTypes, TYPES_FILE } from "../../scripts/types/generate.ts";
import { stackEnv } from "../support/env.ts";

describe("client database types", () => {
  // Generation runs the CLI and deno fmt: allow for a busy machine.
  it("match what supabase gen types prints for the migrated database", { timeout: 90_000 }, () => {
    const fresh = formatTypes(generateTypes(stackEnv.dbUrl));
    // On failure: run `npm run types` and commit client/database.types.ts.
    expect(readFileSync(TYPES_FILE, "utf8")).toBe(fresh);
  });
});
