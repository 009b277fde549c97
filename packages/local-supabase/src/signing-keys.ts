// `[auth] signing_keys_path`: the asymmetric JWT signing keys of a project, read as the Supabase CLI reads
// them (a JSON array of private JWKs, as `supabase gen signing-key` writes it) and published as GoTrue does.
import { readFileSync } from "node:fs";

/** The algorithms `supabase gen signing-key` offers and every local service verifies. */
export const ASYMMETRIC_ALGORITHMS = ["ES256", "RS256"] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** One private key of the file: `kid`, `alg`, and the key material (EC P-256 or RSA) with its private parts. */
export interface SigningJwk {
  kty: "EC" | "RSA";
  kid: string;
  alg: AsymmetricAlgorithm;
  use?: string;
  key_ops?: string[];
  ext?: boolean;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  d: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
}

/** The public half GoTrue publishes at /.well-known/jwks.json: `use` "sig", `key_ops` ["verify"], no private parts. */
export interface PublicJwk {
  kty: "EC" | "RSA";
  kid: string;
  alg: AsymmetricAlgorithm;
  use: "sig";
  key_ops: string[];
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** Fields each key type needs, private parts included (jose and WebCrypto refuse a key without them). */
const REQUIRED: Record<SigningJwk["kty"], { alg: AsymmetricAlgorithm; fields: string[] }> = {
  EC: { alg: "ES256", fields: ["crv", "x", "y", "d"] },
  RSA: { alg: "RS256", fields: ["n", "e", "d", "p", "q", "dp", "dq", "qi"] },
};

/** Checks one entry of the file; the message names the entry so a hand-edited file is easy to fix. */
function checkKey(value: unknown, index: number): SigningJwk {
  const where = `key ${index + 1}`;
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error(`${where} is not a JWK object`);
  const key = value as Record<string, unknown>;
  const kty = key.kty;
  if (kty !== "EC" && kty !== "RSA")
    throw new Error(`${where}: kty ${JSON.stringify(kty)} is not supported (use EC with ES256 or RSA with RS256)`);
  const { alg, fields } = REQUIRED[kty];
  if (key.alg !== alg) throw new Error(`${where}: a ${kty} key must have alg "${alg}", not ${JSON.stringify(key.alg)}`);
  if (typeof key.kid !== "string" || !key.kid)
    throw new Error(`${where}: kid is missing (tokens name their key by kid)`);
  if (kty === "EC" && key.crv !== "P-256")
    throw new Error(`${where}: ES256 needs crv "P-256", not ${JSON.stringify(key.crv)}`);
  const missing = fields.filter((f) => typeof key[f] !== "string" || !key[f]);
  if (missing.length)
    throw new Error(`${where} (kid ${key.kid}): missing ${missing.join(", ")} — the file must hold private keys`);
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.every((op) => typeof op === "string"))) {
    throw new Error(`${where} (kid ${key.kid}): key_ops must be a list of strings`);
  }
  return key as unknown as SigningJwk;
}

/**
 * Reads the signing keys file. The path is taken as given (config.ts resolves it against `supabase/`, as
 * the CLI does); a file that is missing, is not a JSON array of keys, or has no key allowed to sign is an
 * error, because GoTrue would refuse to start with it ("no signing key detected").
 */
export function readSigningKeys(path: string): SigningJwk[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`failed to read signing keys: ${e instanceof Error ? e.message : String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`failed to decode signing keys (${path}): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(parsed))
    throw new Error(
      `failed to decode signing keys (${path}): expected a JSON array of JWKs, as supabase gen signing-key writes`,
    );
  let keys: SigningJwk[];
  try {
    keys = parsed.map(checkKey);
  } catch (e) {
    throw new Error(`failed to decode signing keys (${path}): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!keys.some(canSign)) {
    throw new Error(
      `no signing key detected in ${path}: add one with \`supabase gen signing-key --append\` (key_ops must include "sign")`,
    );
  }
  const kids = new Set<string>();
  for (const k of keys) {
    if (kids.has(k.kid)) throw new Error(`failed to decode signing keys (${path}): kid ${k.kid} appears twice`);
    kids.add(k.kid);
  }
  return keys;
}

/** A key may sign unless its key_ops leave "sign" out (a verify-only key: standby or previously used). */
export const canSign = (key: SigningJwk): boolean => key.key_ops === undefined || key.key_ops.includes("sign");

/** The key new access tokens are signed with: the first one allowed to sign, or undefined (HS256 with the JWT secret). */
export function currentSigningKey(keys: readonly SigningJwk[]): SigningJwk | undefined {
  return keys.find(canSign);
}

/**
 * The key material alone, for WebCrypto: the file's `key_ops` (["sign","verify"]) would become the usages
 * of the imported private key, and WebCrypto refuses "verify" on a private EC or RSA key.
 */
export function privateKeyMaterial(key: SigningJwk): Omit<SigningJwk, "key_ops" | "use" | "ext"> {
  const { key_ops: _ops, use: _use, ext: _ext, ...material } = key;
  return material;
}

/** The public JWK of a signing key, shaped as GoTrue's JWKS endpoint publishes it. */
export function publicJwk(key: SigningJwk): PublicJwk {
  const base = { kty: key.kty, kid: key.kid, alg: key.alg, use: "sig" as const, key_ops: ["verify"] };
  return key.kty === "EC" ? { ...base, crv: key.crv!, x: key.x!, y: key.y! } : { ...base, n: key.n!, e: key.e! };
}

/** The JSON Web Key Set of the public keys, in file order. */
export function publicJwks(keys: readonly SigningJwk[]): { keys: PublicJwk[] } {
  return { keys: keys.map(publicJwk) };
}
