// Entry point of the push-dispatch edge function: wires the handler to Deno.serve.
import { readPushConfig } from "./config.ts";
import { createDispatchHandler } from "./handler.ts";
import { apnsSender } from "./providers/apns.ts";
import { expoSender } from "./providers/expo.ts";
import { fcmSender } from "./providers/fcm.ts";
import { webPushSender } from "./providers/webpush.ts";
import { supabasePushStore } from "./store.ts";

const env = (name: string) => Deno.env.get(name);
const config = readPushConfig(env);
const senders = {
  expo: expoSender(config.expo),
  ...(config.fcm ? { fcm: fcmSender(config.fcm) } : {}),
  ...(config.apns ? { apns: apnsSender(config.apns) } : {}),
  ...(config.webpush ? { webpush: webPushSender(config.webpush) } : {}),
};

if (import.meta.main) Deno.serve(createDispatchHandler({ config, store: supabasePushStore(env), senders }));
