// The URL and keys of the stack under test, injected by a vitest global setup as `stack` (this package's own,
// test/support/global-setup.ts, or the one of a project whose suites use these helpers).
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackEnv;
  }
}

export interface StackEnv {
  /** API gateway URL, e.g. http://127.0.0.1:54321 */
  url: string;
  /** Superuser database URL (for test fixtures only). */
  dbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  /** The stack's log file (PARLEY_LOG_FILE), for suites that check what the stack logged; '' when unknown. */
  logFile: string;
}

export const stackEnv: StackEnv = inject("stack");
