// The environment a function sees: what the CLI's edge runtime injects, the project's secrets from
// a git-ignored .env, LiveKit's dev-mode credentials when nothing else names LiveKit, and PARLEY_LOCAL=1,
// the one sign a function may trust that it runs on this local stack (functions/_shared/livekit-config.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../../config.ts";
import { publicJwks, type SigningJwk } from "../../signing-keys.ts";
import type { Log } from "../types.ts";

/** `livekit-server --dev` credentials, used when neither a .env nor the shell sets any LIVEKIT_ variable. */
export const LIVEKIT_DEV_ENV = {
  LIVEKIT_URL: "ws://127.0.0.1:7880",
  LIVEKIT_API_KEY: "devkey",
  LIVEKIT_API_SECRET: "secret",
} as const;

/**
 * Parses a dotenv file the way godotenv (the CLI's parser) reads the common cases: `NAME=value`,
 * optional `export `, `#` comments, single quotes literal, double quotes with \n escapes,
 * unquoted values ending at ` #`.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    let value = m[2]!;
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines until its closing quote.
      let body = value.slice(1);
      while (!new RegExp(`(^|[^\\\\])${quote}\\s*(#.*)?$`).test(body) && i + 1 < lines.length)
        body += `\n${lines[++i]}`;
      const end = body.lastIndexOf(quote);
      value = end >= 0 ? body.slice(0, end) : body;
      if (quote === '"')
        value = value.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c);
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    out[name] = value;
  }
  return out;
}

/** Files read for secrets, later ones winning: `<workdir>/.env`, then `supabase/functions/.env` (the CLI's default). */
export function secretFiles(workdir: string): string[] {
  return [join(workdir, ".env"), join(workdir, "supabase", "functions", ".env")].filter((f) => existsSync(f));
}

/** Refused names already reported, so each is logged once rather than at every boot. */
const warned = new Set<string>();

/**
 * Reads the project's secrets as the CLI lists them: `[edge_runtime.secrets]` from config.toml, then the
 * .env files over them. Names starting with SUPABASE_ are skipped, as `supabase secrets` refuses them.
 */
export function readSecrets(
  workdir: string,
  configured: Record<string, string> = {},
  log?: Log,
): Record<string, string> {
  const sources: Array<[string, Record<string, string>]> = [["config.toml [edge_runtime.secrets]", configured]];
  for (const file of secretFiles(workdir)) sources.push([file, parseDotenv(readFileSync(file, "utf8"))]);
  const secrets: Record<string, string> = {};
  for (const [source, values] of sources) {
    for (const [name, value] of Object.entries(values)) {
      if (name.startsWith("SUPABASE_")) {
        if (!warned.has(`${source}:${name}`))
          log?.(`${source}: env name cannot start with SUPABASE_, skipping: ${name}`);
        warned.add(`${source}:${name}`);
        continue;
      }
      secrets[name] = value;
    }
  }
  return secrets;
}

/**
 * SUPABASE_JWKS as the CLI injects it (config.ResolveJWKS): with `[auth] signing_keys_path` the public keys
 * of the file and nothing else; without it the JWT secret as an `oct` key.
 */
function jwksOf(jwtSecret: string, signingKeys: readonly SigningJwk[]): string {
  if (signingKeys.length) return JSON.stringify(publicJwks(signingKeys));
  return JSON.stringify({ keys: [{ kty: "oct", k: Buffer.from(jwtSecret).toString("base64url") }] });
}

/**
 * Builds the function environment. `gatewayUrl` is where the function reaches the API (SUPABASE_URL);
 * `shell` is the stack's own environment, from which only LIVEKIT_* is taken (so `LIVEKIT_URL=… npm run dev` works).
 */
export function functionEnv(
  config: Pick<
    StackConfig,
    "workdir" | "anonKey" | "serviceRoleKey" | "publishableKey" | "secretKey" | "jwtSecret" | "dbUrl"
  > &
    Partial<Pick<StackConfig, "functionSecrets" | "signingKeys">>,
  gatewayUrl: string,
  shell: NodeJS.ProcessEnv = process.env,
  log?: Log,
): Record<string, string> {
  const secrets = readSecrets(config.workdir, config.functionSecrets, log);
  const livekitNames = Object.keys(LIVEKIT_DEV_ENV);
  const fromShell = Object.fromEntries(livekitNames.filter((n) => shell[n]).map((n) => [n, shell[n]!]));
  const namesLiveKit = livekitNames.some((n) => n in secrets || n in fromShell);
  return {
    ...(namesLiveKit ? {} : LIVEKIT_DEV_ENV),
    ...fromShell,
    ...secrets,
    SUPABASE_URL: gatewayUrl,
    SUPABASE_ANON_KEY: config.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: config.serviceRoleKey,
    SUPABASE_DB_URL: config.dbUrl,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: config.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: config.secretKey }),
    SUPABASE_JWKS: jwksOf(config.jwtSecret, config.signingKeys ?? []),
    // Tells Parley's functions they run on a local stack, the only place LiveKit's dev defaults apply
    // (functions/_shared/livekit-config.ts); a deployed or self-hosted runtime never sets it.
    PARLEY_LOCAL: "1",
  };
}
