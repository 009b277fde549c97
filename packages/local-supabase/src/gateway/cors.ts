// CORS as the CLI's Kong answers it: preflights answered by the gateway, exposed headers on every response.
export const EXPOSED_HEADERS = [
  "Content-Range",
  "Content-Location",
  "Content-Type",
  "Location",
  "Range-Unit",
  "Preference-Applied",
  "X-Total-Count",
  "Link",
  "X-Supabase-Api-Version",
  "Content-Disposition",
  "ETag",
  "x-relay-error",
  "Content-Profile",
  // Storage's TUS resumable uploads: browsers' tus clients read these.
  "Upload-Offset",
  "Upload-Length",
  "Upload-Metadata",
  "Tus-Resumable",
  "Tus-Version",
  "Tus-Extension",
  "Tus-Max-Size",
].join(", ");

/** True for a CORS preflight (OPTIONS carrying Access-Control-Request-Method). */
export function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && req.headers.has("access-control-request-method");
}

export function preflightResponse(req: Request): Response {
  return new Response(null, {
    status: 200,
    headers: {
      "Access-Control-Allow-Origin": req.headers.get("origin") ?? "*",
      "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
      "Access-Control-Allow-Headers": req.headers.get("access-control-request-headers") ?? "*",
      "Access-Control-Allow-Credentials": "true",
      "Access-Control-Max-Age": "3600",
      "Content-Length": "0",
    },
  });
}

/** Adds the CORS headers of a normal response in place. */
export function withCors(req: Request, headers: Headers): void {
  if (!headers.has("access-control-allow-origin"))
    headers.set("Access-Control-Allow-Origin", req.headers.get("origin") ?? "*");
  if (!headers.has("access-control-expose-headers")) headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
}
