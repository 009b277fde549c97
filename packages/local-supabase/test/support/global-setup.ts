// Starts a private stack for a vitest run of these suites (serving test/project), or adopts the one named by
// PARLEY_TEST_URL (a real `supabase start`, or a stack a runner started). A project whose own suites use this
// package's test helpers provides `stack` from its own setup, with stackEnvFrom* below.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../src/postgres/port.ts";
import { startStack, type RunningStack } from "../../src/stack.ts";
import type { StackEnv } from "./env.ts";
import { TEST_PROJECT } from "./project.ts";

/** The stack named by the environment (PARLEY_TEST_URL and its keys), or undefined when there is none. */
export function stackEnvFromEnvironment(e: NodeJS.ProcessEnv = process.env): StackEnv | undefined {
  if (!e.PARLEY_TEST_URL) return undefined;
  return {
    url: e.PARLEY_TEST_URL,
    dbUrl: e.PARLEY_TEST_DB_URL ?? "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
    anonKey: e.PARLEY_TEST_ANON_KEY ?? "",
    serviceRoleKey: e.PARLEY_TEST_SERVICE_ROLE_KEY ?? "",
    publishableKey: e.PARLEY_TEST_PUBLISHABLE_KEY ?? "",
    secretKey: e.PARLEY_TEST_SECRET_KEY ?? "",
    jwtSecret: e.PARLEY_TEST_JWT_SECRET ?? "",
    logFile: e.PARLEY_LOG_FILE ?? "",
  };
}

/** What the suites need of a running stack. */
export function stackEnvOf(stack: RunningStack): StackEnv {
  const c = stack.config;
  return {
    url: stack.gateway!.url,
    dbUrl: c.dbUrl,
    anonKey: c.anonKey,
    serviceRoleKey: c.serviceRoleKey,
    publishableKey: c.publishableKey,
    secretKey: c.secretKey,
    jwtSecret: c.jwtSecret,
    logFile: process.env.PARLEY_LOG_FILE ?? "",
  };
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const adopted = stackEnvFromEnvironment();
  if (adopted) return project.provide("stack", adopted);
  const dataDir = mkdtempSync(join(tmpdir(), "local-supabase-vitest-"));
  process.env.PARLEY_LOG_FILE ??= join(dataDir, "stack.log");
  const stack = await startStack({
    workdir: TEST_PROJECT,
    dataDir,
    apiPort: await freePort(),
    dbPort: await freePort(),
    reset: true,
  });
  project.provide("stack", stackEnvOf(stack));
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
