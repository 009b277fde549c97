// The request's role and claims from its Authorization header, with PostgREST's 401 errors.
import { errors as joseErrors, jwtVerify } from "jose";
import { bearerToken, verificationKeys, type JwtKeys } from "../jwt.ts";
import { errors } from "./errors.ts";

export interface Identity {
  role: string;
  claims: Record<string, unknown>;
}

/** PostgREST allows 30 seconds of clock skew on exp / nbf / iat. */
const SKEW_SECONDS = 30;

/**
 * No header or a non-Bearer scheme → the anon role; a Bearer token must verify (PGRST301) and be current (PGRST303).
 * PGRST_JWT_SECRET is the project's JWKS: HS256/384/512 with the secret, and ES256 / RS256 with the signing keys
 * when the project has them.
 */
export async function identify(authorization: string | null, keys: JwtKeys, anonRole: string): Promise<Identity> {
  if (!authorization || !/^bearer(\s|$)/i.test(authorization.trim()))
    return { role: anonRole, claims: { role: anonRole } };
  const token = bearerToken(authorization);
  if (!token) throw errors.jwt("Empty JWT is sent in Authorization header");
  const parts = token.split(".").length;
  if (parts !== 3) throw errors.jwt(`Expected 3 parts in JWT; got ${parts}`);
  let claims: Record<string, unknown>;
  try {
    const { algorithms, key } = verificationKeys(keys, ["HS256", "HS384", "HS512"]);
    const { payload } = await jwtVerify(token, key, { algorithms, clockTolerance: SKEW_SECONDS });
    claims = { ...payload };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw errors.jwt("JWT expired", "PGRST303");
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      if (e.claim === "nbf") throw errors.jwt("JWT not yet valid", "PGRST303");
      throw errors.jwt(`The JWT '${e.claim}' claim must be a number`, "PGRST303");
    }
    if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported)
      throw errors.jwt("Wrong or unsupported encoding algorithm");
    // No key of the JWKS has the token's kid (PostgREST's KeyError).
    if (e instanceof joseErrors.JWKSNoMatchingKey) throw errors.jwt("No suitable key or wrong key type");
    throw errors.jwt("JWT cryptographic operation failed");
  }
  if (typeof claims.iat === "number" && claims.iat > Date.now() / 1000 + SKEW_SECONDS)
    throw errors.jwt("JWT issued at future", "PGRST303");
  const role = typeof claims.role === "string" && claims.role ? claims.role : anonRole;
  claims.role = role;
  return { role, claims };
}
