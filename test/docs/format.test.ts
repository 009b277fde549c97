// The product code has one layout: Prettier (.prettierrc.json, width 120) over the TypeScript the
// `format` script names. On failure: `npm run format`, then commit.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";

describe("formatting", () => {
  it("every TypeScript file of the product is as `npm run format` leaves it", { timeout: 120_000 }, () => {
    const run = spawnSync("npm", ["run", "-s", "format:check"], { cwd: PARLEY_ROOT, encoding: "utf8" });
    // prettier --check lists each unformatted file as "[warn] <path>".
    const unformatted = `${run.stdout}${run.stderr}`
      .split("\n")
      .filter((l) => l.startsWith("[warn] ") && !l.includes("Code style issues"));
    expect(unformatted).toEqual([]);
    expect(run.status).toBe(0);
  });
});
