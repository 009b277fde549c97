// GET /render/image/{authenticated,public,sign}/:bucket/* — Storage's image transformation routes. Access is decided
// exactly as for the matching download route; the bytes are transformed by sharp (transform.ts) instead of imgproxy.
import type { RequestContext } from "./http.ts";
import { objectForRead, publicObject } from "./objects.ts";
import { findObject, type ObjectRow } from "./queries.ts";
import type { StorageDeps } from "./service.ts";
import { verify } from "./signed-urls.ts";
import {
  parseTransform,
  renderImage,
  transformFromString,
  transformSegments,
  type TransformOptions,
} from "./transform.ts";

/** The transformation options of the query string (Storage validates them before anything else). */
function queryTransform(ctx: RequestContext): TransformOptions {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of ctx.url.searchParams) raw[k] = v;
  return parseTransform(raw, "querystring");
}

/** GET /render/image/authenticated/:bucket/* — a valid JWT, and the same right to the object as a download. */
export async function renderAuthenticated(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  const options = queryTransform(ctx);
  await ctx.authenticate();
  const row = await objectForRead(deps, ctx, bucketId, name, "storage.render.image_authenticated");
  return render(deps, ctx, row, options, {});
}

/** GET /render/image/public/:bucket/* — no JWT; the bucket must be public. */
export async function renderPublic(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  const options = queryTransform(ctx);
  const row = await publicObject(deps, bucketId, name);
  return render(deps, ctx, row, options, {});
}

/** GET /render/image/sign/:bucket/*?token= — the token decides, and carries the transformations it was signed with. */
export async function renderSigned(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  const payload = await verify(deps.config.jwtSecret, ctx.query("token"), bucketId, name, "download");
  const row = (await deps.db.superRead((q) => findObject(q, bucketId, name)))!;
  const transformations = typeof payload.transformations === "string" ? payload.transformations : "";
  const expires = typeof payload.exp === "number" ? new Date(payload.exp * 1000) : undefined;
  return render(deps, ctx, row, transformFromString(transformations), { expires });
}

/** Storage's renderer headers: the rendered type and length, the source's ETag and caching, X-Transformations. */
async function render(
  deps: StorageDeps,
  ctx: RequestContext,
  row: ObjectRow,
  options: TransformOptions,
  opts: { expires?: Date },
): Promise<Response> {
  const stat = await deps.files.stat(row.bucket_id, row.name);
  if (!stat)
    return new Response(
      JSON.stringify({
        error: "Not found",
        message: "The resource was not found",
        statusCode: "404",
        code: "NoSuchKey",
      }),
      { status: 400, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } },
    );
  const rendered = await renderImage(
    deps.files.path(row.bucket_id, row.name),
    options,
    options.format === "origin" ? undefined : ctx.header("accept"),
  );
  const meta = row.metadata ?? {};
  const headers = new Headers({
    "accept-ranges": "bytes",
    "content-type": rendered.mimetype,
    "x-robots-tag": "none",
    "content-length": String(rendered.body.length),
  });
  if (meta.eTag) headers.set("etag", meta.eTag);
  headers.set("last-modified", (meta.lastModified ? new Date(meta.lastModified) : stat.mtime).toUTCString());
  if (opts.expires) headers.set("expires", opts.expires.toUTCString());
  else if (meta.cacheControl) headers.set("cache-control", meta.cacheControl);
  const segments = transformSegments(options);
  if (segments.length) headers.set("x-transformations", segments.join(","));
  const download = ctx.query("download");
  if (download !== undefined) {
    const enc = encodeURIComponent(download);
    headers.set(
      "content-disposition",
      download === "" ? "attachment;" : `attachment; filename=${enc}; filename*=UTF-8''${enc}`,
    );
  }
  if (ctx.method === "HEAD") return new Response(null, { status: 200, headers });
  return new Response(new Uint8Array(rendered.body), { status: 200, headers });
}
