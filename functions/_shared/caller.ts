// Who is calling: the user's JWT, verified by the function itself. call-token and call-end run with
// verify_jwt = false because Supabase's legacy gate answers 401 "Invalid JWT" to tokens signed with the new
// asymmetric JWT signing keys; Supabase's guidance is to verify in the function, with auth.getClaims().
import { createClient, isAuthRetryableFetchError, type JWK, type SupabaseClient } from "./deps.ts";
import { HttpError } from "./http.ts";
import { serverClientOptions } from "./supabase-options.ts";

/** A verified caller. */
export interface Caller {
  /** The user's id (the `sub` claim). */
  userId: string;
  /** The token's claims, verified. */
  claims: Record<string, unknown>;
  /** `Bearer <token>`: what a supabase-js client sends to act as this user (RLS, auth.uid()). */
  authorization: string;
}

/** Verifies the Authorization header; throws HttpError 401 `unauthorized` (or 502 when Auth cannot be asked). */
export type VerifyCaller = (authorization: string | null) => Promise<Caller>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const unauthorized = (message: string) => new HttpError(401, "unauthorized", message);

/**
 * The public keys the runtime hands the function as SUPABASE_JWKS (the CLI does; the hosted runtime may
 * not). Only asymmetric keys with a `kid` are kept: auth-js looks keys up by kid, and an `oct` entry is the
 * legacy secret, which getClaims never uses (HS256 tokens are checked by Auth itself).
 */
export function injectedJwks(env: (name: string) => string | undefined): { keys: JWK[] } | undefined {
  const raw = env("SUPABASE_JWKS");
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as { keys?: unknown };
    const keys = (Array.isArray(parsed.keys) ? parsed.keys : [])
      .filter(
        (k): k is Record<string, unknown> =>
          !!k && typeof k === "object" && typeof k.kid === "string" && k.kty !== "oct",
      )
      .map((k) => ({ key_ops: ["verify"], ...k }) as JWK);
    return keys.length ? { keys } : undefined;
  } catch {
    return undefined; // an unreadable value is no reason to refuse callers: getClaims fetches the project's JWKS instead
  }
}

/**
 * The production verifier: supabase-js `auth.getClaims(token)` against SUPABASE_URL. Asymmetric tokens
 * (ES256 / RS256) are checked here against the project's JWKS — SUPABASE_JWKS when the runtime provides
 * it, else `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`, cached for 10 minutes by the one client this
 * function keeps; HS256 tokens (legacy JWT secret) are sent to Auth's GET /user, which also refuses a
 * signed-out session. A token without a user (`sub`), such as the anon key, is refused: these functions act
 * for a user.
 */
export function supabaseCallerVerifier(env: (name: string) => string | undefined): VerifyCaller {
  let auth: SupabaseClient["auth"] | undefined; // kept for the process, so its JWKS cache outlives one request
  return async (authorization) => {
    const token = BEARER.exec(authorization ?? "")?.[1];
    if (!token) throw unauthorized("Send the user's JWT as Authorization: Bearer <token>.");
    const url = env("SUPABASE_URL");
    const key = env("SUPABASE_ANON_KEY") ?? env("SUPABASE_PUBLISHABLE_KEY");
    if (!url || !key)
      throw new HttpError(503, "supabase_not_configured", "SUPABASE_URL and SUPABASE_ANON_KEY must be set.");
    auth ??= createClient(url, key, serverClientOptions).auth;
    const jwks = injectedJwks(env);
    let result: Awaited<ReturnType<SupabaseClient["auth"]["getClaims"]>>;
    try {
      result = await auth.getClaims(token, jwks ? { jwks } : undefined);
    } catch (error) {
      // auth-js throws, rather than returns, when a token's parts are not JSON or its alg is not one it verifies.
      throw unauthorized(`The JWT is not valid: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (result.error) {
      if (isAuthRetryableFetchError(result.error)) {
        throw new HttpError(
          502,
          "auth_unavailable",
          `Supabase Auth could not be reached to verify the JWT: ${result.error.message}`,
        );
      }
      throw unauthorized(`The JWT is not valid: ${result.error.message}`);
    }
    const claims = result.data?.claims;
    if (!claims || typeof claims.sub !== "string" || !claims.sub || claims.role === "anon") {
      throw unauthorized("A signed-in user's JWT is required; an API key is not a user.");
    }
    return { userId: claims.sub, claims, authorization: `Bearer ${token}` };
  };
}
