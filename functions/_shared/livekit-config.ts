// LiveKit credentials from LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET, with `livekit-server --dev` defaults only where PARLEY_LOCAL says the runtime is a local stack.

/** Where LiveKit is and how to sign for it. */
export interface LiveKitConfig {
  /** WebSocket URL handed to clients (ws:// or wss://). */
  wsUrl: string;
  /** HTTP(S) URL of LiveKit's Twirp API (RoomService). */
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  /** True when the dev-mode defaults were used because nothing was configured on a local stack (PARLEY_LOCAL). */
  devDefaults: boolean;
}

/** The answer when LiveKit cannot be used: which variables are missing. */
export interface LiveKitConfigMissing {
  missing: string[];
}

/** LiveKit's dev mode (`livekit-server --dev`). */
export const LIVEKIT_DEV_DEFAULTS = { url: "ws://127.0.0.1:7880", apiKey: "devkey", apiSecret: "secret" } as const;

/**
 * True only where the runtime says it is a local stack: `PARLEY_LOCAL=1` (or `true`), which Parley's
 * local stack sets for every function and a developer may set by hand (e.g. in supabase/functions/.env
 * for `supabase functions serve`). The host of SUPABASE_URL proves nothing: a self-hosted Supabase
 * reaches its API at http://kong:8000 just as the CLI does, and a missing SUPABASE_URL is a broken
 * deployment, not a laptop. Guessing "local" there would sign with LiveKit's public dev key and accept
 * webhooks anyone can sign.
 */
export function isLocalRuntime(env: (name: string) => string | undefined): boolean {
  const explicit = env("PARLEY_LOCAL")?.trim().toLowerCase();
  return explicit === "1" || explicit === "true";
}

function toScheme(url: string, secure: string, plain: string): string {
  return url.replace(/^(wss|https):\/\//i, `${secure}://`).replace(/^(ws|http):\/\//i, `${plain}://`);
}

/**
 * Reads the LiveKit settings. All three set → that config. None set and PARLEY_LOCAL=1 → dev defaults.
 * Otherwise (deployed without them, or only some set) → the list of missing names (the function answers 503).
 */
export function readLiveKitConfig(env: (name: string) => string | undefined): LiveKitConfig | LiveKitConfigMissing {
  const url = env("LIVEKIT_URL")?.trim() || undefined;
  const apiKey = env("LIVEKIT_API_KEY")?.trim() || undefined;
  const apiSecret = env("LIVEKIT_API_SECRET")?.trim() || undefined;
  if (url && apiKey && apiSecret) {
    if (!/^(wss?|https?):\/\//i.test(url))
      return { missing: ["LIVEKIT_URL (must start with wss://, ws://, https:// or http://)"] };
    return {
      wsUrl: toScheme(url, "wss", "ws"),
      apiUrl: toScheme(url, "https", "http"),
      apiKey,
      apiSecret,
      devDefaults: false,
    };
  }
  if (!url && !apiKey && !apiSecret && isLocalRuntime(env)) {
    const d = LIVEKIT_DEV_DEFAULTS;
    return {
      wsUrl: d.url,
      apiUrl: toScheme(d.url, "https", "http"),
      apiKey: d.apiKey,
      apiSecret: d.apiSecret,
      devDefaults: true,
    };
  }
  const missing: string[] = [];
  if (!url) missing.push("LIVEKIT_URL");
  if (!apiKey) missing.push("LIVEKIT_API_KEY");
  if (!apiSecret) missing.push("LIVEKIT_API_SECRET");
  return { missing };
}

/** Type guard for a usable config. */
export function isLiveKitConfig(value: LiveKitConfig | LiveKitConfigMissing): value is LiveKitConfig {
  return !("missing" in value);
}
