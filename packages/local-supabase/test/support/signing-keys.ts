// Asymmetric signing keys for test projects, made by the real `supabase gen signing-key` (the file format the
// CLI's `[auth] signing_keys_path` reads), and tokens signed with them as a project's Auth would sign them.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importJWK, SignJWT, type JWTPayload } from "jose";
import { SUPABASE_CLI } from "../../src/postgres/apply.ts";
import { privateKeyMaterial, type SigningJwk } from "../../src/signing-keys.ts";

export const SIGNING_KEYS_FILE = "signing_keys.json";

/** Adds `signing_keys_path = "./signing_keys.json"` to the `[auth]` section of a config.toml text (or adds the section). */
export function withSigningKeysPath(toml: string): string {
  const line = `signing_keys_path = "./${SIGNING_KEYS_FILE}"`;
  return /^\[auth\]\s*$/m.test(toml) ? toml.replace(/^\[auth\]\s*$/m, `[auth]\n${line}`) : `${toml}\n[auth]\n${line}\n`;
}

/**
 * Writes `<project>/supabase/signing_keys.json` with one key per algorithm, in order (the first signs), by
 * running `supabase gen signing-key --append` as a developer would; the project's config.toml must already
 * name the file. Returns the keys as written.
 */
export function generateSigningKeys(project: string, algorithms: Array<"ES256" | "RS256">): SigningJwk[] {
  const file = join(project, "supabase", SIGNING_KEYS_FILE);
  writeFileSync(file, "[]\n"); // --append reads the file first
  for (const algorithm of algorithms) {
    execFileSync(SUPABASE_CLI, ["gen", "signing-key", "--algorithm", algorithm, "--append", "--workdir", project], {
      stdio: "pipe",
    });
  }
  return JSON.parse(readFileSync(file, "utf8")) as SigningJwk[];
}

/** Signs claims with one of the project's keys, header {alg, kid, typ} as Auth signs access tokens. */
export async function signWithKey(key: SigningJwk, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
    .sign(await importJWK(privateKeyMaterial(key), key.alg));
}

/** A private key of the same kind that the project does not have, under a kid it does have: a forgery. */
export function impostorOf(key: SigningJwk): SigningJwk {
  const pair =
    key.kty === "EC"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...(pair.privateKey.export({ format: "jwk" }) as object), kid: key.kid, alg: key.alg } as SigningJwk;
}

/** A key unknown to the project, with its own kid. */
export function strangerOf(key: SigningJwk): SigningJwk {
  return { ...impostorOf(key), kid: randomUUID() };
}
