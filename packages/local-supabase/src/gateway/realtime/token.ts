// JWT checks with Realtime's own outcomes and messages (connect, join, access_token refresh).
import { callerOf, type Caller } from "../caller.ts";
import { HS_ALGORITHMS, verifyJwt, type JwtKeys, type VerifyRules } from "../jwt.ts";

/** A channel's caller: Realtime requires `exp`, which ends the channel when it passes. */
export type RealtimeCaller = Caller & { exp: number };

/** Why a token was refused; `code` is the prefix Realtime puts before join error reasons. */
export type TokenError =
  | { code: "InvalidJWTToken"; kind: "expired"; message: string }
  | { code: "InvalidJWTToken"; kind: "claims"; message: string }
  | { code: "MalformedJWT"; kind: "malformed"; message: string }
  | { code: "JwtSignatureError"; kind: "signature"; message: string }
  | { code: "JwtSignerError"; kind: "signer"; message: string };

export type TokenResult = { ok: true; caller: RealtimeCaller } | ({ ok: false } & TokenError);

/** Realtime (Joken) checks the signature, then the claims itself; asymmetric keys are found by kid only. */
const RULES: VerifyRules = { hs: HS_ALGORITHMS, signatureOnly: true, requireKid: true };
const MISSING_CLAIMS = "Fields `role` and `exp` are required in JWT";

/**
 * Verifies a token as Realtime does: HS* with the project secret, ES256 / RS256 with the JWKS key its `kid`
 * names (API_JWT_JWKS: the project's signing keys), `role` and `exp` required, `exp` in the future. A token
 * no signer can be made for (another algorithm, no signing keys, an unknown kid) is JwtSignerError.
 */
export async function verifyToken(raw: string, keys: JwtKeys, now = Date.now()): Promise<TokenResult> {
  let token = raw.replace(/\s+/g, "");
  try {
    token = decodeURIComponent(token);
  } catch {
    // not URL-encoded
  }
  const verified = await verifyJwt(token, keys, RULES);
  if (!verified.ok) {
    const { kind, header } = verified.failure;
    if (kind === "signature")
      return { ok: false, code: "JwtSignatureError", kind: "signature", message: "Failed to validate JWT signature" };
    if (kind === "malformed")
      return { ok: false, code: "MalformedJWT", kind: "malformed", message: "The token provided is not a valid JWT" };
    // Another algorithm, no signing keys, no kid or an unknown one: no signer can be made.
    const suffix = typeof header?.kid === "string" ? ` for key ID (kid) "${header.kid}"` : "";
    return {
      ok: false,
      code: "JwtSignerError",
      kind: "signer",
      message: `Failed to generate JWT signer${suffix}, check your JWT secret or JWKS configuration`,
    };
  }
  const claims = verified.claims;
  if (claims.iat !== undefined && typeof claims.iat !== "number")
    return { ok: false, code: "InvalidJWTToken", kind: "claims", message: "Invalid token" };
  if (typeof claims.role !== "string" || typeof claims.exp !== "number")
    return { ok: false, code: "InvalidJWTToken", kind: "claims", message: MISSING_CLAIMS };
  const nowSec = Math.floor(now / 1000);
  const exp = Math.round(claims.exp);
  if (exp < nowSec)
    return {
      ok: false,
      code: "InvalidJWTToken",
      kind: "expired",
      message: `Token has expired ${nowSec - exp} seconds ago`,
    };
  if (exp === nowSec)
    return { ok: false, code: "InvalidJWTToken", kind: "expired", message: "Token expiration time is invalid" };
  return { ok: true, caller: { ...callerOf(token, { ...claims, exp }, claims.role), exp } };
}

/** The upgrade refusal (HTTP status and `error` text) for a refused connect token (spec §1.2). */
export function connectRefusal(e: TokenError): { status: number; error: string } {
  switch (e.kind) {
    case "expired":
      return { status: 401, error: "Token has expired" };
    case "claims":
      return { status: 401, error: e.message };
    case "malformed":
      return { status: 401, error: "The token provided is not a valid JWT" };
    case "signature":
      return { status: 401, error: "Failed to validate JWT signature" };
    case "signer":
      return { status: 401, error: "Failed to generate JWT signer, check your JWT secret or JWKS configuration" };
  }
}
