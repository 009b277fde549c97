// Stack configuration: the defaults of `supabase start`, overridden by a project's supabase/config.toml.
import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { parse } from "smol-toml";
import { DEFAULT_SEED, type SeedConfig } from "./postgres/seed.ts";
import { readSigningKeys, type SigningJwk } from "./signing-keys.ts";

/** The Supabase CLI's default local JWT secret (`[auth] jwt_secret`). */
export const DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
/** The fixed new-format keys the CLI prints on every machine. */
export const DEFAULT_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const DEFAULT_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

export interface FunctionConfig {
  /** Whether the gateway requires a valid JWT before calling the function. Default true. */
  verifyJwt: boolean;
  /** Entry point, relative to the workdir. Default `supabase/functions/<name>/index.ts`. */
  entrypoint: string;
  /** `enabled = false` keeps the function from being served. Default true. */
  enabled: boolean;
  /** Import map or deno.json (`import_map`), relative to the workdir, when the config names one. */
  importMap?: string;
}

export interface StackConfig {
  /** Project folder holding `supabase/`. */
  workdir: string;
  /** Where the stack keeps its data (Postgres cluster, storage bytes). Git-ignored. */
  dataDir: string;
  host: string;
  apiPort: number;
  dbPort: number;
  /** Connection string of the database, as `postgres` (superuser locally). */
  dbUrl: string;
  /** True when DATABASE_URL points at a server the stack did not start. */
  externalDb: boolean;
  jwtSecret: string;
  /**
   * `[auth] signing_keys_path`, resolved against `supabase/` as the CLI does; undefined when not set.
   * With it, Auth signs access tokens with the first key allowed to sign and every service also accepts
   * tokens signed by any key of the file (HS256 tokens with `jwtSecret` stay valid: the legacy API keys).
   */
  signingKeysPath?: string;
  /** The keys of `signingKeysPath` (private JWKs); empty when it is not set. */
  signingKeys: SigningJwk[];
  /** JWT lifetime of access tokens GoTrue issues, seconds (`[auth] jwt_expiry`). */
  jwtExpiry: number;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  /** PostgREST exposed schemas (`[api] schemas`). */
  schemas: string[];
  /** PostgREST extra search path (`[api] extra_search_path`). */
  extraSearchPath: string[];
  /** PostgREST max rows (`[api] max_rows`). */
  maxRows: number;
  functions: Record<string, FunctionConfig>;
  /** `[edge_runtime.secrets]`, with `env(NAME)` values read from the environment (unset ones left out). */
  functionSecrets: Record<string, string>;
  /**
   * Storage settings read from `[storage]`: the global upload limit, and whether image transformations are on
   * (`[storage.image_transformation] enabled`; off when the section is absent, as the CLI starts no imgproxy then).
   */
  storage: { fileSizeLimit: number; imageTransformation: boolean };
  /** `[db.seed]`: whether and which seed files run on a fresh database. */
  seed: SeedConfig;
  /** Auth settings read from `[auth]`. */
  auth: { siteUrl: string; enableSignup: boolean; enableAnonymousSignIns: boolean; minimumPasswordLength: number };
}

/** `[db.seed]` with the CLI's defaults: enabled, `sql_paths = ["./seed.sql"]`. */
function seedConfig(seed: Toml): SeedConfig {
  const paths = Array.isArray(seed.sql_paths) ? seed.sql_paths.map(String) : DEFAULT_SEED.sqlPaths;
  return { enabled: seed.enabled !== false, sqlPaths: paths };
}

/** Signs a legacy API key exactly as the CLI does: HS256, payload {iss, role, exp}, no iat. */
export function legacyKey(secret: string, role: "anon" | "service_role"): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64url");
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify({ iss: "supabase-demo", role, exp: 1983812996 }));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/**
 * Parses a size as the CLI does for `[storage] file_size_limit` (docker/go-units RAMInBytes: a number
 * of bytes, or a number with a binary unit; "50MiB", "50MB" and "50m" all mean 50 × 1024²).
 */
export function parseSize(value: unknown, fallback: number): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "string") return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw new Error(`invalid size "${value}" (expected e.g. 50MiB)`);
  const power = "bkmgtp".indexOf((m[2] || "b").toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** power);
}

type Toml = Record<string, unknown>;
const section = (t: Toml, k: string): Toml => (t[k] && typeof t[k] === "object" ? (t[k] as Toml) : {});

