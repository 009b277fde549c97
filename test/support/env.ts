// The URL and keys of the stack under test, injected by the global setup.
import { inject } from "vitest";

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
  /** The recorded push providers push-dispatch was pointed at (test/support/push-recorder.ts); empty when the stack was started elsewhere without them. */
  pushRecorderUrl: string;
  /** The stack's log file (PARLEY_LOG_FILE), for suites that check what the stack logged; '' when unknown. */
  logFile: string;
}

export const stackEnv: StackEnv = inject("stack");
