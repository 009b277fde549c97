// The one JWT verifier and signer of the gateway: HS256/384/512 with the project's JWT secret, and ES256 / RS256
// with the keys of `[auth] signing_keys_path` when the project has them. Every service verifies here, with its own
// rules (which algorithms, how much clock skew, whether it checks the claims itself), and only words the outcome.
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
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

/** What verifying or signing needs: the JWT secret, and the project's signing keys (none: HS256 only). */
export interface JwtKeys {
  jwtSecret: string;
  signingKeys?: readonly SigningJwk[];
}

export type HsAlgorithm = "HS256" | "HS384" | "HS512";
export const HS_ALGORITHMS: readonly HsAlgorithm[] = ["HS256", "HS384", "HS512"];
const ASYMMETRIC: readonly string[] = ASYMMETRIC_ALGORITHMS;

/** How one service verifies: each real service has its own library and settings, hence its own rules. */
export interface VerifyRules {
  /** HS algorithms accepted with the secret; ES256 / RS256 are added when the project has signing keys. */
  hs: readonly HsAlgorithm[];
  /** Seconds of clock skew allowed on `exp` / `nbf` (PostgREST: 30). */
  clockTolerance?: number;
  /** Verify the signature only: the service checks the claims itself (Realtime). */
  signatureOnly?: boolean;
  /** An asymmetric token must name its key with `kid` (Realtime looks keys up by kid only). */
  requireKid?: boolean;
}

/**
 * Why a token was refused. `message` is jose's own text (Storage, which uses jose too, repeats it); `header`
 * is the decoded protected header when there is one.
 */
export interface VerifyFailure {
  kind: "malformed" | "algorithm" | "key" | "signature" | "expired" | "not-before" | "claim";
  message: string;
  /** The claim jose refused (kind `claim`, `expired`, `not-before`). */
  claim?: string;
  header?: JWSHeaderParameters;
}

export type Verified =
  { ok: true; claims: Claims; header: JWSHeaderParameters } | { ok: false; failure: VerifyFailure };

/**
 * The keys of one project, derived once: the secret's bytes, the public key lookup, the imported signing key.
 * The only key cache of the gateway, keyed by the key list (the config's array) and then by the secret.
 */
interface KeyRing {
  secret: Uint8Array;
  asymmetric: boolean;
  lookup?: ReturnType<typeof createLocalJWKSet>;
  signer?: Promise<{ jwk: SigningJwk; key: CryptoKey }>;
}

const NO_SIGNING_KEYS: readonly SigningJwk[] = [];
const rings = new WeakMap<readonly SigningJwk[], Map<string, KeyRing>>();

function keyRing(keys: JwtKeys): KeyRing {
  const list = keys.signingKeys?.length ? keys.signingKeys : NO_SIGNING_KEYS;
  let bySecret = rings.get(list);
  if (!bySecret) rings.set(list, (bySecret = new Map()));
  let ring = bySecret.get(keys.jwtSecret);
  if (!ring) {
    const jwk = currentSigningKey(list);
    ring = {
      secret: new TextEncoder().encode(keys.jwtSecret),
      asymmetric: list.length > 0,
      ...(list.length ? { lookup: createLocalJWKSet(publicJwks(list)) } : {}),
      ...(jwk
        ? { signer: importJWK(privateKeyMaterial(jwk), jwk.alg).then((key) => ({ jwk, key: key as CryptoKey })) }
        : {}),
    };
    bySecret.set(keys.jwtSecret, ring);
  }
  return ring;
}

/** True when the project has asymmetric signing keys. */
export const hasSigningKeys = (keys: JwtKeys): boolean => (keys.signingKeys?.length ?? 0) > 0;

/** The algorithms a service with these rules accepts in this project. */
export function acceptedAlgorithms(keys: JwtKeys, rules: Pick<VerifyRules, "hs">): string[] {
  return [...rules.hs, ...(hasSigningKeys(keys) ? ASYMMETRIC : [])];
}

