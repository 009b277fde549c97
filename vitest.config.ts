// vitest: end-to-end suites against a local stack (started by the global setup unless PARLEY_TEST_URL is set).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The suites end to end, and the unit tests beside the stack's pure modules (x.ts + x.test.ts).
    include: ["test/**/*.test.ts", "stack/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
