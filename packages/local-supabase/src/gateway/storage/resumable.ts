// TUS 1.0.0 resumable uploads at /upload/resumable (creation, creation-with-upload, HEAD/PATCH, termination),
// as Storage serves them: Upload-Metadata names bucketName/objectName/contentType/cacheControl/metadata,
// each write is checked against the caller's RLS, and the finished file is committed like any upload.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { ERRORS, StorageError } from "./errors.ts";
import type { RequestContext } from "./http.ts";
import { assertMimeAllowed, assertValidKey } from "./mime.ts";
import { findBucket, tryUploadWrite } from "./queries.ts";
import { completeUpload, type StorageDeps } from "./service.ts";
import { verify } from "./signed-urls.ts";
import { drain } from "./upload.ts";

const TUS_VERSION = "1.0.0";
const EXTENSIONS = "creation,creation-with-upload,termination";
export const RESUMABLE_PATH = "/upload/resumable";

interface UploadState {
  bucketId: string;
  name: string;
  version: string;
  size: number;
  offset: number;
  owner?: string;
  upsert: boolean;
  contentType: string;
  cacheControl: string;
  userMetadata?: Record<string, unknown>;
  uploadMetadata: string;
}

/** A TUS reply: status, TUS headers, and a text body for errors (as tus-node-server sends them). */
function reply(status: number, headers: Record<string, string> = {}, body?: string): Response {
  const h = new Headers({ "tus-resumable": TUS_VERSION, ...headers });
  if (body !== undefined) h.set("content-type", "text/plain; charset=utf-8");
  return new Response(body ?? null, { status, headers: h });
}

/** Storage hands its errors to the TUS server as {status_code: statusCode, body: message}. */
function tusError(err: unknown): Response {
  if (err instanceof StorageError) return reply(err.status, {}, err.message);
  throw err;
}

/** Upload-Metadata: "key base64value,key2 base64value2". */
function parseMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(",")) {
    const [key, value] = pair.trim().split(" ");
    if (!key) continue;
    out[key] = value ? Buffer.from(value, "base64").toString("utf8") : "";
  }
  return out;
}

class ResumableStore {
  readonly dir: string;
  constructor(root: string) {
    // '#' cannot occur in a bucket id, so this folder never collides with a bucket's.
    this.dir = join(root, "#resumable");
  }
  statePath = (version: string) => join(this.dir, `${version}.json`);
  partPath = (version: string) => join(this.dir, `${version}.part`);

  async load(version: string): Promise<UploadState | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath(version), "utf8")) as UploadState;
    } catch {
      return undefined;
    }
  }
  async save(state: UploadState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.statePath(state.version), JSON.stringify(state));
  }
  async remove(version: string): Promise<void> {
    await rm(this.statePath(version), { force: true });
    await rm(this.partPath(version), { force: true });
  }
}

const stores = new WeakMap<StorageDeps, ResumableStore>();
const storeOf = (deps: StorageDeps): ResumableStore => {
  let s = stores.get(deps);
  if (!s) stores.set(deps, (s = new ResumableStore(deps.files.root)));
  return s;
};

const encodeId = (s: UploadState) => Buffer.from(`${s.bucketId}/${s.name}/${s.version}`, "utf8").toString("base64url");
function decodeId(id: string): { bucketId: string; name: string; version: string } | undefined {
  const parts = Buffer.from(id, "base64url").toString("utf8").split("/");
  if (parts.length < 3) return undefined;
  return { bucketId: parts[0]!, version: parts[parts.length - 1]!, name: parts.slice(1, -1).join("/") };
}

async function maxSizeFor(deps: StorageDeps, bucketId: string): Promise<{ max: number; allowed: string[] | null }> {
  const bucket = (await deps.db.superRead((q) => findBucket(q, bucketId)))!;
  const global = deps.config.storage.fileSizeLimit;
  return {
    max: typeof bucket.file_size_limit === "number" ? Math.min(bucket.file_size_limit, global) : global,
    allowed: bucket.allowed_mime_types,
  };
}

