// vitest: Parley's end-to-end suites against a local stack (started by the global setup unless PARLEY_TEST_URL is set).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Parley's suites; the local stack's own run from packages/local-supabase/vitest.config.ts.
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
