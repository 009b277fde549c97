// vitest for the browser suites: run by `npm test` (scripts/test/browser-run.ts), which builds and serves
// the app against its stack and passes PARLEY_WEB_URL; each test drives headless Chromium with playwright-core.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../..", import.meta.url)),
  test: {
    include: ["examples/web/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
