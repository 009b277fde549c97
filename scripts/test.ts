// `npm test`: provisions a private stack and runs every layer — pgTAP, advisors, Deno, vitest, browser, and the local
// stack's own suites (on a stack of their own) — then one summary line.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PARLEY_ROOT } from "./paths.ts";
import { freePort, startStack, type RunningStack } from "@parley/local-supabase";
import { runAdvisors } from "./test/advisors-run.ts";
import { runBrowser } from "./test/browser-run.ts";
import { runDeno } from "./test/deno-run.ts";
import type { LayerResult } from "./test/layer.ts";
import { ensurePgtapInstalled } from "./test/pgtap-install.ts";
import { runPgtap } from "./test/pgtap-run.ts";
import { runVitest, vitestFiles } from "./test/vitest-run.ts";
import {
  PUSH_RECORDER_ENV,
  pointPushWebhookAt,
  startPushRecorder,
  type PushRecorder,
} from "../test/support/push-recorder.ts";

// `npm test -- <text>` runs only the test files whose path contains <text> (every layer); no argument runs all.
const only = process.argv[2];
const say = (line: string) => process.stdout.write(`${line}\n`);
const section = (title: string) => say(`\n── ${title} ${"─".repeat(Math.max(0, 60 - title.length))}`);

const runDir = join(PARLEY_ROOT, ".parley", `test-${process.pid}`);
mkdirSync(runDir, { recursive: true });
const logFile = join(runDir, "stack.log");
process.env.PARLEY_LOG_FILE = logFile;

const results: LayerResult[] = [];
const LOCAL_STACK = "packages/local-supabase";
const LOCAL_STACK_CONFIG = `${LOCAL_STACK}/vitest.config.ts`;
let stack: RunningStack | undefined;
let recorder: PushRecorder | undefined;
let exitCode = 0;
try {
  section("provisioning");
  ensurePgtapInstalled(say);
  const [apiPort, dbPort] = [await freePort(), await freePort()];
  // push-dispatch is pointed at recorded push providers (FCM, APNs, Expo, Web Push) for the whole run.
  recorder = await startPushRecorder();
  stack = await startStack({
    workdir: PARLEY_ROOT,
    dataDir: runDir,
    apiPort,
    dbPort,
    reset: true,
    functionSecrets: recorder.secrets,
  });
  say(`stack up: API ${stack.gateway!.url}, database on port ${dbPort} (logs: ${logFile})`);
  const c = stack.config;
  await pointPushWebhookAt(c.dbUrl, stack.gateway!.url, c.serviceRoleKey);
  const env = {
    PARLEY_TEST_URL: stack.gateway!.url,
    PARLEY_TEST_DB_URL: c.dbUrl,
    PARLEY_TEST_ANON_KEY: c.anonKey,
    PARLEY_TEST_SERVICE_ROLE_KEY: c.serviceRoleKey,
    PARLEY_TEST_PUBLISHABLE_KEY: c.publishableKey,
    PARLEY_TEST_SECRET_KEY: c.secretKey,
    PARLEY_TEST_JWT_SECRET: c.jwtSecret,
    [PUSH_RECORDER_ENV]: recorder.url,
  };

  section("pgTAP (supabase/tests)");
  results.push(
    await runPgtap({
      dbUrl: c.dbUrl,
      testsDir: join(PARLEY_ROOT, "supabase", "tests"),
      root: PARLEY_ROOT,
      only,
      print: say,
    }),
  );

  section("advisors (supabase db advisors --level warn)");
  if (!only) results.push(await runAdvisors({ root: PARLEY_ROOT, dbUrl: c.dbUrl, print: say }));
  else say(`skipped: filter "${only}"`);

  section("Deno (functions)");
  results.push(
    await runDeno({
      root: PARLEY_ROOT,
      env: { SUPABASE_URL: stack.gateway!.url, SUPABASE_DB_URL: c.dbUrl },
      only,
      print: say,
    }),
  );

  section("vitest (test/)");
  results.push(await runVitest({ root: PARLEY_ROOT, env, outFile: join(runDir, "vitest.json"), only, print: say }));

  section("browser (examples/web in headless Chromium)");
  results.push(
    await runBrowser({ root: PARLEY_ROOT, apiUrl: stack.gateway!.url, anonKey: c.anonKey, runDir, only, print: say }),
  );

  // The local stack's own suites run on a stack of their own, serving the package's test project: Parley's
  // is no longer needed.
  await stack.stop();
  stack = undefined;
  section("local stack (packages/local-supabase: unit tests and service suites)");
  results.push(
    await runVitest({
      root: PARLEY_ROOT,
      name: "local stack",
      config: LOCAL_STACK_CONFIG,
      files: vitestFiles(PARLEY_ROOT, [`${LOCAL_STACK}/src`, `${LOCAL_STACK}/test`]),
      env: { PARLEY_LOG_FILE: join(runDir, "local-stack.log") },
      outFile: join(runDir, "local-stack.json"),
      only,
      print: say,
    }),
  );
} catch (e) {
  say(`\nnpm test could not run: ${e instanceof Error ? e.message : String(e)}`);
  results.push({ name: "setup", passed: 0, failed: 1, failures: [String(e)] });
} finally {
  await stack?.stop().catch(() => undefined);
  await recorder?.close().catch(() => undefined);
}

section("summary");
for (const r of results) say(`${r.name.padEnd(11)} ${r.passed} passed, ${r.failed} failed`);
const failures = results.flatMap((r) => r.failures);
if (failures.length) {
  say("\nfailures:");
  for (const f of failures) say(`  - ${f}`);
  say(`\n(stack logs kept at ${logFile}, and the local stack layer's at ${join(runDir, "local-stack.log")})`);
} else rmSync(runDir, { recursive: true, force: true });
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
if (failed > 0) exitCode = 1;
say(`\n${passed} passed, ${failed} failed`);
process.exit(exitCode);
