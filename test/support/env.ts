// The stack under test (the local stack's StackEnv, injected by test/support/global-setup.ts) and what
// Parley's suites add to it: the recorded push providers.
import { stackEnv as stack, type StackEnv as LocalStackEnv } from "@parley/local-supabase/testing";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    pushRecorderUrl: string;
  }
}

export interface StackEnv extends LocalStackEnv {
  /** The recorded push providers push-dispatch was pointed at (test/support/push-recorder.ts); empty when the stack was started elsewhere without them. */
  pushRecorderUrl: string;
}

export const stackEnv: StackEnv = { ...stack, pushRecorderUrl: inject("pushRecorderUrl") };
