// Entry point of the livekit-webhook edge function: wires the handler to Deno.serve.
import { supabaseEventApplier } from "./apply.ts";
import { createWebhookHandler } from "./handler.ts";

const env = (name: string) => Deno.env.get(name);

if (import.meta.main) Deno.serve(createWebhookHandler({ env, applyEvent: supabaseEventApplier(env) }));
