// The /storage/v1 service: routes Storage's REST API (bucket and object routes storage-js uses) to handlers.
import type { Service, ServiceContext } from "../types.ts";
import * as buckets from "./buckets.ts";
import { StorageDb } from "./db.ts";
import { ERRORS, StorageError } from "./errors.ts";
import { FileStore } from "./files.ts";
import { decodeKey, json, RequestContext } from "./http.ts";
import { listV2 } from "./list-v2.ts";
import * as objects from "./objects.ts";
import { RESUMABLE_PATH, resumable } from "./resumable.ts";
import type { StorageDeps } from "./service.ts";
import * as render from "./render.ts";
import * as signed from "./signed-urls.ts";
import { drain } from "./upload.ts";

type Handler = (deps: StorageDeps, ctx: RequestContext) => Promise<Response>;

/** Splits `rest` into a bucket and an (optional) object key: "b/a/c.png" → ["b", "a/c.png"]. */
function bucketAndKey(rest: string): [string, string] {
  const i = rest.indexOf("/");
  return i < 0 ? [decodeKey(rest), ""] : [decodeKey(rest.slice(0, i)), decodeKey(rest.slice(i + 1))];
}

/**
 * Matches a request to a handler as Storage's Fastify routes do (static segments before `:bucketName/*`,
 * so e.g. POST /object/sign/… is always "sign").
 */
function route(method: string, path: string, transforms: boolean): Handler | undefined {
  const m = method === "HEAD" ? "GET" : method;
  const after = (prefix: string): string | undefined =>
    path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
  let rest: string | undefined;

  if (path === RESUMABLE_PATH || path.startsWith(`${RESUMABLE_PATH}/`)) {
    const rest = path.slice(RESUMABLE_PATH.length).replace(/^\/+|\/+$/g, "");
    return (d, c) => resumable(d, c, rest);
  }
  if (path === "/bucket" || path === "/bucket/") {
    if (m === "GET") return (d, c) => buckets.listBuckets(d, c);
    if (m === "POST") return (d, c) => buckets.createBucket(d, c);
    return undefined;
  }
  if ((rest = after("/bucket/")) !== undefined && rest) {
    const empty = /^([^/]+)\/empty\/?$/.exec(rest);
    if (empty && m === "POST") return (d, c) => buckets.emptyBucket(d, c, decodeKey(empty[1]!));
    if (rest.includes("/")) return undefined;
    const id = decodeKey(rest);
    if (m === "GET") return (d, c) => buckets.getBucket(d, c, id);
    if (m === "PUT") return (d, c) => buckets.updateBucket(d, c, id);
    if (m === "DELETE") return (d, c) => buckets.deleteBucket(d, c, id);
    return undefined;
  }
  if (path === "/object/move" && m === "POST") return (d, c) => objects.move(d, c);
  if (path === "/object/copy" && m === "POST") return (d, c) => objects.copy(d, c);

  if ((rest = after("/object/list/")) !== undefined && m === "POST" && rest && !rest.includes("/")) {
    const id = decodeKey(rest);
    return (d, c) => objects.list(d, c, id);
  }
  if ((rest = after("/object/list-v2/")) !== undefined && m === "POST" && rest && !rest.includes("/")) {
    const id = decodeKey(rest);
    return (d, c) => listV2(d, c, id);
  }
  if ((rest = after("/object/upload/sign/")) !== undefined && rest.includes("/")) {
    const [b, k] = bucketAndKey(rest);
    if (m === "POST") return (d, c) => signed.createSignedUploadUrl(d, c, b, k);
    if (m === "PUT") return (d, c) => signed.uploadToSignedUrl(d, c, b, k);
  }
  if ((rest = after("/object/sign/")) !== undefined && rest) {
    const [b, k] = bucketAndKey(rest);
    if (m === "POST")
      return k ? (d, c) => signed.createSignedUrl(d, c, b, k) : (d, c) => signed.createSignedUrls(d, c, b);
    if (m === "GET" && k) return (d, c) => signed.getSignedObject(d, c, b, k);
  }
  // Image transformations: registered only when `[storage.image_transformation] enabled` (else Storage's 404).
  if (transforms && (rest = after("/render/image/")) !== undefined && m === "GET") {
    for (const [mode, handler] of [
      ["authenticated", render.renderAuthenticated],
      ["public", render.renderPublic],
      ["sign", render.renderSigned],
    ] as const) {
      if (rest.startsWith(`${mode}/`) && rest.slice(mode.length + 1).includes("/")) {
        const [b, k] = bucketAndKey(rest.slice(mode.length + 1));
        return (d, c) => handler(d, c, b, k);
      }
    }
  }
  if ((rest = after("/object/public/")) !== undefined && rest.includes("/") && m === "GET") {
    const [b, k] = bucketAndKey(rest);
    return (d, c) => objects.publicDownload(d, c, b, k);
  }
  if ((rest = after("/object/authenticated/")) !== undefined && rest.includes("/") && m === "GET") {
    const [b, k] = bucketAndKey(rest);
    return (d, c) => objects.download(d, c, b, k, { authenticatedRoute: true });
  }
  if ((rest = after("/object/info/")) !== undefined && rest.includes("/") && method === "GET") {
    for (const mode of ["authenticated", "public"] as const) {
      if (rest.startsWith(`${mode}/`) && rest.slice(mode.length + 1).includes("/")) {
        const [b, k] = bucketAndKey(rest.slice(mode.length + 1));
        return (d, c) => objects.info(d, c, b, k, mode);
      }
    }
    const [b, k] = bucketAndKey(rest);
    return (d, c) => objects.info(d, c, b, k, "default");
  }
  if ((rest = after("/object/")) !== undefined && rest) {
    const [b, k] = bucketAndKey(rest);
    if (!k) return m === "DELETE" ? (d, c) => objects.removeMany(d, c, b) : undefined;
    if (m === "POST" || m === "PUT") return (d, c) => objects.upload(d, c, b, k);
    if (m === "GET") return (d, c) => objects.download(d, c, b, k, { authenticatedRoute: false });
    if (m === "DELETE") return (d, c) => objects.removeOne(d, c, b, k);
  }
  return undefined;
}

export function createStorageService(ctx: ServiceContext): Service {
  const deps: StorageDeps = {
    db: new StorageDb(ctx.db),
    files: new FileStore(ctx.config.dataDir),
    config: ctx.config,
    log: ctx.log,
  };
  // Nothing can be uploading yet: temp files present now are leftovers of an interrupted run.
  const ready = deps.files
    .clearTemp()
    .catch((e: unknown) => ctx.log(`could not clear storage temp files: ${String(e)}`));
  return {
    async fetch(req, path) {
      await ready;
      const url = new URL(req.url);
      if (path === "/status" || path === "/health") return json({ message: "ok" });
      let handler: Handler | undefined;
      try {
        handler = route(req.method.toUpperCase(), path, deps.config.storage.imageTransformation);
      } catch (err) {
        if (err instanceof StorageError) return err.toResponse();
        throw err;
      }
      if (!handler) {
        await drain(req.body);
        return ERRORS.routeNotFound(req.method, `${path}${url.search}`).toResponse();
      }
      try {
        return await handler(deps, new RequestContext(req, path, ctx.config));
      } catch (err) {
        await drain(req.body);
        if (err instanceof StorageError) return err.toResponse();
        ctx.log(`${req.method} ${path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return ERRORS.internal().toResponse();
      }
    },
  };
}