export interface LoadOptions {
  workdir?: string;
  apiPort?: number;
  dbPort?: number;
  dataDir?: string;
}

/** Reads `<workdir>/supabase/config.toml` (if present) and the environment into a StackConfig. */
export function loadConfig(opts: LoadOptions = {}): StackConfig {
  const workdir = resolve(opts.workdir ?? process.cwd());
  const tomlPath = join(workdir, "supabase", "config.toml");
  const toml: Toml = existsSync(tomlPath) ? (parse(readFileSync(tomlPath, "utf8")) as Toml) : {};
  const api = section(toml, "api");
  const db = section(toml, "db");
  const auth = section(toml, "auth");
  const fnSection = section(toml, "functions");
  const functionSecrets: Record<string, string> = {};
  for (const [name, raw] of Object.entries(section(section(toml, "edge_runtime"), "secrets"))) {
    const ref = /^env\((\w+)\)$/.exec(String(raw));
    const value = ref ? process.env[ref[1]!] : String(raw);
    if (value !== undefined) functionSecrets[name] = value;
  }
  const storage = section(toml, "storage");

  const jwtSecret = (auth.jwt_secret as string | undefined) ?? process.env.JWT_SECRET ?? DEFAULT_JWT_SECRET;
  const keysPathSetting = auth.signing_keys_path ? String(auth.signing_keys_path) : undefined;
  const signingKeysPath =
    keysPathSetting && (isAbsolute(keysPathSetting) ? keysPathSetting : join(workdir, "supabase", keysPathSetting));
  const apiPort = opts.apiPort ?? Number(process.env.PARLEY_API_PORT ?? api.port ?? 54321);
  const dbPort = opts.dbPort ?? Number(process.env.PARLEY_DB_PORT ?? db.port ?? 54322);
  const externalDb = Boolean(process.env.DATABASE_URL);
  const dbUrl = process.env.DATABASE_URL ?? `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`;

  const functions: Record<string, FunctionConfig> = {};
  for (const [name, raw] of Object.entries(fnSection)) {
    const f = raw as Toml;
    functions[name] = {
      verifyJwt: f.verify_jwt !== false,
      entrypoint: f.entrypoint
        ? join("supabase", String(f.entrypoint))
        : join("supabase", "functions", name, "index.ts"),
      enabled: f.enabled !== false,
      ...(f.import_map ? { importMap: join("supabase", String(f.import_map)) } : {}),
    };
  }

  const schemas = (api.schemas as string[] | undefined) ?? ["public", "graphql_public"];
  return {
    workdir,
    dataDir: resolve(opts.dataDir ?? process.env.PARLEY_DATA_DIR ?? join(workdir, ".parley")),
    host: "127.0.0.1",
    apiPort,
    dbPort,
    dbUrl,
    externalDb,
    jwtSecret,
    ...(signingKeysPath ? { signingKeysPath } : {}),
    signingKeys: signingKeysPath ? readSigningKeys(signingKeysPath) : [],
    jwtExpiry: Number(auth.jwt_expiry ?? 3600),
    anonKey: (auth.anon_key as string | undefined) ?? legacyKey(jwtSecret, "anon"),
    serviceRoleKey: (auth.service_role_key as string | undefined) ?? legacyKey(jwtSecret, "service_role"),
    publishableKey: (auth.publishable_key as string | undefined) ?? DEFAULT_PUBLISHABLE_KEY,
    secretKey: (auth.secret_key as string | undefined) ?? DEFAULT_SECRET_KEY,
    schemas: schemas.includes("public") ? schemas : ["public", ...schemas],
    extraSearchPath: (api.extra_search_path as string[] | undefined) ?? ["public", "extensions"],
    maxRows: Number(api.max_rows ?? 1000),
    functions,
    functionSecrets,
    seed: seedConfig(section(db, "seed")),
    storage: {
      fileSizeLimit: parseSize(storage.file_size_limit, 50 * 1024 * 1024),
      imageTransformation: section(storage, "image_transformation").enabled === true,
    },
    auth: {
      siteUrl: String(auth.site_url ?? "http://127.0.0.1:3000"),
      enableSignup: auth.enable_signup !== false,
      enableAnonymousSignIns: auth.enable_anonymous_sign_ins === true,
      minimumPasswordLength: Number(auth.minimum_password_length ?? 6),
    },
  };
}
