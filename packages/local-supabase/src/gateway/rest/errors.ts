// PostgREST's error bodies ({code, message, details, hint}) and its SQLSTATE → HTTP status mapping (v14 pgErrorStatus).

/** An error answered to the client exactly as PostgREST shapes it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { code: string; message: string; details: unknown; hint: string | null } {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

/** The fields node-postgres puts on a DatabaseError that matter here. */
export interface PgErrorLike {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

export function isPgError(e: unknown): e is PgErrorLike & Error {
  return (
    e instanceof Error &&
    typeof (e as PgErrorLike).code === "string" &&
    /^[0-9A-Z]{5}$/.test((e as PgErrorLike).code ?? "")
  );
}

/** HTTP status for a SQLSTATE, as PostgREST v14 maps it; `anon` decides 42501's 401 vs 403. */
export function statusForSqlState(code: string, message: string, anon: boolean): number {
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const cls = code.slice(0, 2);
  switch (code) {
    case "23503":
    case "23505":
      return 409;
    case "25006":
      return 405;
    case "21000":
      return message.endsWith("requires a WHERE clause") ? 400 : 500;
    case "22023":
      return /^role ".*" does not exist$/.test(message) ? 401 : 400;
    case "53400":
      return 500;
    case "57P01":
      return 503;
    case "P0001":
      return 400;
    case "42883":
      return message.startsWith("function xmlagg(") ? 406 : 404;
    case "42P01":
      return 404;
    case "42P17":
      return 500;
    case "42501":
      return anon ? 401 : 403;
  }
  switch (cls) {
    case "08":
      return 503;
    case "09":
      return 500;
    case "0L":
    case "0P":
    case "28":
      return 403;
    case "25":
    case "2D":
    case "38":
    case "39":
    case "3B":
    case "40":
    case "54":
    case "55":
    case "57":
    case "58":
    case "F0":
    case "HV":
    case "XX":
      return 500;
    case "53":
      return 503;
    case "P0":
      return 500;
  }
  return 400;
}

/** Converts a PostgreSQL error into PostgREST's response error (including `RAISE SQLSTATE 'PGRST'`). */
export function fromPgError(e: PgErrorLike, anon: boolean): ApiError {
  const code = e.code ?? "XX000";
  if (code === "PGRST") return fromRaisedPgrst(e);
  const status = statusForSqlState(code, e.message, anon);
  const headers: Record<string, string> = status === 401 ? { "www-authenticate": "Bearer" } : {};
  return new ApiError(status, code, e.message, e.detail ?? null, e.hint ?? null, headers);
}

/** `RAISE SQLSTATE 'PGRST' USING MESSAGE = '{json}', DETAIL = '{"status":…,"headers":{…}}'`. */
function fromRaisedPgrst(e: PgErrorLike): ApiError {
  try {
    const body = JSON.parse(e.message) as Record<string, unknown>;
    const detail = JSON.parse(e.detail ?? "") as { status?: unknown; headers?: unknown };
    if (typeof detail.status !== "number") throw new Error("status");
    const headers: Record<string, string> = {};
    if (detail.headers && typeof detail.headers === "object") {
      for (const [k, v] of Object.entries(detail.headers as Record<string, unknown>))
        headers[k.toLowerCase()] = String(v);
    }
    return new ApiError(
      detail.status,
      typeof body.code === "string" ? body.code : "",
      typeof body.message === "string" ? body.message : "",
      body.details ?? null,
      typeof body.hint === "string" ? body.hint : null,
      headers,
    );
  } catch {
    return new ApiError(
      500,
      "PGRST121",
      "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
      "Invalid JSON value for MESSAGE: '" + e.message + "'",
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    );
  }
}

/** Builds the HTTP response for an ApiError. */
export function errorResponse(err: ApiError, extra: Record<string, string> = {}): Response {
  const headers = new Headers({
    "content-type": "application/json; charset=utf-8",
    "proxy-status": `PostgREST; error=${err.code}`,
    ...extra,
  });
  for (const [k, v] of Object.entries(err.headers)) headers.set(k, v);
  return new Response(JSON.stringify(err.body()), { status: err.status, headers });
}

// Constructors for PostgREST's own errors, named by what they mean.
export const errors = {
  parse: (message: string, details: string | null = null) => new ApiError(400, "PGRST100", message, details),
  invalidBody: (message: string) => new ApiError(400, "PGRST102", message),
  range: (details: string | null) => new ApiError(416, "PGRST103", "Requested range not satisfiable", details),
  invalidSchema: (schema: string, exposed: string[]) =>
    new ApiError(
      406,
      "PGRST106",
      `Invalid schema: ${schema}`,
      null,
      `Only the following schemas are exposed: ${exposed.join(", ")}`,
    ),
  notAcceptable: (accept: string) =>
    new ApiError(406, "PGRST107", `None of these media types are available: ${accept}`),
  notEmbedded: (name: string) =>
    new ApiError(
      400,
      "PGRST108",
      `'${name}' is not an embedded resource in this request`,
      null,
      `Verify that '${name}' is included in the 'select' query parameter.`,
    ),
  singular: (n: number) =>
    new ApiError(406, "PGRST116", "Cannot coerce the result to a single JSON object", `The result contains ${n} rows`),
  unsupportedMethod: (method: string) => new ApiError(405, "PGRST117", `Unsupported HTTP method: ${method}`),
  rpcMethod: (method: string) => new ApiError(405, "PGRST101", `Cannot use the ${method} method on RPC`),
  orderRelation: (name: string) =>
    new ApiError(
      400,
      "PGRST118",
      `A related order on '${name}' is not possible`,
      `'${name}' is not a to-one relationship`,
    ),
  badEmbedOperator: (name: string) =>
    new ApiError(
      400,
      "PGRST120",
      `Bad operator on the '${name}' embedded resource`,
      "Only is null or not is null filters are allowed on embedded resources",
    ),
  strictPrefs: (invalid: string[]) =>
    new ApiError(
      400,
      "PGRST122",
      "Invalid preferences given with handling=strict",
      `Invalid preferences: ${invalid.join(", ")}`,
    ),
  aggregates: () => new ApiError(400, "PGRST123", "Use of aggregate functions is not allowed"),
  maxAffectedRpc: () =>
    new ApiError(
      400,
      "PGRST128",
      "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
    ),
  maxAffected: (n: number) =>
    new ApiError(
      400,
      "PGRST124",
      "Query result exceeds max-affected preference constraint",
      `The query affects ${n} rows`,
    ),
  invalidPath: () => new ApiError(404, "PGRST125", "Invalid path specified in request URL"),
  notImplemented: (what: string) => new ApiError(400, "PGRST127", "Feature not implemented", what),
  columnNotFound: (column: string, table: string) =>
    new ApiError(400, "PGRST204", `Could not find the '${column}' column of '${table}' in the schema cache`),
  tableNotFound: (qualified: string, suggestion: string | null) =>
    new ApiError(
      404,
      "PGRST205",
      `Could not find the table '${qualified}' in the schema cache`,
      null,
      suggestion ? `Perhaps you meant the table '${suggestion}'` : null,
    ),
  jwt: (message: string, code = "PGRST301") =>
    new ApiError(401, code, message, null, null, {
      "www-authenticate": `Bearer error="invalid_token", error_description="${message.replaceAll('"', "'")}"`,
    }),
  /** PostgreSQL's own wording for an unknown column, as PostgREST lets PostgreSQL report it. */
  undefinedColumn: (table: string, column: string) =>
    new ApiError(400, "42703", `column ${table}.${column} does not exist`),
};
