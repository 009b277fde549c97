// Entry point of the call-end edge function: wires the handler to Deno.serve.
import { supabaseCallerVerifier } from "../_shared/caller.ts";
import { supabaseCallEnder, supabaseEvictionReader } from "./end.ts";
import { createCallEndHandler } from "./handler.ts";

const env = (name: string) => Deno.env.get(name);

if (import.meta.main)
  Deno.serve(
    createCallEndHandler({
      env,
      verifyCaller: supabaseCallerVerifier(env),
      endCall: supabaseCallEnder(env),
      readEvictions: supabaseEvictionReader(env),
    }),
  );
