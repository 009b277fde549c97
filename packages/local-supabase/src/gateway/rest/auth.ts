// The request's caller from its Authorization header, with PostgREST's 401 errors.
import { anonymousCaller, callerOf, type Caller } from "../caller.ts";
import { bearerToken, HS_ALGORITHMS, verifyJwt, type JwtKeys, type VerifyRules } from "../jwt.ts";
import { errors } from "./errors.ts";

/** PostgREST allows 30 seconds of clock skew on exp / nbf / iat. */
const SKEW_SECONDS = 30;
/** PGRST_JWT_SECRET is the project's JWKS: HS256/384/512 with the secret, ES256 / RS256 with the signing keys. */
const RULES: VerifyRules = { hs: HS_ALGORITHMS, clockTolerance: SKEW_SECONDS };

/**
 * No header or a non-Bearer scheme → the anon role; a Bearer token must verify (PGRST301) and be current (PGRST303).
 */
export async function identify(authorization: string | null, keys: JwtKeys, anonRole: string): Promise<Caller> {
  if (!authorization || !/^bearer(\s|$)/i.test(authorization.trim())) return anonymousCaller(anonRole);
  const token = bearerToken(authorization);
  if (!token) throw errors.jwt("Empty JWT is sent in Authorization header");
  const parts = token.split(".").length;
  if (parts !== 3) throw errors.jwt(`Expected 3 parts in JWT; got ${parts}`);
  const verified = await verifyJwt(token, keys, RULES);
  if (!verified.ok) {
    const { kind, claim } = verified.failure;
    if (kind === "expired") throw errors.jwt("JWT expired", "PGRST303");
    if (kind === "not-before") throw errors.jwt("JWT not yet valid", "PGRST303");
    if (kind === "claim") throw errors.jwt(`The JWT '${claim}' claim must be a number`, "PGRST303");
    if (kind === "algorithm") throw errors.jwt("Wrong or unsupported encoding algorithm");
    // No key of the JWKS has the token's kid (PostgREST's KeyError).
    if (kind === "key") throw errors.jwt("No suitable key or wrong key type");
    throw errors.jwt("JWT cryptographic operation failed");
  }
  const { claims } = verified;
  if (typeof claims.iat === "number" && claims.iat > Date.now() / 1000 + SKEW_SECONDS)
    throw errors.jwt("JWT issued at future", "PGRST303");
  // PostgREST's claims always carry the role it switched to.
  const caller = callerOf(token, claims, anonRole);
  return { ...caller, claims: { ...claims, role: caller.role } };
}
