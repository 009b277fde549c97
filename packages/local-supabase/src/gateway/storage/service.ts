// The two flows every object route shares: an upload (check, receive, commit row, place bytes) and
// serving an object's bytes with Storage's headers.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { StackConfig } from "../../config.ts";
import type { Log } from "../types.ts";
import type { Scope, StorageDb } from "./db.ts";
import { ERRORS } from "./errors.ts";
import type { FileStore } from "./files.ts";
import type { RequestContext } from "./http.ts";
import { assertValidKey } from "./mime.ts";
import { findBucket, findObject, tryUploadWrite, upsertObject, type ObjectRow } from "./queries.ts";
import { receiveUpload, type ReceivedFile } from "./upload.ts";

/** What the route modules are given. */
export interface StorageDeps {
  db: StorageDb;
  files: FileStore;
  config: StackConfig;
  log: Log;
}

export interface UploadOptions {
  bucketId: string;
  name: string;
  upsert: boolean;
  /** JWT sub of the uploader (or the owner carried by a signed upload token). */
  owner?: string;
  operation: string;
  /** Signed-upload route: no RLS, the token already authorised the write. */
  asSuperUser?: boolean;
}

/** Storage's uploadFromRequest + Uploader.upload: refuses before bytes are kept, places bytes after commit. */
export async function uploadFromRequest(
  deps: StorageDeps,
  ctx: RequestContext,
  opts: UploadOptions,
): Promise<ObjectRow> {
  const { db, files } = deps;
  const bucket = (await db.superRead((q) => findBucket(q, opts.bucketId)))!;
  const global = deps.config.storage.fileSizeLimit;
  const maxSize = typeof bucket.file_size_limit === "number" ? Math.min(bucket.file_size_limit, global) : global;
  const scope = opts.asSuperUser ? undefined : ctx.scope(opts.operation);

  const received = await receiveUpload(ctx.req, files, {
    objectName: opts.name,
    maxSize,
    allowedMimeTypes: bucket.allowed_mime_types,
    beforeBytes: async (meta) => {
      assertValidKey(opts.name);
      const write = {
        bucketId: opts.bucketId,
        name: opts.name,
        owner: opts.owner,
        version: "1",
        metadata: { mimetype: meta.mimetype, contentLength: meta.contentLength },
        userMetadata: meta.userMetadata,
      };
      if (scope) await db.testPermission(scope, (q) => tryUploadWrite(q, write, opts.upsert));
      else await db.testAsSuperUser((q) => tryUploadWrite(q, write, opts.upsert));
    },
  });

  return completeUpload(deps, opts, received, scope);
}

/**
 * Storage's completeUpload: under the key's lock, the superuser upserts the row with the file's full
 * metadata, commits, then the temp file is renamed into place. The temp file never outlives the call.
 */
export async function completeUpload(
  deps: StorageDeps,
  opts: Pick<UploadOptions, "bucketId" | "name" | "owner">,
  received: ReceivedFile,
  scope: Scope | undefined,
): Promise<ObjectRow> {
  const { db, files } = deps;
  try {
    return await files.withLock([`${opts.bucketId}/${opts.name}`], async () => {
      await files.assertPlaceable(opts.bucketId, opts.name);
      const row = await db.asSuperUser(async (q) => {
        await findObject(q, opts.bucketId, opts.name, { forUpdate: true, mustExist: false });
        return await upsertObject(q, {
          bucketId: opts.bucketId,
          name: opts.name,
          owner: opts.owner,
          version: randomUUID(),
          userMetadata: { ...received.userMetadata },
          metadata: {
            eTag: received.eTag,
            size: received.size,
            mimetype: received.mimeType,
            cacheControl: received.cacheControl,
            lastModified: received.lastModified.toISOString(),
            contentLength: received.size,
            httpStatusCode: 200,
          },
        });
      }, scope);
      try {
        await files.commit(received.tmp, opts.bucketId, opts.name);
      } catch (err) {
        deps.log(`upload of ${opts.bucketId}/${opts.name}: row committed but placing the bytes failed: ${String(err)}`);
        throw ERRORS.internal();
      }
      return row;
    });
  } finally {
    await files.discard(received.tmp);
  }
}

export interface ServeOptions {
  /** `download` query parameter: '' → attachment; a name → attachment with that filename. */
  download?: string;
  /** Signed URLs send Expires (the token's exp) instead of Cache-Control. */
  expires?: Date;
}

/** Storage's renderer for a missing asset (HTTP 400, statusCode "404"). */
function assetNotFound(): Response {
  const body = { error: "Not found", message: "The resource was not found", statusCode: "404", code: "NoSuchKey" };
  return new Response(JSON.stringify(body), {
    status: 400,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Parses a single `bytes=a-b` range against `size`; undefined = whole file. */
function parseRange(header: string | null, size: number): { start: number; end: number } | undefined | "invalid" {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "invalid";
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return "invalid";
  return { start, end };
}

/** Serves an object's bytes with Storage's headers (Content-Type, ETag, Last-Modified, Cache-Control, ranges, download). */
export async function serveObject(
  deps: StorageDeps,
  ctx: RequestContext,
  row: ObjectRow,
  opts: ServeOptions = {},
): Promise<Response> {
  const stat = await deps.files.stat(row.bucket_id, row.name);
  if (!stat) return assetNotFound();
  const meta = row.metadata ?? {};
  const headers = new Headers();
  const mime = meta.mimetype ?? "application/octet-stream";
  headers.set("content-type", mime.includes("text/html") ? "text/plain" : mime);
  headers.set("accept-ranges", "bytes");
  if (meta.eTag) headers.set("etag", meta.eTag);
  headers.set("x-robots-tag", "none");
  const lastModified = meta.lastModified ? new Date(meta.lastModified) : stat.mtime;
  if (!Number.isNaN(lastModified.getTime())) headers.set("last-modified", lastModified.toUTCString());
  if (opts.expires) headers.set("expires", opts.expires.toUTCString());
  else if (meta.cacheControl) headers.set("cache-control", meta.cacheControl);
  if (opts.download !== undefined) {
    const enc = encodeURIComponent(opts.download);
    headers.set(
      "content-disposition",
      opts.download === "" ? "attachment;" : `attachment; filename=${enc}; filename*=UTF-8''${enc}`,
    );
  }

  if (meta.eTag && ctx.header("if-none-match") === meta.eTag) return new Response(null, { status: 304, headers });

  const range = parseRange(ctx.req.headers.get("range"), stat.size);
  if (range === "invalid") {
    headers.set("content-range", `bytes */${stat.size}`);
    return new Response(null, { status: 416, headers });
  }
  const length = range ? range.end - range.start + 1 : stat.size;
  headers.set("content-length", String(length));
  if (range) headers.set("content-range", `bytes ${range.start}-${range.end}/${stat.size}`);
  const status = range ? 206 : 200;
  if (ctx.method === "HEAD" || length === 0) return new Response(null, { status, headers });
  const stream = deps.files.read(row.bucket_id, row.name, range);
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
}
