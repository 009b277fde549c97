// Starts a private stack for a vitest run, or adopts the one named by PARLEY_TEST_URL (npm test, or a real `supabase start`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../stack/postgres/port.ts";
import { PARLEY_ROOT } from "../../stack/postgres/apply.ts";
import { startStack } from "../../stack/stack.ts";
import type { StackEnv } from "./env.ts";
import { PUSH_RECORDER_ENV, pointPushWebhookAt, startPushRecorder } from "./push-recorder.ts";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackEnv;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const e = process.env;
  if (e.PARLEY_TEST_URL) {
    project.provide("stack", {
      url: e.PARLEY_TEST_URL,
      dbUrl: e.PARLEY_TEST_DB_URL ?? "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
      anonKey: e.PARLEY_TEST_ANON_KEY ?? "",
      serviceRoleKey: e.PARLEY_TEST_SERVICE_ROLE_KEY ?? "",
      publishableKey: e.PARLEY_TEST_PUBLISHABLE_KEY ?? "",
      secretKey: e.PARLEY_TEST_SECRET_KEY ?? "",
      jwtSecret: e.PARLEY_TEST_JWT_SECRET ?? "",
      pushRecorderUrl: e[PUSH_RECORDER_ENV] ?? "",
      logFile: e.PARLEY_LOG_FILE ?? "",
    });
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), "parley-vitest-"));
  process.env.PARLEY_LOG_FILE ??= join(dataDir, "stack.log");
  // push-dispatch talks to recorded providers, never the real ones.
  const recorder = await startPushRecorder();
  const stack = await startStack({
    workdir: PARLEY_ROOT,
    dataDir,
    apiPort: await freePort(),
    dbPort: await freePort(),
    reset: true,
    functionSecrets: recorder.secrets,
  });
  const c = stack.config;
  await pointPushWebhookAt(c.dbUrl, stack.gateway!.url, c.serviceRoleKey);
  project.provide("stack", {
    url: stack.gateway!.url,
    dbUrl: c.dbUrl,
    anonKey: c.anonKey,
    serviceRoleKey: c.serviceRoleKey,
    publishableKey: c.publishableKey,
    secretKey: c.secretKey,
    jwtSecret: c.jwtSecret,
    pushRecorderUrl: recorder.url,
    logFile: process.env.PARLEY_LOG_FILE,
  });
  return async () => {
    await stack.stop();
    await recorder.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
