// The request's role and claims from its Authorization header, with PostgREST's 401 errors.
import { errors as joseErrors, jwtVerify } from "jose";
import { bearerToken } from "../jwt.ts";
import { errors } from "./errors.ts";

export interface Identity {
  role: string;
  claims: Record<string, unknown>;
}

/** PostgREST allows 30 seconds of clock skew on exp / nbf / iat. */
const SKEW_SECONDS = 30;

const keys = new Map<string, Uint8Array>();
const keyOf = (secret: string): Uint8Array => {
  let k = keys.get(secret);
  if (!k) keys.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
};

/** No header or a non-Bearer scheme → the anon role; a Bearer token must verify (PGRST301) and be current (PGRST303). */
export async function identify(authorization: string | null, secret: string, anonRole: string): Promise<Identity> {
  if (!authorization || !/^bearer(\s|$)/i.test(authorization.trim())) return { role: anonRole, claims: { role: anonRole } };
  const token = bearerToken(authorization);
  if (!token) throw errors.jwt("Empty JWT is sent in Authorization header");
  const parts = token.split(".").length;
  if (parts !== 3) throw errors.jwt(`Expected 3 parts in JWT; got ${parts}`);
  let claims: Record<string, unknown>;
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: ["HS256", "HS384", "HS512"], clockTolerance: SKEW_SECONDS });
    claims = { ...payload };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw errors.jwt("JWT expired", "PGRST303");
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      if (e.claim === "nbf") throw errors.jwt("JWT not yet valid", "PGRST303");
      throw errors.jwt(`The JWT '${e.claim}' claim must be a number`, "PGRST303");
    }
    if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) throw errors.jwt("Wrong or unsupported encoding algorithm");
    throw errors.jwt("JWT cryptographic operation failed");
  }
  if (typeof claims.iat === "number" && claims.iat > Date.now() / 1000 + SKEW_SECONDS) throw errors.jwt("JWT issued at future", "PGRST303");
  const role = typeof claims.role === "string" && claims.role ? claims.role : anonRole;
  claims.role = role;
  return { role, claims };
}
