// The `verify_jwt` gate of the CLI's edge-runtime main worker: same checks, same 401 bodies.
import { decodeProtectedHeader } from "jose";
import { verifyJwt } from "../jwt.ts";

const unauthorized = (msg: string): Response =>
  new Response(JSON.stringify({ msg }), { status: 401, headers: { "Content-Type": "application/json" } });

/**
 * Returns the 401 the edge runtime answers, or undefined when the request may pass.
 * As the runtime: OPTIONS is never checked; the header must be exactly `Bearer <token>` (split on one
 * space); HS256 tokens are verified with the JWT secret (signature, `exp`, `nbf`); any other algorithm
 * fails here because the local stack has no asymmetric signing keys. Error texts are the runtime's
 * `Error.toString()`, e.g. `{"msg":"Error: Missing authorization header"}`.
 */
export async function refuseUnverified(req: Request, jwtSecret: string): Promise<Response | undefined> {
  if (req.method === "OPTIONS") return undefined;
  const header = req.headers.get("authorization");
  if (!header) return unauthorized("Error: Missing authorization header");
  const [scheme, token] = header.split(" ");
  if (scheme !== "Bearer") return unauthorized("Error: Auth header is not 'Bearer {token}'");
  let alg: string | undefined;
  try {
    // jose throws TypeError("Invalid Token or Protected Header formatting") on a non-JWT, as in the runtime.
    alg = decodeProtectedHeader(token as string).alg;
  } catch (e) {
    return unauthorized(String(e));
  }
  if (alg !== "HS256") return unauthorized("Invalid JWT");
  const result = await verifyJwt(token as string, jwtSecret);
  return result.ok ? undefined : unauthorized("Invalid JWT");
}
