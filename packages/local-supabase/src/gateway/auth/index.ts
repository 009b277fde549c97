// The local /auth/v1: a GoTrue-compatible Auth service for the official auth-js client.
import { randomUUID } from "node:crypto";
import { Routes, type Params } from "../router.ts";
import type { Service, ServiceContext } from "../types.ts";
import { AuthError, badRequest, errorResponse, jsonResponse, notFound } from "./errors.ts";
import { readJson } from "./request.ts";
import { authSettings } from "./settings.ts";
import { signup } from "./signup.ts";
import { passwordGrant, refreshTokenGrant } from "./token.ts";
import { getUser, logoutHandler, updateUser } from "./account.ts";
import { adminRoutes } from "./admin.ts";
import { health, settingsHandler } from "./info.ts";
import { currentSigningKey, publicJwks } from "../../signing-keys.ts";

/** GoTrue endpoints the local stack does not offer: answered 404 `feature_disabled` rather than chi's bare 404. */
const UNSUPPORTED =
  /^\/(otp|magiclink|verify|recover|resend|reauthenticate|factors|passkeys|authorize|callback|sso|invite|admin\/generate_link|admin\/sso|admin\/audit|admin\/oauth|admin\/users\/[^/]+\/(factors|passkeys)|user\/identities|\.well-known\/openid-configuration)(\/|$)/;

/**
 * Creates the /auth/v1 service the gateway mounts; settings come from the stack config and
 * `supabase/config.toml` ([auth], [auth.email]).
 *
 * @example
 * const auth = createAuthService({ config, db, log: logFor("auth") });
 * const res = await auth.fetch(new Request(`${url}/auth/v1/health`), "/health");
 */
export function createAuthService(ctx: ServiceContext): Service {
  const settings = authSettings(ctx.config);
  const { db, log } = ctx;
  const signer = currentSigningKey(settings.signingKeys);
  if (signer)
    log(
      `signing access tokens with ${signer.alg} key ${signer.kid} (${ctx.config.signingKeysPath}); HS256 tokens with the JWT secret stay valid`,
    );

  /** One route's work: the request, its URL and the path parameters. */
  type Handler = (req: Request, url: URL, params: Params) => Promise<Response> | Response;
  const token: Handler = async (req, url) => {
    const grant = url.searchParams.get("grant_type");
    if (grant === "password") return passwordGrant(req, await readJson(req, "PasswordGrantParams"), db, settings);
    if (grant === "refresh_token")
      return refreshTokenGrant(req, await readJson(req, "RefreshTokenGrantParams"), db, settings);
    if (grant === "pkce" || grant === "id_token" || grant === "web3")
      throw notFound("feature_disabled", `grant_type=${grant} is not supported by the local stack`);
    throw badRequest("invalid_credentials", "unsupported_grant_type");
  };
  // GoTrue's chi routes this stack serves; a known path with another method is chi's 405.
  const routes = new Routes<Handler>()
    .on("GET", "/health", () => health())
    .on("GET", "/settings", () => settingsHandler(settings))
    // GoTrue publishes the public half of each asymmetric key, never the HS256 secret: `{keys: []}` without signing keys.
    .on("GET", "/.well-known/jwks.json", () => jsonResponse(200, publicJwks(settings.signingKeys)))
    .on("POST", "/signup", async (req) => signup(req, await readJson(req, "SignupParams"), db, settings))
    .on("POST", "/token", token)
    .on("GET", "/user", (req) => getUser(req, db, settings))
    .on("PUT", "/user", (req) => updateUser(req, db, settings))
    .on("POST", "/logout", (req, url) => logoutHandler(req, url, db, settings));
  for (const r of adminRoutes(db, settings)) routes.on(r.method, r.path, r.handler);

  async function route(req: Request, path: string): Promise<Response> {
    const p = path.length > 1 ? path.replace(/\/+$/, "") : path;
    const hit = routes.match(req.method, p);
    if (hit) return hit.handler(req, new URL(req.url), hit.params);
    if (UNSUPPORTED.test(p))
      throw notFound("feature_disabled", `${p} is not supported by the local stack (see its docs/auth.md)`);
    if (routes.allowed(p).length) return new Response(null, { status: 405 });
    return new Response("404 page not found\n", {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }

  return {
    async fetch(req, path) {
      const grant = new URL(req.url).searchParams.get("grant_type");
      const what = `${req.method} ${path}${grant ? ` (${grant})` : ""}`;
      try {
        const res = await route(req, path);
        log(`${what} → ${res.status}`);
        return res;
      } catch (e) {
        const requestId = randomUUID();
        if (e instanceof AuthError) {
          const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
          log(`${what} → ${e.status} ${e.code}: ${e.message}${e.status >= 500 ? ` (${requestId})${cause}` : ""}`);
          return errorResponse(e, req.headers.get("x-supabase-api-version"), requestId);
        }
        log(`${what} → 500 (${requestId}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        const err = new AuthError(500, "unexpected_failure", "Internal Server Error");
        return errorResponse(err, req.headers.get("x-supabase-api-version"), requestId);
      }
    },
  };
}
