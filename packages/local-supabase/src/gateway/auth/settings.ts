// Auth settings: the `[auth]` keys GoTrue reads, with the `supabase init` defaults.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import type { StackConfig } from "../../config.ts";
import type { SigningJwk } from "../../signing-keys.ts";

/** What the Auth service needs to know; every field mirrors one GoTrue setting. */
export interface AuthSettings {
  /** JWT secret (HS256) shared with PostgREST, Storage and Realtime. */
  jwtSecret: string;
  /** `[auth] signing_keys_path` keys (GOTRUE_JWT_KEYS): the first allowed to sign signs access tokens; empty = HS256. */
  signingKeys: readonly SigningJwk[];
  /** Access-token lifetime in seconds (`[auth] jwt_expiry`, default 3600). */
  jwtExpiry: number;
  /** `iss` claim: `<api url>/auth/v1`, as the CLI sets GOTRUE_JWT_ISSUER. */
  issuer: string;
  /** `aud` of new users and tokens (GOTRUE_JWT_AUD). */
  aud: string;
  /** Role of new users (GOTRUE_JWT_DEFAULT_GROUP_NAME). */
  defaultRole: string;
  /** Roles allowed on /admin (GOTRUE_JWT_ADMIN_ROLES). */
  adminRoles: string[];
  /** `[auth] enable_signup` (default true). */
  enableSignup: boolean;
  /** `[auth] enable_anonymous_sign_ins` (default false). */
  enableAnonymousSignIns: boolean;
  /** `[auth.email] enable_signup` (default true): the email provider is on. */
  emailEnabled: boolean;
  /** Autoconfirm = `[auth.email] enable_confirmations` is false (the local default). */
  mailerAutoconfirm: boolean;
  /** `[auth] enable_refresh_token_rotation` (default true). */
  refreshTokenRotation: boolean;
  /** `[auth] refresh_token_reuse_interval` in seconds (default 10). */
  refreshTokenReuseInterval: number;
  /** `[auth] minimum_password_length` (default 6). */
  minimumPasswordLength: number;
  /** Character sets of `[auth] password_requirements`, each needing one member. */
  requiredCharacters: string[];
}

type Toml = Record<string, unknown>;
const section = (t: Toml, k: string): Toml => (t[k] && typeof t[k] === "object" ? (t[k] as Toml) : {});

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const SYMBOLS = "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~";

/** The CLI's mapping of `password_requirements` to GOTRUE_PASSWORD_REQUIRED_CHARACTERS. */
function requiredCharacters(req: unknown): string[] {
  switch (req) {
    case "letters_digits":
      return [LOWER + UPPER, DIGITS];
    case "lower_upper_letters_digits":
      return [LOWER, UPPER, DIGITS];
    case "lower_upper_letters_digits_symbols":
      return [LOWER, UPPER, DIGITS, SYMBOLS];
    default:
      return [];
  }
}

/** Builds the Auth settings from the stack config plus the `[auth]` keys the stack config does not carry. */
export function authSettings(config: StackConfig): AuthSettings {
  const tomlPath = join(config.workdir, "supabase", "config.toml");
  const toml: Toml = existsSync(tomlPath) ? (parse(readFileSync(tomlPath, "utf8")) as Toml) : {};
  const auth = section(toml, "auth");
  const email = section(auth, "email");
  return {
    jwtSecret: config.jwtSecret,
    signingKeys: config.signingKeys,
    jwtExpiry: config.jwtExpiry,
    issuer: `http://${config.host}:${config.apiPort}/auth/v1`,
    aud: "authenticated",
    defaultRole: "authenticated",
    adminRoles: ["service_role"],
    enableSignup: config.auth.enableSignup,
    enableAnonymousSignIns: config.auth.enableAnonymousSignIns,
    emailEnabled: email.enable_signup !== false && email.enabled !== false,
    mailerAutoconfirm: email.enable_confirmations !== true,
    refreshTokenRotation: auth.enable_refresh_token_rotation !== false,
    refreshTokenReuseInterval: Number(auth.refresh_token_reuse_interval ?? 10),
    minimumPasswordLength: config.auth.minimumPasswordLength,
    requiredCharacters: requiredCharacters(auth.password_requirements),
  };
}
