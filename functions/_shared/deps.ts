// Third-party modules, pinned in one place as npm: specifiers so `supabase functions deploy`, `deno test`
// and the local runtime all resolve them the same way. (zod is mapped in functions/deno.json instead, so
// that _shared/schemas.ts is importable from Node too.)
export { createClient, isAuthRetryableFetchError } from "npm:@supabase/supabase-js@2.109.0";
export type { JWK, SupabaseClient } from "npm:@supabase/supabase-js@2.109.0";
// Supabase's canonical CORS headers for functions (every header its clients send), as the functions guide shows.
export { corsHeaders as supabaseCorsHeaders } from "npm:@supabase/supabase-js@2.109.0/cors";
export {
  AccessToken,
  RoomConfiguration,
  RoomServiceClient,
  TokenVerifier,
  TrackSource,
  WebhookReceiver,
} from "npm:livekit-server-sdk@2.19.2";
export type { VideoGrant, WebhookEvent } from "npm:livekit-server-sdk@2.19.2";
// Push providers: jose signs the FCM service-account assertion (RS256) and the APNs provider token (ES256);
// web-push builds Web Push requests (VAPID, aes128gcm) that push-dispatch then sends itself.
export { importPKCS8, SignJWT } from "npm:jose@6.2.18";
export { default as webpush } from "npm:web-push@3.6.7";
