// Starts a private stack serving Parley for a vitest run, or adopts the one named by PARLEY_TEST_URL (npm test,
// or a real `supabase start`); provides it as the local stack's test helpers read it, plus the push recorder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startStack } from "@parley/local-supabase";
import { stackEnvFromEnvironment, stackEnvOf } from "@parley/local-supabase/testing/setup";
import type { TestProject } from "vitest/node";
import { PARLEY_ROOT } from "../../scripts/paths.ts";
import { PUSH_RECORDER_ENV, pointPushWebhookAt, startPushRecorder } from "./push-recorder.ts";

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const adopted = stackEnvFromEnvironment();
  if (adopted) {
    project.provide("stack", adopted);
    project.provide("pushRecorderUrl", process.env[PUSH_RECORDER_ENV] ?? "");
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
  project.provide("stack", stackEnvOf(stack));
  project.provide("pushRecorderUrl", recorder.url);
  return async () => {
    await stack.stop();
    await recorder.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
