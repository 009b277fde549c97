// GoTrue's error responses: one error class, rendered in the body shape the caller's API version asks for.

/** An Auth API refusal with GoTrue's HTTP status, stable `error_code` and message. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Set only for `weak_password`: which rules the password broke (`length`, `characters`, `pwned`). */
    readonly weakPasswordReasons?: string[],
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export const badRequest = (code: string, message: string) => new AuthError(400, code, message);
export const unauthorized = (code: string, message: string) => new AuthError(401, code, message);
export const forbidden = (code: string, message: string) => new AuthError(403, code, message);
export const notFound = (code: string, message: string) => new AuthError(404, code, message);
export const unprocessable = (code: string, message: string) => new AuthError(422, code, message);
export const internal = (message: string) => new AuthError(500, "unexpected_failure", message);

/** `weak_password` is always 422 and carries the reasons (api/password.go). */
export const weakPassword = (message: string, reasons: string[]) =>
  new AuthError(422, "weak_password", message, reasons);

const API_VERSION_HEADER = "X-Supabase-Api-Version";
const API_VERSION_2024 = "2024-01-01";

/** True when the request's `X-Supabase-Api-Version` is a valid date on or after 2024-01-01 (apiversions.go). */
function wantsNewShape(header: string | null): boolean {
  if (!header || !/^\d{4}-\d{2}-\d{2}$/.test(header)) return false;
  const t = Date.parse(`${header}T00:00:00Z`);
  return Number.isFinite(t) && t >= Date.parse(`${API_VERSION_2024}T00:00:00Z`);
}

/**
 * Renders an error as GoTrue does (api/errors.go): `{code, message}` and the echoed version header for
 * API version 2024-01-01 (what auth-js sends), else the legacy `{code: <status>, error_code, msg}`.
 */
export function errorResponse(err: AuthError, apiVersionHeader: string | null, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/json" });
  const isNew = wantsNewShape(apiVersionHeader);
  if (isNew) headers.set(API_VERSION_HEADER, API_VERSION_2024);
  const code = err.code || (err.status === 500 ? "unexpected_failure" : "unknown");
  let body: Record<string, unknown>;
  if (isNew) {
    body = { code, message: err.message };
    if (err.weakPasswordReasons) body.weak_password = { reasons: err.weakPasswordReasons };
    else headers.set("x-sb-error-code", code);
  } else {
    body = { code: err.status, error_code: code, msg: err.message };
    if (err.status >= 500 && requestId) body.error_id = requestId;
    if (err.weakPasswordReasons) body.weak_password = { reasons: err.weakPasswordReasons };
    headers.set("x-sb-error-code", code);
  }
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** A JSON success response as GoTrue's sendJSON writes it. */
export function jsonResponse(status: number, body: unknown, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}
