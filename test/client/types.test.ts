// client/database.types.ts must describe the schema the migrations build: regenerate with `npm run types`.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";
import { buildFromMigrations, dropDatabase } from "../../scripts/schema/databases.ts";
import { formatTypes, generateTypes, TYPES_FILE } from "../../scripts/types/generate.ts";
import { stackEnv } from "../support/env.ts";

// A database of its own in the stack's cluster, holding only the platform and the migrations: other
// suites create fixture tables in `public` while they run, which must not count as schema drift.
const name = `types_check_${process.pid}_${Date.now()}`;
let url = "";

beforeAll(async () => {
  url = await buildFromMigrations(stackEnv.dbUrl, name, PARLEY_ROOT);
}, 120_000);

afterAll(async () => {
  await dropDatabase(stackEnv.dbUrl, name);
});

describe("client database types", () => {
  // Generation runs the CLI and deno fmt: allow for a busy machine.
  it("match what supabase gen types prints for the migrated database", { timeout: 90_000 }, () => {
    const fresh = formatTypes(generateTypes(url));
    // On failure: run `npm run types` and commit client/database.types.ts.
    expect(readFileSync(TYPES_FILE, "utf8")).toBe(fresh);
  });
});
