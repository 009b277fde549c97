// The `verify_jwt` gate of the CLI's edge-runtime main worker: same checks, same 401 bodies.
import { decodeProtectedHeader } from "jose";
import { verifyJwt, type JwtKeys, type VerifyRules } from "../jwt.ts";

/** The runtime's verifyHybridJWT: HS256 with the secret, ES256 / RS256 with the project's JWKS. */
const RULES: VerifyRules = { hs: ["HS256"] };

const unauthorized = (msg: string): Response =>
  new Response(JSON.stringify({ msg }), { status: 401, headers: { "Content-Type": "application/json" } });

/**
 * Returns the 401 the edge runtime answers, or undefined when the request may pass.
 * As the runtime (verifyHybridJWT): OPTIONS is never checked; the header must be exactly `Bearer <token>`
 * (split on one space); HS256 tokens are verified with the JWT secret, ES256 / RS256 ones with the
 * project's JWKS (its `[auth] signing_keys_path` keys) — signature, `exp`, `nbf`. Without signing keys the
 * JWKS holds only the secret, so an asymmetric token fails, as any other algorithm does. Error texts are
 * the runtime's `Error.toString()`, e.g. `{"msg":"Error: Missing authorization header"}`.
 */
export async function refuseUnverified(req: Request, keys: JwtKeys): Promise<Response | undefined> {
  if (req.method === "OPTIONS") return undefined;
  const header = req.headers.get("authorization");
  if (!header) return unauthorized("Error: Missing authorization header");
  const [scheme, token] = header.split(" ");
  if (scheme !== "Bearer") return unauthorized("Error: Auth header is not 'Bearer {token}'");
  try {
    // jose throws TypeError("Invalid Token or Protected Header formatting") on a non-JWT, as in the runtime.
    decodeProtectedHeader(token as string);
  } catch (e) {
    return unauthorized(String(e));
  }
  // HS256, and ES256 / RS256 only when the project has signing keys: anything else is refused.
  const result = await verifyJwt(token as string, keys, RULES);
  return result.ok ? undefined : unauthorized("Invalid JWT");
}
