// Entry point of the call-token edge function: wires the handler to Deno.serve.
import { supabaseCallerVerifier } from "../_shared/caller.ts";
import { supabaseGrantLoader } from "./grant.ts";
import { createCallTokenHandler } from "./handler.ts";

const env = (name: string) => Deno.env.get(name);

if (import.meta.main)
  Deno.serve(
    createCallTokenHandler({ env, verifyCaller: supabaseCallerVerifier(env), loadGrant: supabaseGrantLoader(env) }),
  );
