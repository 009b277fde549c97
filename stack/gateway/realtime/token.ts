// JWT checks with Realtime's own outcomes and messages (connect, join, access_token refresh).
import { compactVerify, decodeJwt, decodeProtectedHeader, errors } from "jose";
import type { StackConfig } from "../../config.ts";
import { ASYMMETRIC_ALGORITHMS } from "../../signing-keys.ts";
import { verificationKeys, type JwtKeys } from "../jwt.ts";

export type Claims = Record<string, unknown> & { role: string; exp: number; sub?: string };

/** Why a token was refused; `code` is the prefix Realtime puts before join error reasons. */
export type TokenError =
  | { code: "InvalidJWTToken"; kind: "expired"; message: string }
  | { code: "InvalidJWTToken"; kind: "claims"; message: string }
  | { code: "MalformedJWT"; kind: "malformed"; message: string }
  | { code: "JwtSignatureError"; kind: "signature"; message: string }
  | { code: "JwtSignerError"; kind: "signer"; message: string };

export type TokenResult = { ok: true; claims: Claims } | ({ ok: false } & TokenError);

const HS = ["HS256", "HS384", "HS512"];
const ASYMMETRIC: readonly string[] = ASYMMETRIC_ALGORITHMS;
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
  let header: ReturnType<typeof decodeProtectedHeader>;
  let peeked: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(token);
    peeked = decodeJwt(token);
  } catch {
    return { ok: false, code: "MalformedJWT", kind: "malformed", message: "The token provided is not a valid JWT" };
  }
  const signerError = (): TokenResult => {
    const suffix = typeof header.kid === "string" ? ` for key ID (kid) "${header.kid}"` : "";
    return {
      ok: false,
      code: "JwtSignerError",
      kind: "signer",
      message: `Failed to generate JWT signer${suffix}, check your JWT secret or JWKS configuration`,
    };
  };
  const { algorithms, key: keyFor } = verificationKeys(keys, HS);
  if (!header.alg || !algorithms.includes(header.alg)) return signerError();
  let key: Awaited<ReturnType<typeof keyFor>>;
  try {
    // Realtime looks an asymmetric key up by kid only: without one (or with an unknown one) there is no signer.
    if (ASYMMETRIC.includes(header.alg) && typeof header.kid !== "string") return signerError();
    key = await keyFor(header);
  } catch {
    return signerError();
  }
  try {
    await compactVerify(token, key, { algorithms: [header.alg] });
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed)
      return { ok: false, code: "JwtSignatureError", kind: "signature", message: "Failed to validate JWT signature" };
    return { ok: false, code: "MalformedJWT", kind: "malformed", message: "The token provided is not a valid JWT" };
  }
  const claims = peeked as Record<string, unknown>;
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
  return { ok: true, claims: { ...claims, exp } as Claims };
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

/**
 * The hosted gateway turns `sb_` API keys into the matching legacy JWT before Realtime sees them;
 * the local stack does the same here. Other strings pass through unchanged.
 */
export function legacyTokenFor(
  key: string,
  config: Pick<StackConfig, "publishableKey" | "secretKey" | "anonKey" | "serviceRoleKey">,
): string {
  if (key === config.publishableKey) return config.anonKey;
  if (key === config.secretKey) return config.serviceRoleKey;
  return key;
}
