// HS256 JWT signing and verification shared by every gateway service.
import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";

export type Claims = JWTPayload & Record<string, unknown>;

export type VerifyResult =
  | { ok: true; claims: Claims }
  | { ok: false; reason: "expired" | "invalid"; message: string };

const keyCache = new Map<string, Uint8Array>();
const keyOf = (secret: string): Uint8Array => {
  let k = keyCache.get(secret);
  if (!k) keyCache.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
};

/** Verifies an HS256 token with the project's JWT secret. `exp` is enforced; `aud` is not (as PostgREST without an audience). */
export async function verifyJwt(token: string, secret: string): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: ["HS256"] });
    return { ok: true, claims: payload as Claims };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return { ok: false, reason: "expired", message: "JWT expired" };
    return { ok: false, reason: "invalid", message: e instanceof Error ? e.message : String(e) };
  }
}

/** Signs claims as an HS256 JWT with header {alg, typ}. `kid` is optional. */
export async function signJwt(claims: Claims, secret: string, kid?: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(kid ? { alg: "HS256", typ: "JWT", kid } : { alg: "HS256", typ: "JWT" }).sign(keyOf(secret));
}

/** Reads the bearer token from an Authorization header value, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1]?.trim();
}
