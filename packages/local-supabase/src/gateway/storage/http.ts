// Per-request plumbing: the caller from the JWT (as Storage's jwt plugin), the SQL scope, JSON in and out.
import { anonymousCaller, callerOf, type Caller } from "../caller.ts";
import { HS_ALGORITHMS, verifyJwt, type JwtKeys, type VerifyRules } from "../jwt.ts";
import type { Scope } from "./db.ts";
import { ERRORS } from "./errors.ts";

const BEARER = /^Bearer\s+/i;
/** Storage's JWT_SECRET and JWT_JWKS: HS256/384/512 with the secret, ES256 / RS256 with the signing keys. */
const RULES: VerifyRules = { hs: HS_ALGORITHMS };

/** One request as the storage handlers see it. */
export class RequestContext {
  readonly url: URL;
  readonly method: string;
  private callerValue?: Caller;

  constructor(
    readonly req: Request,
    /** Path after /storage/v1, still percent-encoded. */
    readonly path: string,
    /** The project's JWT secret and signing keys (Storage's JWT_SECRET and JWT_JWKS). */
    private readonly keys: JwtKeys,
  ) {
    this.url = new URL(req.url);
    this.method = req.method.toUpperCase();
  }

  /**
   * Verifies the bearer token (HS256/384/512 with the stack's secret, ES256 / RS256 with the project's
   * signing keys when it has them). Without `allowInvalid`, a missing
   * or bad token is AccessDenied with the verifier's message (HTTP 400, statusCode "403"), as in Storage;
   * with it, the request continues as unauthenticated `anon`.
   */
  async authenticate(opts: { allowInvalid?: boolean } = {}): Promise<Caller> {
    const jwt = (this.req.headers.get("authorization") ?? "").replace(BEARER, "");
    if (!jwt && opts.allowInvalid) return this.anonymous();
    const verified = await verifyJwt(jwt, this.keys, RULES);
    if (verified.ok) return (this.callerValue = callerOf(jwt, verified.claims, "anon"));
    if (opts.allowInvalid) return this.anonymous();
    throw ERRORS.accessDenied(verified.failure.message || "Invalid JWT");
  }

  /** Public routes: no JWT plugin, the request is unauthenticated whatever it carries. */
  anonymous(): Caller {
    return (this.callerValue = anonymousCaller("anon"));
  }

  /** False when the route accepted a missing or invalid token (the caller is then `anon` without a token). */
  get authenticated(): boolean {
    return this.caller.token !== "";
  }

  /** The caller (authenticate first); routes without a JWT act as the superuser and never ask. */
  get caller(): Caller {
    if (!this.callerValue) throw new Error("storage: caller read before authenticate()");
    return this.callerValue;
  }

  /** Storage's enforceJwtRole: only these roles, HTTP 403. */
  requireRole(roles: string[]): void {
    if (!this.authenticated) throw ERRORS.accessDenied("Access denied: JWT is not authenticated", 403);
    if (!roles.includes(this.caller.role)) throw ERRORS.accessDenied("Access denied: Invalid role", 403);
  }

  /** The request.* GUCs and storage.operation for SQL run on behalf of this request. */
  scope(operation: string): Scope {
    const headers: Record<string, string> = {};
    this.req.headers.forEach((v, k) => {
      if (k !== "authorization" && k !== "apikey") headers[k] = v;
    });
    return { caller: this.caller, method: this.method, path: this.path, headers, operation };
  }

  /** The request body as JSON (an empty body is `{}`); invalid JSON is a 400. */
  async json<T extends Record<string, unknown>>(): Promise<Partial<T>> {
    const text = await this.req.text();
    if (!text.trim()) return {};
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Partial<T>;
    } catch {
      // fall through
    }
    throw ERRORS.invalidRequest("Body is not valid JSON but content-type is set to 'application/json'");
  }

  /** A query parameter, or undefined. */
  query(name: string): string | undefined {
    return this.url.searchParams.get(name) ?? undefined;
  }

  header(name: string): string | undefined {
    return this.req.headers.get(name) ?? undefined;
  }
}

/** A JSON response as Storage's Fastify replies send it. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } });
}

/** Decodes a percent-encoded path tail (object key); malformed escapes are an invalid key. */
export function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw ERRORS.invalidKey(raw);
  }
}

/** Storage's isUuid: owner (uuid column) is only set when sub looks like one. */
export const isUuid = (v: string | undefined): v is string =>
  !!v && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-5][0-9a-f]{3}-[089ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(v);

/** Fastify-schema-like checks: a required string field. */
export function requireString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== "string") throw ERRORS.invalidRequest(`body must have required property '${field}'`);
  return v;
}