/** Storage's canUpload for a TUS request: as the caller, or as the superuser under a signed upload token. */
async function checkPermission(deps: StorageDeps, ctx: RequestContext, s: UploadState, signed: boolean): Promise<void> {
  const write = {
    bucketId: s.bucketId,
    name: s.name,
    owner: s.owner,
    version: "1",
    metadata: { mimetype: s.contentType, contentLength: s.size },
    userMetadata: s.userMetadata,
  };
  if (signed) await deps.db.testAsSuperUser((q) => tryUploadWrite(q, write, s.upsert));
  else await deps.db.testPermission(ctx.scope("storage.object.upload"), (q) => tryUploadWrite(q, write, s.upsert));
}

/** Signed TUS requests carry the signed upload token in `x-signature`; it names the one object they may write. */
async function signedGrant(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<{ owner?: string; upsert: boolean }> {
  const signature = ctx.header("x-signature");
  if (!signature) throw ERRORS.invalidSignature("Missing x-signature header");
  const payload = await verify(deps.config.jwtSecret, signature, bucketId, name, "upload");
  return { owner: typeof payload.owner === "string" ? payload.owner : undefined, upsert: payload.upsert === true };
}

/** Appends the request body to the part file from `state.offset`, never past `state.size`. */
async function append(deps: StorageDeps, ctx: RequestContext, state: UploadState): Promise<void> {
  const body = ctx.req.body;
  if (!body) return;
  const handle = await open(storeOf(deps).partPath(state.version), "a");
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (state.offset + value.length > state.size)
        throw new StorageError({ code: "TusError", status: 413, message: "Upload size exceeded" });
      await handle.write(value);
      state.offset += value.length;
    }
  } finally {
    reader.releaseLock();
    await handle.close();
    await storeOf(deps).save(state);
  }
}

async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `"${hash.digest("hex")}"`;
}

/** Commits a finished upload like any other (row upsert as superuser, then the bytes). */
async function finish(deps: StorageDeps, state: UploadState): Promise<void> {
  const store = storeOf(deps);
  const tmp = store.partPath(state.version);
  const s = await stat(tmp);
  await completeUpload(
    deps,
    { bucketId: state.bucketId, name: state.name, owner: state.owner },
    {
      tmp,
      size: s.size,
      eTag: await md5File(tmp),
      mimeType: state.contentType,
      cacheControl: state.cacheControl,
      userMetadata: state.userMetadata,
      lastModified: s.mtime,
    },
    undefined,
  );
  await store.remove(state.version);
}

/** OPTIONS (non-preflight): the server's TUS capabilities. */
function options(deps: StorageDeps): Response {
  return reply(204, {
    "tus-version": TUS_VERSION,
    "tus-extension": EXTENSIONS,
    "tus-max-size": String(deps.config.storage.fileSizeLimit),
  });
}