/** jose's error as a refusal kind. */
function failureOf(e: unknown, header?: JWSHeaderParameters): VerifyFailure {
  const message = e instanceof Error ? e.message : String(e);
  const base = header ? { message, header } : { message };
  if (e instanceof errors.JWTExpired) return { ...base, kind: "expired", claim: e.claim };
  if (e instanceof errors.JWTClaimValidationFailed)
    return { ...base, kind: e.claim === "nbf" ? "not-before" : "claim", claim: e.claim };
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported)
    return { ...base, kind: "algorithm" };
  // No key of the JWKS has the token's kid.
  if (e instanceof errors.JWKSNoMatchingKey) return { ...base, kind: "key" };
  if (e instanceof errors.JWSSignatureVerificationFailed) return { ...base, kind: "signature" };
  return { ...base, kind: "malformed" };
}

/**
 * Verifies a token with a service's rules: HS* (as `rules.hs` allow) with the JWT secret, ES256 / RS256 with the
 * public key its `kid` names — only when the project has signing keys, so a project without them refuses
 * asymmetric tokens. Without `signatureOnly`, `exp` and `nbf` are enforced (with `clockTolerance`) and the
 * registered claims must have their types; `aud` is not checked (as PostgREST without an audience).
 */
export async function verifyJwt(token: string, keys: JwtKeys, rules: VerifyRules): Promise<Verified> {
  const ring = keyRing(keys);
  const algorithms = acceptedAlgorithms(keys, rules);
  const keyFor = async (header: JWSHeaderParameters): Promise<CryptoKey | Uint8Array> =>
    ring.asymmetric && header.alg && !header.alg.startsWith("HS") ? ring.lookup!(header) : ring.secret;
  if (!rules.signatureOnly) {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keyFor, {
        algorithms,
        ...(rules.clockTolerance ? { clockTolerance: rules.clockTolerance } : {}),
      });
      return { ok: true, claims: { ...payload }, header: protectedHeader };
    } catch (e) {
      return { ok: false, failure: failureOf(e, peekHeader(token)) };
    }
  }
  let header: JWSHeaderParameters;
  let claims: Claims;
  try {
    header = decodeProtectedHeader(token) as JWSHeaderParameters;
    claims = decodeJwt(token) as Claims;
  } catch (e) {
    return { ok: false, failure: failureOf(new errors.JWTInvalid(e instanceof Error ? e.message : String(e))) };
  }
  if (!header.alg || !algorithms.includes(header.alg))
    return {
      ok: false,
      failure: { kind: "algorithm", message: `"alg" (Algorithm) Header Parameter value not allowed`, header },
    };
  let key: CryptoKey | Uint8Array;
  try {
    if (rules.requireKid && ASYMMETRIC.includes(header.alg) && typeof header.kid !== "string")
      throw new errors.JWKSNoMatchingKey();
    key = await keyFor(header);
  } catch (e) {
    return { ok: false, failure: { ...failureOf(e, header), kind: "key" } };
  }
  try {
    await compactVerify(token, key, { algorithms: [header.alg] });
  } catch (e) {
    return { ok: false, failure: failureOf(e, header) };
  }
  return { ok: true, claims, header };
}

/** The protected header of a token, or undefined when it has none that decodes. */
export function peekHeader(token: string): JWSHeaderParameters | undefined {
  try {
    return decodeProtectedHeader(token) as JWSHeaderParameters;
  } catch {
    return undefined;
  }
}

/** Signs claims as an HS256 JWT with header {alg, typ}. `kid` is optional. */
export async function signJwt(claims: Claims, secret: string, kid?: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader(kid ? { alg: "HS256", typ: "JWT", kid } : { alg: "HS256", typ: "JWT" })
    .sign(keyRing({ jwtSecret: secret }).secret);
}

/**
 * Signs an access token as GoTrue does: with the project's signing key when it has one (header
 * {alg, kid, typ}, the order Go's sorted map gives), else HS256 with the JWT secret (header {alg, typ}).
 */
export async function signAccessToken(claims: Claims, keys: JwtKeys): Promise<string> {
  const signer = keyRing(keys).signer;
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
