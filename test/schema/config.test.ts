// Parley's own supabase/config.toml as the local stack (and the CLI) read it.
import { loadConfig, seedFiles } from "@parley/local-supabase";
import { describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";

describe("Parley's config.toml", () => {
  it("names no seed file that is missing (a reset would warn about it)", () => {
    expect(seedFiles(PARLEY_ROOT, loadConfig({ workdir: PARLEY_ROOT }).seed).unmatched).toEqual([]);
  });
});