/** POST /upload/resumable[/sign]: creates an upload (and takes its first bytes when sent along). */
async function create(deps: StorageDeps, ctx: RequestContext, signed: boolean): Promise<Response> {
  const meta = parseMetadata(ctx.header("upload-metadata"));
  const lengthHeader = ctx.header("upload-length");
  if (lengthHeader === undefined) return reply(400, {}, "Upload-Length or Upload-Defer-Length header required");
  const size = Number(lengthHeader);
  if (!Number.isSafeInteger(size) || size < 0) return reply(400, {}, "Invalid Upload-Length header");
  const bucketId = meta.bucketName ?? "";
  const name = meta.objectName ?? "";
  if (!bucketId || !name) return reply(400, {}, "Metadata header is required");
  assertValidKey(name);
  const { max, allowed } = await maxSizeFor(deps, bucketId);
  if (size > max) return reply(413, {}, "Maximum size exceeded");
  const contentType = meta.contentType || "application/octet-stream";
  if (meta.contentType) assertMimeAllowed(meta.contentType, allowed);
  let userMetadata: Record<string, unknown> | undefined;
  try {
    userMetadata = meta.metadata ? (JSON.parse(meta.metadata) as Record<string, unknown>) : undefined;
  } catch {
    userMetadata = undefined;
  }
  const grant = signed
    ? await signedGrant(deps, ctx, bucketId, name)
    : { owner: ctx.caller.sub, upsert: ctx.header("x-upsert") === "true" };
  const state: UploadState = {
    bucketId,
    name,
    version: randomUUID(),
    size,
    offset: 0,
    owner: grant.owner,
    upsert: grant.upsert,
    contentType,
    cacheControl: /^-?\d+$/.test(meta.cacheControl ?? "") ? `max-age=${meta.cacheControl}` : "no-cache",
    userMetadata,
    uploadMetadata: ctx.header("upload-metadata") ?? "",
  };
  await checkPermission(deps, ctx, state, signed);
  await storeOf(deps).save(state);
  await writeFile(storeOf(deps).partPath(state.version), "");
  const location = `${new URL(ctx.req.url).origin}/storage/v1${RESUMABLE_PATH}${signed ? "/sign" : ""}/${encodeId(state)}`;
  const headers: Record<string, string> = { location };
  if (ctx.header("content-type") === "application/offset+octet-stream") {
    await deps.files.withLock([`tus:${state.version}`], () => append(deps, ctx, state));
    headers["upload-offset"] = String(state.offset);
    if (state.offset === state.size) await finish(deps, state);
  } else if (size === 0) {
    await finish(deps, state);
  }
  return reply(201, headers);
}

/** HEAD|PATCH|DELETE /upload/resumable[/sign]/<id> */
async function existing(deps: StorageDeps, ctx: RequestContext, id: string, signed: boolean): Promise<Response> {
  const ref = decodeId(id);
  if (ref && signed) await signedGrant(deps, ctx, ref.bucketId, ref.name);
  const state = ref ? await storeOf(deps).load(ref.version) : undefined;
  if (!ref || !state || state.bucketId !== ref.bucketId || state.name !== ref.name)
    return reply(404, {}, "The file for this url was not found");
  if (ctx.method === "HEAD") {
    return reply(200, {
      "upload-offset": String(state.offset),
      "upload-length": String(state.size),
      "upload-metadata": state.uploadMetadata,
      "cache-control": "no-store",
    });
  }
  if (ctx.method === "DELETE") {
    await storeOf(deps).remove(state.version);
    return reply(204);
  }
  // PATCH
  if (ctx.header("content-type") !== "application/offset+octet-stream") return reply(415, {}, "Unsupported Media Type");
  return deps.files.withLock([`tus:${state.version}`], async () => {
    const current = (await storeOf(deps).load(state.version)) ?? state;
    if (Number(ctx.header("upload-offset")) !== current.offset)
      return reply(409, {}, "Upload-Offset header does not match current offset");
    await checkPermission(deps, ctx, current, signed);
    await append(deps, ctx, current);
    if (current.offset === current.size) await finish(deps, current);
    return reply(204, { "upload-offset": String(current.offset) });
  });
}

/**
 * Entry for every method under /upload/resumable. `rest` is what follows it: "" or "<id>" (JWT required),
 * "sign" or "sign/<id>" (no JWT; the `x-signature` upload token decides, writes run as the superuser).
 */
export async function resumable(deps: StorageDeps, ctx: RequestContext, rest: string): Promise<Response> {
  try {
    if (ctx.method === "OPTIONS") return options(deps);
    const signed = rest === "sign" || rest.startsWith("sign/");
    const id = signed ? rest.slice("sign".length).replace(/^\//, "") : rest;
    if (id.includes("/")) return reply(404, {}, "Not found");
    if (signed) ctx.anonymous();
    else await ctx.authenticate();
    if (ctx.method === "POST" && !id) return await create(deps, ctx, signed);
    if (id && ["HEAD", "PATCH", "DELETE"].includes(ctx.method)) return await existing(deps, ctx, id, signed);
    return reply(405, {}, "Method not allowed");
  } catch (err) {
    await drain(ctx.req.body);
    return tusError(err);
  }
}
