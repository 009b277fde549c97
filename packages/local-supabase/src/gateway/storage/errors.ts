// Storage's error catalogue and JSON shape: {statusCode, code, error, message}, HTTP 400 unless said otherwise.
import pg from "pg";

export interface StorageErrorOptions {
  /** Storage's ErrorCode (e.g. NoSuchKey). */
  code: string;
  /** The logical status, rendered as the string `statusCode` in the body. */
  status: number;
  message: string;
  /** Legacy `error` field; defaults to the code. */
  error?: string;
  /** The HTTP status actually sent; Storage sends 400 for every non-500 error unless told otherwise. */
  httpStatus?: number;
}

/** An error the Storage server renders to the client. */
export class StorageError extends Error {
  readonly code: string;
  readonly status: number;
  readonly error: string;
  readonly httpStatus: number;

  constructor(opts: StorageErrorOptions) {
    super(opts.message);
    this.name = "StorageError";
    this.code = opts.code;
    this.status = opts.status;
    this.error = opts.error ?? opts.code;
    this.httpStatus = opts.httpStatus ?? (opts.status === 500 ? 500 : 400);
  }

  /** The response Storage's error handler sends. */
  toResponse(): Response {
    const body = { statusCode: String(this.status), code: this.code, error: this.error, message: this.message };
    return new Response(JSON.stringify(body), {
      status: this.httpStatus,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
  }
}

const e = (opts: StorageErrorOptions) => new StorageError(opts);

/** Constructors mirroring supabase/storage `src/internal/errors/codes.ts` (messages verbatim). */
export const ERRORS = {
  noSuchBucket: () => e({ code: "NoSuchBucket", status: 404, error: "Bucket not found", message: "Bucket not found" }),
  noSuchKey: () => e({ code: "NoSuchKey", status: 404, error: "not_found", message: "Object not found" }),
  accessDenied: (message: string, httpStatus?: number) =>
    e({ code: "AccessDenied", status: 403, error: "Unauthorized", message: message || "Access denied", httpStatus }),
  resourceAlreadyExists: () =>
    e({ code: "ResourceAlreadyExists", status: 409, error: "Duplicate", message: "The resource already exists" }),
  keyAlreadyExists: () =>
    e({ code: "KeyAlreadyExists", status: 409, error: "Duplicate", message: "The resource already exists" }),
  bucketAlreadyExists: () =>
    e({ code: "BucketAlreadyExists", status: 409, error: "Duplicate", message: "The resource already exists" }),
  bucketNotEmpty: () =>
    e({ code: "ResourceNotEmpty", status: 409, message: "The bucket you tried to delete is not empty" }),
  entityTooLarge: (entity = "object") =>
    e({
      code: "EntityTooLarge",
      status: 413,
      error: "Payload too large",
      message: `The ${entity} exceeded the maximum allowed size`,
    }),
  invalidMimeType: (mime: string) =>
    e({
      code: "InvalidMimeType",
      status: 415,
      error: "invalid_mime_type",
      message: `mime type ${mime} is not supported`,
    }),
  invalidBucketName: () =>
    e({ code: "InvalidBucketName", status: 400, error: "Invalid Input", message: "Bucket name invalid" }),
  invalidKey: (key: string) => e({ code: "InvalidKey", status: 400, message: `Invalid key: ${key}` }),
  invalidJwt: (message: string) => e({ code: "InvalidJWT", status: 400, message: message || "Invalid JWT" }),
  invalidSignature: (message?: string) =>
    e({ code: "InvalidSignature", status: 400, message: message || "Invalid signature" }),
  expiredSignature: () => e({ code: "ExpiredToken", status: 400, message: "The provided token has expired." }),
  invalidRequest: (message: string) =>
    e({ code: "InvalidRequest", status: 400, message: message || "Invalid Request" }),
  invalidParameter: (name: string, message?: string) =>
    e({ code: "InvalidParameter", status: 400, message: message || `Invalid Parameter ${name}` }),
  missingParameter: (name: string) =>
    e({ code: "MissingParameter", status: 400, message: `Missing Required Parameter ${name}` }),
  invalidFileSizeLimit: () =>
    e({ code: "InvalidRequest", status: 400, message: "Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B" }),
  noContentProvided: (message?: string) =>
    e({ code: "InvalidRequest", status: 400, message: message || "No content provided" }),
  invalidRange: () =>
    e({ code: "InvalidRange", status: 400, error: "invalid_range", message: "invalid range provided" }),
  internal: (message?: string) =>
    e({ code: "InternalError", status: 500, error: "Internal", message: message || "Internal server error" }),
  /** Fastify's own 404 for a route Storage does not have. */
  routeNotFound: (method: string, url: string) =>
    e({
      code: "InvalidRequest",
      status: 404,
      error: "Not Found",
      message: `Route ${method}:${url} not found`,
      httpStatus: 404,
    }),
};

/** Maps a PostgreSQL error as Storage's DBError.fromDBError does; anything else becomes InternalError. */
export function fromDbError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof pg.DatabaseError) {
    switch (err.code) {
      case "42501":
        return ERRORS.accessDenied(
          err.message.includes("row-level security") ? "new row violates row-level security policy" : err.message,
        );
      case "23505":
        return ERRORS.resourceAlreadyExists();
      case "23503":
        return err.detail?.includes("is still referenced from table")
          ? e({
              code: "ResourceReferenced",
              status: 409,
              message: "The resource could not be updated or removed due to a foreign key constraint",
            })
          : e({ code: "InvalidRequest", status: 404, message: "The related resource does not exist" });
      case "57014":
        return e({
          code: "DatabaseTimeout",
          status: 544,
          message: "The connection to the database timed out",
          httpStatus: 544,
        });
      case "22P02":
        return ERRORS.invalidParameter("value", err.message || "Invalid value format or type conversion failed");
      default:
        return e({ code: "DatabaseError", status: 500, message: `database error, code: ${err.code}` });
    }
  }
  return ERRORS.internal();
}
