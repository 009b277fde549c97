// Who is calling: the one caller type every service acts as, and the key translation the gateway does once
// for every HTTP request and WebSocket upgrade (as the CLI's Kong does: `sb_` keys become the legacy role JWTs).
import type { IncomingMessage } from "node:http";
import type { StackConfig } from "../config.ts";
import type { Claims } from "./jwt.ts";

/** The caller of one request or channel, from its verified JWT (or none: the anonymous role). */
export interface Caller {
  /** The database role to act as: the JWT's `role` claim, or the service's anonymous role. */
  role: string;
  /** The JWT's `sub` when it is a string (the user, for a user's token; none for the API keys). */
  sub?: string;
  /** Every claim of the token, as policies read them (`request.jwt.claims`). */
  claims: Claims;
  /** The raw JWT, '' when the request carried none (or a service accepted a bad one as anonymous). */
  token: string;
}

/** The caller of a request without a (usable) token. */
export const anonymousCaller = (role: string): Caller => ({ role, claims: { role }, token: "" });

/** The caller a verified token names; `role` falls back to `anonRole` when the token has none. */
export function callerOf(token: string, claims: Claims, anonRole: string): Caller {
  const role = typeof claims.role === "string" && claims.role ? claims.role : anonRole;
  const sub = typeof claims.sub === "string" ? claims.sub : undefined;
  return { role, ...(sub !== undefined ? { sub } : {}), claims, token };
}

type ApiKeys = Pick<StackConfig, "secretKey" | "publishableKey" | "serviceRoleKey" | "anonKey">;

/** An API key as the JWT it stands for: the secret key is service_role's, the publishable key anon's. */
export function translateKey(key: string, config: ApiKeys): string {
  if (key === config.secretKey) return config.serviceRoleKey;
  if (key === config.publishableKey) return config.anonKey;
  return key;
}

/**
 * The upstream Authorization header from the request's `apikey` and `Authorization` (rules 1–5 of the CLI
 * gateway): an Authorization that is not an `sb_` key passes; else the apikey, translated (a legacy JWT passes
 * unprefixed, as Kong sends it). Undefined when no Authorization should be sent.
 */
export function upstreamAuthorization(
  apikey: string | null | undefined,
  authorization: string | null | undefined,
  config: ApiKeys,
): string | undefined {
  if (authorization && !/^Bearer sb_/i.test(authorization)) return authorization;
  if (!apikey) return undefined;
  const translated = translateKey(apikey, config);
  return translated === apikey ? apikey : `Bearer ${translated}`;
}

/**
 * The token of a WebSocket upgrade (Realtime's connect): the `x-api-key` header or the `apikey` query
 * parameter, translated; undefined when there is none.
 */
export function upgradeToken(req: IncomingMessage, config: ApiKeys): string | undefined {
  const header = req.headers["x-api-key"];
  const given =
    (Array.isArray(header) ? header[0] : header) ??
    new URL(req.url ?? "/", "http://localhost").searchParams.get("apikey") ??
    undefined;
  return given ? translateKey(given, config) : undefined;
}
