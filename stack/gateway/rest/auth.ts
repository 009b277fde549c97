// The request's role and claims from its Authorization header, with PostgREST's 401 errors.
import { bearerToken, verifyJwt } from "../jwt.ts";
import { errors } from "./errors.ts";

export interface Identity {
  role: string;
  claims: Record<string, unknown>;
}

/** No header or a non-Bearer scheme → the anon role; a Bearer token must verify (PGRST301) and be current (PGRST303). */
export async function identify(authorization: string | null, secret: string, anonRole: string): Promise<Identity> {
  if (!authorization || !/^bearer(\s|$)/i.test(authorization.trim())) return { role: anonRole, claims: { role: anonRole } };
  const token = bearerToken(authorization);
  if (!token) throw errors.jwt("Empty JWT is sent in Authorization header");
  const parts = token.split(".").length;
  if (parts !== 3) throw errors.jwt(`Expected 3 parts in JWT; got ${parts}`);
  const verified = await verifyJwt(token, secret);
  if (!verified.ok) {
    if (verified.reason === "expired") throw errors.jwt("JWT expired", "PGRST303");
    if (/nbf|not active/i.test(verified.message)) throw errors.jwt("JWT not yet valid", "PGRST303");
    if (/alg/i.test(verified.message)) throw errors.jwt("Wrong or unsupported encoding algorithm");
    throw errors.jwt("JWT cryptographic operation failed");
  }
  const claims: Record<string, unknown> = { ...verified.claims };
  const role = typeof claims.role === "string" && claims.role ? claims.role : anonRole;
  claims.role = role;
  return { role, claims };
}
