// @parley/local-supabase/testing: what a project's vitest suites use to reach the stack under test. The
// project's global setup provides `stack` (see @parley/local-supabase/testing/setup); these helpers read it.
export { stackEnv, type StackEnv } from "./env.ts";
export {
  anonClient,
  anotherDevice,
  makeClient,
  newUser,
  serviceClient,
  type ClientOptions,
  type TestUser,
} from "./clients.ts";
export { inTransaction, installFixture } from "./fixture-sql.ts";
export { DevExitedError, isAlive, START_TIMEOUT_MS, startDev, type DevProcess } from "./dev-process.ts";
export {
  generateSigningKeys,
  impostorOf,
  SIGNING_KEYS_FILE,
  signWithKey,
  strangerOf,
  withSigningKeysPath,
} from "./signing-keys.ts";
