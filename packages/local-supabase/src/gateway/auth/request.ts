// Reading an Auth request: JSON bodies, client details, and the caller's JWT (api/auth.go, helpers.go).
import { isIP } from "node:net";
import { callerOf, type Caller } from "../caller.ts";
import { acceptedAlgorithms, verifyJwt, type VerifyFailure, type VerifyRules } from "../jwt.ts";
import { badRequest, forbidden, unauthorized } from "./errors.ts";
import type { Db } from "./db.ts";
import type { GrantParams } from "./sessions.ts";
import { sessionExists } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import { findUserById, type JsonMap, type UserRecord } from "./users.ts";

/** Reads the body as a JSON object; GoTrue answers 400 `bad_json` for anything else (an empty body included). */
export async function readJson(req: Request, what: string): Promise<JsonMap> {
  return parseJson(await req.text(), what);
}

/** Parses body text as GoTrue's retrieveRequestParams does (json.Unmarshal into a params struct). */
export function parseJson(text: string, what: string): JsonMap {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = text.trim() === "" ? "unexpected end of JSON input" : e instanceof Error ? e.message : String(e);
    throw badRequest("bad_json", `Could not parse request body as JSON: ${reason}`);
  }
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest(
      "bad_json",
      `Could not parse request body as JSON: json: cannot unmarshal ${Array.isArray(value) ? "array" : typeof value} into Go value of type api.${what}`,
    );
  }
  return value as JsonMap;
}

/** A string field of a body ("" when absent or null); another JSON type is GoTrue's unmarshal error. */
export function str(body: JsonMap, key: string, what: string): string {
  const v = body[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string")
    throw badRequest(
      "bad_json",
      `Could not parse request body as JSON: json: cannot unmarshal ${jsonType(v)} into Go struct field ${what}.${key} of type string`,
    );
  return v;
}

/** An object field of a body (undefined when absent or null). */
export function obj(body: JsonMap, key: string, what: string): JsonMap | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw badRequest(
      "bad_json",
      `Could not parse request body as JSON: json: cannot unmarshal ${jsonType(v)} into Go struct field ${what}.${key} of type map[string]interface {}`,
    );
  }
  return v as JsonMap;
}

/** A boolean field of a body (false when absent). */
export function bool(body: JsonMap, key: string, what: string): boolean {
  const v = body[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean")
    throw badRequest(
      "bad_json",
      `Could not parse request body as JSON: json: cannot unmarshal ${jsonType(v)} into Go struct field ${what}.${key} of type bool`,
    );
  return v;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return typeof v;
}

/** User agent and client IP, stored on new sessions. */
export function grantParams(req: Request): GrantParams {
  const forwarded = req.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return {
    userAgent: req.headers.get("user-agent") ?? undefined,
    ip: forwarded && isIP(forwarded) ? forwarded : undefined,
  };
}

// GoTrue's bearerRegexp.
const BEARER = /^(?:B|b)earer (\S+)$/;
/** GOTRUE_JWT_VALID_METHODS: HS256 with the secret (and RS256 / ES256 once the CLI passes signing keys). */
const RULES: VerifyRules = { hs: ["HS256"] };

/**
 * Verifies the bearer JWT (HS256 with the project secret, ES256 / RS256 with its signing keys) with GoTrue's
 * refusals: 401 `no_authorization`, 403 `bad_jwt`.
 */
export async function requireCaller(req: Request, settings: AuthSettings): Promise<Caller> {
  const m = BEARER.exec(req.headers.get("authorization") ?? "");
  if (!m?.[1]) throw unauthorized("no_authorization", "This endpoint requires a valid Bearer token");
  const result = await verifyJwt(m[1], settings, RULES);
  if (!result.ok) {
    const reason = goJwtReason(m[1], result.failure, settings);
    throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`);
  }
  // GoTrue reads `role` as it is: a token without one is no admin, and acts as no database role here.
  return callerOf(m[1], result.claims, "");
}

/** Words a verification failure as golang-jwt v5 does, so `bad_jwt` messages read like GoTrue's. */
function goJwtReason(token: string, failure: VerifyFailure, settings: AuthSettings): string {
  const { kind, message } = failure;
  if (kind === "expired") return "token has invalid claims: token is expired";
  const parts = token.split(".");
  if (parts.length !== 3) return "token is malformed: token contains an invalid number of segments";
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8")) as { alg?: unknown; kid?: unknown };
  } catch {
    return "token is malformed: could not JSON decode header";
  }
  const { alg, kid } = header;
  // GOTRUE_JWT_VALID_METHODS: HS256 alone, or HS256,RS256,ES256 once the CLI passes signing keys.
  const valid = acceptedAlgorithms(settings, RULES);
  if (typeof alg !== "string" || !valid.includes(alg))
    return `token signature is invalid: signing method ${String(alg)} is invalid`;
  if (alg !== "HS256") {
    // GoTrue's keyfunc finds the public key by kid (conf.FindPublicKeyByKid).
    if (typeof kid !== "string") return "token is unverifiable: error while executing keyfunc: missing kid";
    if (!settings.signingKeys.some((k) => k.kid === kid))
      return `token is unverifiable: error while executing keyfunc: invalid kid: ${kid}`;
    return `token signature is invalid: crypto/${alg === "ES256" ? "ecdsa" : "rsa"}: verification error`;
  }
  if (/signature/i.test(message)) return "token signature is invalid: signature is invalid";
  return `token is malformed: ${message}`;
}

/** A caller whose token names an existing user (and session): what GoTrue's user endpoints act for. */
export interface SignedIn {
  caller: Caller;
  user: UserRecord;
  /** The `session_id` claim, when the token has one that exists. */
  sessionId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL = "00000000-0000-0000-0000-000000000000";

/** Loads the user and session named by the token (maybeLoadUserOrSession), refusing as GoTrue does. */
export async function loadSignedIn(db: Db, caller: Caller): Promise<SignedIn> {
  const { claims } = caller;
  const sub = caller.sub ?? "";
  if (!sub) throw forbidden("bad_jwt", "invalid claim: missing sub claim");
  if (!UUID.test(sub)) throw badRequest("bad_jwt", "invalid claim: sub claim must be a UUID");
  const user = await findUserById(db, sub);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  const sid = typeof claims.session_id === "string" ? claims.session_id : "";
  let sessionId: string | undefined;
  if (sid && sid !== NIL) {
    if (!UUID.test(sid)) throw forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID");
    if (!(await sessionExists(db, sid)))
      throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
    sessionId = sid;
  }
  return { caller, user, ...(sessionId ? { sessionId } : {}) };
}

/** requireAuthentication: a valid user token whose user and session exist and who is not banned. */
export async function requireUser(req: Request, db: Db, settings: AuthSettings): Promise<SignedIn> {
  const signedIn = await loadSignedIn(db, await requireCaller(req, settings));
  if (signedIn.user.banned) throw forbidden("user_banned", "User is banned");
  return signedIn;
}

/** requireAdminCredentials: a valid token whose `role` is an admin role (locally `service_role`). */
export async function requireAdmin(req: Request, db: Db, settings: AuthSettings): Promise<Caller> {
  const caller = await requireCaller(req, settings);
  const sid = typeof caller.claims.session_id === "string" ? caller.claims.session_id : "";
  if (sid && sid !== NIL) await loadSignedIn(db, caller);
  if (!settings.adminRoles.includes(caller.role)) throw forbidden("not_admin", "User not allowed");
  return caller;
}
