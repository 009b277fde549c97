// JWT signing and verification shared by every gateway service: HS256 with the project's JWT secret, and
// ES256 / RS256 with the keys of `[auth] signing_keys_path` when the project has them.
import {
  createLocalJWKSet,
  errors,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWSHeaderParameters,
  type JWTPayload,
} from "jose";
import {
  ASYMMETRIC_ALGORITHMS,
  currentSigningKey,
  privateKeyMaterial,
  publicJwks,
  type SigningJwk,
} from "../signing-keys.ts";

export type Claims = JWTPayload & Record<string, unknown>;

export type VerifyResult = { ok: true; claims: Claims } | { ok: false; reason: "expired" | "invalid"; message: string };

/** What verifying or signing needs: the JWT secret, and the project's signing keys (none: HS256 only). */
export interface JwtKeys {
  jwtSecret: string;
  signingKeys?: readonly SigningJwk[];
}

const secretCache = new Map<string, Uint8Array>();
const keyOf = (secret: string): Uint8Array => {
  let k = secretCache.get(secret);
  if (!k) secretCache.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
};

type PublicKeyLookup = ReturnType<typeof createLocalJWKSet>;
/** Built once per key list (the config's array): the public key lookup and the imported signing key. */
const derived = new WeakMap<
  readonly SigningJwk[],
  { lookup: PublicKeyLookup; signer?: Promise<{ jwk: SigningJwk; key: CryptoKey }> }
>();

function derive(keys: readonly SigningJwk[]) {
  let d = derived.get(keys);
  if (!d) {
    const jwk = currentSigningKey(keys);
    d = {
      lookup: createLocalJWKSet(publicJwks(keys)),
      ...(jwk
        ? { signer: importJWK(privateKeyMaterial(jwk), jwk.alg).then((key) => ({ jwk, key: key as CryptoKey })) }
        : {}),
    };
    derived.set(keys, d);
  }
  return d;
}

/** True when the project has asymmetric signing keys. */
export const hasSigningKeys = (keys: JwtKeys): boolean => (keys.signingKeys?.length ?? 0) > 0;

/**
 * The algorithms a service accepts and the key for a token's header: HS* (those `hsAlgorithms` allow) with
 * the JWT secret, ES256 / RS256 with the public key its `kid` names — only when the project has signing
 * keys, so a project without them refuses asymmetric tokens exactly as before. An unknown `kid` throws
 * jose's JWKSNoMatchingKey.
 */
export function verificationKeys(keys: JwtKeys, hsAlgorithms: readonly string[]) {
  const asymmetric = hasSigningKeys(keys);
  return {
    algorithms: [...hsAlgorithms, ...(asymmetric ? ASYMMETRIC_ALGORITHMS : [])],
    key: async (header: JWSHeaderParameters): Promise<CryptoKey | Uint8Array> =>
      asymmetric && header.alg && !header.alg.startsWith("HS")
        ? derive(keys.signingKeys!).lookup(header)
        : keyOf(keys.jwtSecret),
  };
}

/**
 * Verifies a token as GoTrue and the edge runtime's gate do: HS256 with the JWT secret, or ES256 / RS256
 * with the project's signing keys. `exp` (and `nbf`) are enforced; `aud` is not (as PostgREST without an audience).
 */
export async function verifyJwt(token: string, keys: JwtKeys): Promise<VerifyResult> {
  const { algorithms, key } = verificationKeys(keys, ["HS256"]);
  try {
    const { payload } = await jwtVerify(token, key, { algorithms });
    return { ok: true, claims: payload as Claims };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return { ok: false, reason: "expired", message: "JWT expired" };
    return { ok: false, reason: "invalid", message: e instanceof Error ? e.message : String(e) };
  }
}

/** Signs claims as an HS256 JWT with header {alg, typ}. `kid` is optional. */
export async function signJwt(claims: Claims, secret: string, kid?: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader(kid ? { alg: "HS256", typ: "JWT", kid } : { alg: "HS256", typ: "JWT" })
    .sign(keyOf(secret));
}

/**
 * Signs an access token as GoTrue does: with the project's signing key when it has one (header
 * {alg, kid, typ}, the order Go's sorted map gives), else HS256 with the JWT secret (header {alg, typ}).
 */
export async function signAccessToken(claims: Claims, keys: JwtKeys): Promise<string> {
  const signer = hasSigningKeys(keys) ? derive(keys.signingKeys!).signer : undefined;
  if (!signer) return signJwt(claims, keys.jwtSecret);
  const { jwk, key } = await signer;
  return new SignJWT(claims).setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: "JWT" }).sign(key);
}

/** Reads the bearer token from an Authorization header value, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1]?.trim();
}
