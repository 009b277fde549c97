// Reads an upload (multipart or raw body) into a temp file, refusing a bad mime type or an oversize body
// before any byte is kept, and running the caller's permission check before the bytes are read.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ERRORS } from "./errors.ts";
import type { FileStore } from "./files.ts";
import { assertMimeAllowed, isEmptyFolderPlaceholder } from "./mime.ts";
import { boundaryOf, readMultipart } from "./multipart.ts";

/** A received upload, its bytes in a temp file not yet placed. */
export interface ReceivedFile {
  tmp: string;
  size: number;
  /** `"<md5 hex>"`, as Storage's file backend computes it. */
  eTag: string;
  mimeType: string;
  cacheControl: string;
  userMetadata?: Record<string, unknown>;
  lastModified: Date;
}

export interface UploadRules {
  objectName: string;
  /** Effective byte limit: min(global, bucket). */
  maxSize: number;
  allowedMimeTypes: readonly string[] | null;
  /**
   * Runs once the mime type is known and before any byte is read into the temp file: the RLS check of
   * Storage's canUpload, given what Storage gives it ({mimetype, contentLength} from the request).
   */
  beforeBytes(meta: {
    mimetype: string;
    contentLength?: number;
    userMetadata?: Record<string, unknown>;
  }): Promise<void>;
}

const MAX_USER_METADATA = 1024 * 1024;

function declaredLength(req: Request): number | undefined {
  const n = Number(req.headers.get("content-length"));
  return req.headers.has("content-length") && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** x-metadata: base64 of a JSON object; unparsable values are ignored as Storage does. */
function parseUserMetadataHeader(value: string | null): Record<string, unknown> | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(Buffer.from(value, "base64").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Writes chunks to a temp file, counting and hashing them, refusing past `max` bytes. */
class TempWriter {
  size = 0;
  private readonly hash = createHash("md5");
  // Small request chunks are gathered into ~1 MiB writes.
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private constructor(
    readonly path: string,
    private readonly handle: Awaited<ReturnType<typeof open>>,
    private readonly max: number,
  ) {}

  static async create(files: FileStore, max: number): Promise<TempWriter> {
    const path = await files.tempPath();
    return new TempWriter(path, await open(path, "wx"), max);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.length;
    if (this.size > this.max) throw ERRORS.entityTooLarge();
    this.hash.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data);
  }

  async close(): Promise<{ eTag: string; mtime: Date }> {
    await this.flush();
    await this.handle.close();
    const s = await this.handle.stat().catch(() => undefined);
    return { eTag: `"${this.hash.digest("hex")}"`, mtime: s?.mtime ?? new Date() };
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** Receives the request's file into a temp file. On any error nothing is left on disk. */
export async function receiveUpload(req: Request, files: FileStore, rules: UploadRules): Promise<ReceivedFile> {
  const contentType = req.headers.get("content-type") ?? "";
  const placeholder = isEmptyFolderPlaceholder(rules.objectName);
  // Storage restricts empty-folder placeholders to 0 bytes and skips the mime check for them.
  const max = placeholder ? 0 : rules.maxSize;
  const checkMime = (mime: string) => {
    if (!placeholder) assertMimeAllowed(mime, rules.allowedMimeTypes);
  };
  let writer: TempWriter | undefined;
  try {
    if (!req.body) throw ERRORS.noContentProvided();
    let mimeType: string;
    let cacheControl: string;
    let userMetadata: Record<string, unknown> | undefined;

    if (contentType.startsWith("multipart/form-data")) {
      const boundary = boundaryOf(contentType);
      if (!boundary) throw ERRORS.noContentProvided("Multipart: Boundary not found");
      const fields = new Map<string, string>();
      const state: { mime?: string; cache?: string; meta?: Record<string, unknown> } = {};
      const sawFile = await readMultipart(req.body, boundary, {
        field: (name, value) => void fields.set(name, value),
        file: async (part) => {
          state.mime = fields.get("contentType") || part.mimeType;
          const cacheTime = fields.get("cacheControl");
          state.cache = cacheTime ? `max-age=${cacheTime}` : "no-cache";
          checkMime(state.mime);
          const md = fields.get("metadata") ?? fields.get("userMetadata");
          if (md !== undefined) {
            if (Buffer.byteLength(md, "utf8") > MAX_USER_METADATA) throw ERRORS.entityTooLarge("user_metadata");
            try {
              state.meta = JSON.parse(md) as Record<string, unknown>;
            } catch {
              // ignored, as Storage does
            }
          }
          await rules.beforeBytes({
            mimetype: state.mime,
            contentLength: declaredLength(req),
            userMetadata: state.meta,
          });
          writer = await TempWriter.create(files, max);
          const w = writer;
          return (chunk) => w.write(chunk);
        },
      });
      if (!sawFile || !writer) throw ERRORS.noContentProvided();
      mimeType = state.mime!;
      cacheControl = state.cache!;
      userMetadata = state.meta;
    } else {
      mimeType = contentType || "application/octet-stream";
      cacheControl = req.headers.get("cache-control") ?? "no-cache";
      checkMime(mimeType);
      userMetadata = parseUserMetadataHeader(req.headers.get("x-metadata"));
      const declared = declaredLength(req);
      if (declared !== undefined && declared > max) throw ERRORS.entityTooLarge();
      await rules.beforeBytes({ mimetype: mimeType, contentLength: declared, userMetadata });
      writer = await TempWriter.create(files, max);
      const reader = req.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await writer.write(value);
        }
      } finally {
        reader.releaseLock();
      }
    }
    const { eTag, mtime } = await writer.close();
    return { tmp: writer.path, size: writer.size, eTag, mimeType, cacheControl, userMetadata, lastModified: mtime };
  } catch (err) {
    if (writer) {
      await writer.abort();
      await files.discard(writer.path);
    }
    await drain(req.body);
    throw err;
  }
}

const DRAIN_LIMIT = 256 * 1024 * 1024;

/**
 * Reads and discards what is left of a refused request body so the client gets the error response
 * instead of a reset connection; gives up (cancels) past DRAIN_LIMIT bytes.
 */
export async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.length;
      if (seen > DRAIN_LIMIT) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // the client went away
  } finally {
    reader.releaseLock();
  }
}
