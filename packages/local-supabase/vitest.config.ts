// vitest for the local stack: the unit tests beside the pure modules (src/**/x.test.ts) and the service suites
// (test/), which drive a stack through the official clients and HTTP: the private one the global setup starts
// (serving test/project), or the one PARLEY_TEST_URL names.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
