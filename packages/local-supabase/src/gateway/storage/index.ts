// The /storage/v1 service: routes Storage's REST API (bucket and object routes storage-js uses) to handlers.
import { Routes, type Params } from "../router.ts";
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

type Handler = (deps: StorageDeps, ctx: RequestContext, params: Params) => Promise<Response>;

/** `:bucket` and the object key after it (`*`), decoded. */
const bucketOf = (p: Params): string => decodeKey(p.bucket!);
const keyOf = (p: Params): string => decodeKey(p["*"]!);

/**
 * Storage's Fastify routes (the bucket and object routes storage-js uses), static segments before
 * `:bucket/*` so e.g. POST /object/sign/… is always "sign". HEAD is routed as GET.
 */
function storageRoutes(transforms: boolean): Routes<Handler> {
  const r = new Routes<Handler>()
    .on("*", `${RESUMABLE_PATH}/?`, (d, c) => resumable(d, c, ""))
    .on("*", `${RESUMABLE_PATH}/*`, (d, c, p) => resumable(d, c, p["*"]!.replace(/^\/+|\/+$/g, "")))
    .on("GET", "/bucket/?", (d, c) => buckets.listBuckets(d, c))
    .on("POST", "/bucket/?", (d, c) => buckets.createBucket(d, c))
    .on("POST", "/bucket/:bucket/empty/?", (d, c, p) => buckets.emptyBucket(d, c, bucketOf(p)))
    .on("GET", "/bucket/:bucket", (d, c, p) => buckets.getBucket(d, c, bucketOf(p)))
    .on("PUT", "/bucket/:bucket", (d, c, p) => buckets.updateBucket(d, c, bucketOf(p)))
    .on("DELETE", "/bucket/:bucket", (d, c, p) => buckets.deleteBucket(d, c, bucketOf(p)))
    .on("POST", "/object/move", (d, c) => objects.move(d, c))
    .on("POST", "/object/copy", (d, c) => objects.copy(d, c))
    .on("POST", "/object/list/:bucket", (d, c, p) => objects.list(d, c, bucketOf(p)))
    .on("POST", "/object/list-v2/:bucket", (d, c, p) => listV2(d, c, bucketOf(p)))
    .on("POST", "/object/upload/sign/:bucket/*", (d, c, p) => signed.createSignedUploadUrl(d, c, bucketOf(p), keyOf(p)))
    .on("PUT", "/object/upload/sign/:bucket/*", (d, c, p) => signed.uploadToSignedUrl(d, c, bucketOf(p), keyOf(p)))
    .on("POST", "/object/sign/:bucket/?", (d, c, p) => signed.createSignedUrls(d, c, bucketOf(p)))
    .on("POST", "/object/sign/:bucket/*", (d, c, p) => signed.createSignedUrl(d, c, bucketOf(p), keyOf(p)))
    .on("GET", "/object/sign/:bucket/*", (d, c, p) => signed.getSignedObject(d, c, bucketOf(p), keyOf(p)));
  // Image transformations: registered only when `[storage.image_transformation] enabled` (else Storage's 404).
  if (transforms)
    r.on("GET", "/render/image/authenticated/:bucket/*", (d, c, p) =>
      render.renderAuthenticated(d, c, bucketOf(p), keyOf(p)),
    )
      .on("GET", "/render/image/public/:bucket/*", (d, c, p) => render.renderPublic(d, c, bucketOf(p), keyOf(p)))
      .on("GET", "/render/image/sign/:bucket/*", (d, c, p) => render.renderSigned(d, c, bucketOf(p), keyOf(p)));
  return r
    .on("GET", "/object/public/:bucket/*", (d, c, p) => objects.publicDownload(d, c, bucketOf(p), keyOf(p)))
    .on("GET", "/object/authenticated/:bucket/*", (d, c, p) =>
      objects.download(d, c, bucketOf(p), keyOf(p), { authenticatedRoute: true }),
    )
    .on("GET", "/object/info/authenticated/:bucket/*", (d, c, p) =>
      objects.info(d, c, bucketOf(p), keyOf(p), "authenticated"),
    )
    .on("GET", "/object/info/public/:bucket/*", (d, c, p) => objects.info(d, c, bucketOf(p), keyOf(p), "public"))
    .on("GET", "/object/info/:bucket/*", (d, c, p) => objects.info(d, c, bucketOf(p), keyOf(p), "default"))
    .on("DELETE", "/object/:bucket/?", (d, c, p) => objects.removeMany(d, c, bucketOf(p)))
    .on(["POST", "PUT"], "/object/:bucket/*", (d, c, p) => objects.upload(d, c, bucketOf(p), keyOf(p)))
    .on("GET", "/object/:bucket/*", (d, c, p) =>
      objects.download(d, c, bucketOf(p), keyOf(p), { authenticatedRoute: false }),
    )
    .on("DELETE", "/object/:bucket/*", (d, c, p) => objects.removeOne(d, c, bucketOf(p), keyOf(p)));
}

export function createStorageService(ctx: ServiceContext): Service {
  const deps: StorageDeps = {
    db: new StorageDb(ctx.db),
    files: new FileStore(ctx.config.dataDir),
    config: ctx.config,
    log: ctx.log,
  };
  const routes = storageRoutes(deps.config.storage.imageTransformation);
  // Nothing can be uploading yet: temp files present now are leftovers of an interrupted run.
  const ready = deps.files
    .clearTemp()
    .catch((e: unknown) => ctx.log(`could not clear storage temp files: ${String(e)}`));
  return {
    async fetch(req, path) {
      await ready;
      const url = new URL(req.url);
      if (path === "/status" || path === "/health") return json({ message: "ok" });
      const method = req.method.toUpperCase();
      const hit = routes.match(method === "HEAD" ? "GET" : method, path);
      if (!hit) {
        await drain(req.body);
        return ERRORS.routeNotFound(req.method, `${path}${url.search}`).toResponse();
      }
      try {
        return await hit.handler(deps, new RequestContext(req, path, ctx.config), hit.params);
      } catch (err) {
        await drain(req.body);
        if (err instanceof StorageError) return err.toResponse();
        ctx.log(`${req.method} ${path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return ERRORS.internal().toResponse();
      }
    },
  };
}
