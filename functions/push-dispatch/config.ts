// push-dispatch's configuration from the environment: which providers are set up, where their APIs are,
// and the secrets that may call the function.
import type { ApnsConfig } from "./providers/apns.ts";
import type { ExpoConfig } from "./providers/expo.ts";
import type { FcmConfig, ServiceAccount } from "./providers/fcm.ts";
import { DEFAULT_WEB_PUSH_HOSTS, type WebPushConfig } from "./providers/webpush.ts";

export interface PushConfig {
  /** Always on: Expo needs no credentials (EXPO_ACCESS_TOKEN only when the project enforces it). */
  expo: ExpoConfig;
  /** FCM_SERVICE_ACCOUNT (the key file's JSON) set. */
  fcm?: FcmConfig;
  /** APNS_KEY (.p8 PEM), APNS_KEY_ID, APNS_TEAM_ID set. */
  apns?: ApnsConfig;
  /** VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT set. */
  webpush?: WebPushConfig;
  /** Bearer values allowed to call the function: PUSH_DISPATCH_SECRET and the service role key. */
  callerSecrets: string[];
  /** Problems worth logging (a variable set but unusable). */
  warnings: string[];
}

type Env = (name: string) => string | undefined;

/** PEM from an env var that may carry "\n" escapes (how one-line secrets usually arrive). */
const pem = (value: string): string => (value.includes("\\n") ? value.replaceAll("\\n", "\n") : value);

export function readPushConfig(env: Env): PushConfig {
  const warnings: string[] = [];
  const config: PushConfig = {
    expo: {
      url: env("EXPO_PUSH_URL") ?? "https://exp.host/--/api/v2/push/send",
      accessToken: env("EXPO_ACCESS_TOKEN"),
    },
    callerSecrets: [env("PUSH_DISPATCH_SECRET"), env("SUPABASE_SERVICE_ROLE_KEY")].filter(
      (v): v is string => !!v && v.length >= 16,
    ),
    warnings,
  };
  const account = env("FCM_SERVICE_ACCOUNT");
  if (account) {
    try {
      const parsed = JSON.parse(account) as Partial<ServiceAccount>;
      if (!parsed.project_id || !parsed.client_email || !parsed.private_key)
        throw new Error("project_id, client_email and private_key are required");
      config.fcm = {
        apiUrl: env("FCM_API_URL") ?? "https://fcm.googleapis.com",
        account: {
          project_id: parsed.project_id,
          client_email: parsed.client_email,
          private_key: pem(parsed.private_key),
          token_uri: parsed.token_uri ?? "https://oauth2.googleapis.com/token",
          ...(parsed.private_key_id ? { private_key_id: parsed.private_key_id } : {}),
        },
      };
    } catch (error) {
      warnings.push(
        `FCM_SERVICE_ACCOUNT is not a usable service-account key (${error instanceof Error ? error.message : String(error)}): FCM is off`,
      );
    }
  }
  const [apnsKey, keyId, teamId] = [env("APNS_KEY"), env("APNS_KEY_ID"), env("APNS_TEAM_ID")];
  if (apnsKey && keyId && teamId) {
    config.apns = { url: env("APNS_URL") ?? "https://api.push.apple.com", keyId, teamId, privateKey: pem(apnsKey) };
  } else if (apnsKey || keyId || teamId)
    warnings.push("APNs needs APNS_KEY, APNS_KEY_ID and APNS_TEAM_ID: APNs is off");
  const [publicKey, privateKey, subject] = [env("VAPID_PUBLIC_KEY"), env("VAPID_PRIVATE_KEY"), env("VAPID_SUBJECT")];
  if (publicKey && privateKey && subject) {
    const hosts = env("WEB_PUSH_ALLOWED_HOSTS");
    config.webpush = {
      publicKey,
      privateKey,
      subject,
      allowedHosts: hosts
        ? hosts
            .split(",")
            .map((h) => h.trim())
            .filter(Boolean)
        : DEFAULT_WEB_PUSH_HOSTS,
    };
  } else if (publicKey || privateKey || subject)
    warnings.push("Web Push needs VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT: Web Push is off");
  return config;
}
