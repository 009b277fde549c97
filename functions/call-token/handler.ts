// call-token: POST { callId } with the user's JWT → a LiveKit token for that call's room (or a JSON error).
import type { VerifyCaller } from "../_shared/caller.ts";
import { callVideoGrant, CALL_TOKEN_TTL_SECONDS, ROOM_EMPTY_TIMEOUT_SECONDS } from "../_shared/grants.ts";
import { HttpError, json, preflight, toErrorResponse } from "../_shared/http.ts";
import { isLiveKitConfig, readLiveKitConfig, type LiveKitConfig } from "../_shared/livekit-config.ts";
import { mintToken, type MintInput } from "../_shared/livekit.ts";
import { callTokenRequest, describeZodError, type CallTokenResponse } from "../_shared/schemas.ts";
import type { LoadGrant } from "./grant.ts";

export interface CallTokenDeps {
  /** Environment lookup (Deno.env.get in production). */
  env: (name: string) => string | undefined;
  /** Verifies the caller's JWT (verify_jwt is off: the function checks it); throws HttpError 401. */
  verifyCaller: VerifyCaller;
  /** Reads the caller's grant for a call as that user; throws HttpError 401/403/404/409. */
  loadGrant: LoadGrant;
  /** Signs the token; defaults to livekit-server-sdk's AccessToken. */
  mint?: (config: LiveKitConfig, input: MintInput) => Promise<string>;
  /** Clock, for expiresAt; defaults to Date.now. */
  now?: () => number;
}

async function readBody(req: Request): Promise<string> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new HttpError(400, "invalid_body", 'The body must be JSON: {"callId": "<uuid>"}.');
  }
  const parsed = callTokenRequest.safeParse(body);
  if (!parsed.success) throw new HttpError(400, "invalid_body", describeZodError(parsed.error));
  return parsed.data.callId;
}

/**
 * Builds the request handler.
 * @example Deno.serve(createCallTokenHandler({ env, verifyCaller: supabaseCallerVerifier(env), loadGrant: supabaseGrantLoader(env) }))
 */
export function createCallTokenHandler(deps: CallTokenDeps): (req: Request) => Promise<Response> {
  const mint = deps.mint ?? mintToken;
  const now = deps.now ?? Date.now;
  return async (req) => {
    if (req.method === "OPTIONS") return preflight();
    try {
      if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", `Use POST, not ${req.method}.`);
      const caller = await deps.verifyCaller(req.headers.get("Authorization"));
      const callId = await readBody(req);
      const config = readLiveKitConfig(deps.env);
      if (!isLiveKitConfig(config)) {
        throw new HttpError(
          503,
          "livekit_not_configured",
          `LiveKit is not configured: set ${config.missing.join(", ")} (supabase secrets set …).`,
        );
      }
      const grant = await deps.loadGrant(caller.authorization, callId);
      const issuedAt = now();
      const token = await mint(config, {
        identity: grant.user_id,
        name: grant.display_name ?? grant.user_id,
        grant: callVideoGrant({
          roomName: grant.room_name,
          media: grant.media,
          kind: grant.kind,
          role: grant.member_role,
        }),
        roomName: grant.room_name,
        maxParticipants: grant.max_participants,
        emptyTimeoutSeconds: ROOM_EMPTY_TIMEOUT_SECONDS,
        ttlSeconds: CALL_TOKEN_TTL_SECONDS,
      });
      const body: CallTokenResponse = {
        token,
        wsUrl: config.wsUrl,
        roomName: grant.room_name,
        identity: grant.user_id,
        expiresAt: new Date(issuedAt + CALL_TOKEN_TTL_SECONDS * 1000).toISOString(),
      };
      return json(body);
    } catch (error) {
      return toErrorResponse(error);
    }
  };
}
