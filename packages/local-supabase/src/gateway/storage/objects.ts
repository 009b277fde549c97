// /object routes: upload, update, download (authenticated and public), info, list, remove, move, copy.
import { randomUUID } from "node:crypto";
import { ERRORS } from "./errors.ts";
import { isUuid, json, requireString, type RequestContext } from "./http.ts";
import { assertValidKey } from "./mime.ts";
import { findBucket, findObject, tryUploadWrite, upsertObject, type ObjectRow } from "./queries.ts";
import { serveObject, uploadFromRequest, type StorageDeps } from "./service.ts";

/** POST /object/:bucket/* (x-upsert) and PUT /object/:bucket/* (always upsert). */
export async function upload(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  await ctx.authenticate();
  const isPut = ctx.method === "PUT";
  const row = await uploadFromRequest(deps, ctx, {
    bucketId,
    name,
    upsert: isPut || ctx.header("x-upsert") === "true",
    owner: ctx.caller.sub,
    operation: isPut ? "storage.object.upload_update" : "storage.object.upload",
  });
  return json({ Id: row.id, Key: `${bucketId}/${name}` });
}

/**
 * Finds the object a read route serves, as Storage's getObject/getObjectInfo do: bucket as superuser; an
 * unauthenticated caller only reaches public buckets; public buckets (and public routes) skip RLS, private
 * ones read as the caller so SELECT policies decide.
 */
/** The object a read of `bucket/name` may see: public buckets without RLS, private ones as the caller. */
export async function objectForRead(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
  operation: string,
  publicRoute = false,
): Promise<ObjectRow> {
  const bucket = await deps.db.superRead((q) => findBucket(q, bucketId, { mustExist: false }));
  if (!bucket || (!ctx.authenticated && !bucket.public)) throw ERRORS.noSuchBucket();
  if (bucket.public || publicRoute) return (await deps.db.superRead((q) => findObject(q, bucketId, name)))!;
  return (await deps.db.asUser(ctx.scope(operation), (q) => findObject(q, bucketId, name)))!;
}

/** GET|HEAD /object/:bucket/* (a bad or missing JWT reads as anon) and /object/authenticated/:bucket/*. */
export async function download(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
  opts: { authenticatedRoute: boolean },
): Promise<Response> {
  await ctx.authenticate({ allowInvalid: !opts.authenticatedRoute });
  const operation = ctx.method === "HEAD" ? "object.head_authenticated_info" : "storage.object.get_authenticated";
  const row = await objectForRead(deps, ctx, bucketId, name, operation);
  return serveObject(deps, ctx, row, { download: ctx.query("download") });
}

/** GET|HEAD /object/public/:bucket/* — no JWT; the bucket must be public. */
export async function publicDownload(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  const row = await publicObject(deps, bucketId, name);
  return serveObject(deps, ctx, row, { download: ctx.query("download") });
}

/** An object of a public bucket, read without RLS (NoSuchBucket when the bucket is not public). */
export async function publicObject(deps: StorageDeps, bucketId: string, name: string): Promise<ObjectRow> {
  return deps.db.superRead(async (q) => {
    const bucket = await findBucket(q, bucketId, { mustExist: false });
    const obj = await findObject(q, bucketId, name, { mustExist: false });
    if (!bucket?.public) throw ERRORS.noSuchBucket();
    if (!obj) throw ERRORS.noSuchKey();
    return obj;
  });
}

/** GET /object/info/[authenticated/|public/]:bucket/* — the object's details as JSON. */
export async function info(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
  mode: "default" | "authenticated" | "public",
): Promise<Response> {
  if (mode === "public") ctx.anonymous();
  else await ctx.authenticate({ allowInvalid: mode === "default" });
  const row = await objectForRead(deps, ctx, bucketId, name, "object.get_authenticated_info", mode === "public");
  const stat = await deps.files.stat(row.bucket_id, row.name);
  const meta = row.metadata ?? {};
  if (!stat)
    return json(
      { error: "Not found", message: "The resource was not found", statusCode: "404", code: "NoSuchKey" },
      400,
    );
  const res = json({
    id: row.id,
    name: row.name,
    version: row.version,
    bucket_id: row.bucket_id,
    size: meta.size ?? null,
    content_type: meta.mimetype ?? null,
    cache_control: meta.cacheControl ?? null,
    etag: meta.eTag ?? null,
    metadata: row.user_metadata,
    last_modified: row.updated_at,
    created_at: row.created_at,
  });
  if (meta.eTag) res.headers.set("etag", meta.eTag);
  if (meta.cacheControl) res.headers.set("cache-control", meta.cacheControl);
  if (meta.lastModified) res.headers.set("last-modified", new Date(meta.lastModified).toUTCString());
  return res;
}

const LIST_SORT_COLUMNS = new Set(["name", "updated_at", "created_at", "last_accessed_at"]);

/** `text` as a LIKE pattern matching names that start with it. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, "\\$&")}%`;

/**
 * One level under a prefix, as storage.search() of Storage's tenant migrations 0050–0063 answers it:
 * names relative to the prefix; `prefix || search` matched case-insensitively as a name prefix; folders
 * (null id) and files interleaved by lower(name) when sorting by name, otherwise folders first. Run as
 * the caller, so SELECT policies on storage.objects decide what is seen. (The platform stand-in's
 * storage.search() differs from this, so the statement is issued directly.)
 */
function listSql(column: string, order: "asc" | "desc"): string {
  const sort =
    column === "name"
      ? `lower(e.name) collate "C" ${order}`
      : `e.is_folder desc, case when e.is_folder then e.name end ${order}, e.${column} ${order}, e.name`;
  return `with matched as (
      select o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata, substr(o.name, $3 + 1) as rest
      from storage.objects as o
      where o.bucket_id = $1 and o.name ilike $2
    ), entries as (
      select split_part(m.rest, '/', 1) as name, null::uuid as id, null::timestamptz as updated_at,
             null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata, true as is_folder
      from matched as m where position('/' in m.rest) > 0
      group by 1
      union all
      select m.rest, m.id, m.updated_at, m.created_at, m.last_accessed_at, m.metadata, false
      from matched as m where position('/' in m.rest) = 0 and m.rest <> ''
    )
    select e.name, e.id, e.updated_at, e.created_at, e.last_accessed_at, e.metadata
    from entries as e
    order by ${sort}
    limit $4 offset $5`;
}

/** POST /object/list/:bucket — storage.search() as the caller, so SELECT policies decide what is listed. */
export async function list(deps: StorageDeps, ctx: RequestContext, bucketId: string): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  let prefix = requireString(body, "prefix");
  const limit = body.limit ?? 100;
  const offset = body.offset ?? 0;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1)
    throw ERRORS.invalidRequest("body/limit must be >= 1");
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0)
    throw ERRORS.invalidRequest("body/offset must be >= 0");
  const sortBy = (body.sortBy ?? {}) as { column?: unknown; order?: unknown };
  const column = sortBy.column ?? "name";
  const order = typeof sortBy.order === "string" ? sortBy.order.toLowerCase() : "asc";
  if (typeof column !== "string" || !LIST_SORT_COLUMNS.has(column))
    throw ERRORS.invalidRequest("body/sortBy/column must be equal to one of the allowed values");
  if (order !== "asc" && order !== "desc")
    throw ERRORS.invalidRequest("body/sortBy/order must be equal to one of the allowed values");
  const search = typeof body.search === "string" ? body.search : "";
  // Storage treats the prefix as a folder.
  if (prefix.length > 0 && !prefix.endsWith("/")) prefix = `${prefix}/`;
  const rows = await deps.db.asUser(ctx.scope("storage.object.list"), (q) =>
    q(listSql(column, order), [bucketId, likePrefix(prefix + search), prefix.length, Math.min(limit, 1500), offset]),
  );
  return json(rows);
}

/** Deletes the bytes of rows a committed DELETE returned. */
async function removeFiles(deps: StorageDeps, rows: Array<{ bucket_id: string; name: string }>): Promise<void> {
  for (const r of rows) {
    await deps.files
      .withLock([`${r.bucket_id}/${r.name}`], () => deps.files.remove(r.bucket_id, r.name))
      .catch((err: unknown) => {
        deps.log(`remove ${r.bucket_id}/${r.name}: row deleted but the bytes were not: ${String(err)}`);
      });
  }
}

/** DELETE /object/:bucket {prefixes} — rows the caller may delete go, with their bytes; others are skipped. */
export async function removeMany(deps: StorageDeps, ctx: RequestContext, bucketId: string): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const prefixes = body.prefixes;
  if (!Array.isArray(prefixes) || prefixes.length === 0 || prefixes.some((p) => typeof p !== "string")) {
    throw ERRORS.invalidRequest("body/prefixes must NOT have fewer than 1 items");
  }
  if (prefixes.length > 1000)
    throw ERRORS.invalidRequest("Bulk object requests are limited to 1000 objects per request.");
  const rows = await deps.db.asUser(ctx.scope("storage.object.delete_many"), (q) =>
    q<ObjectRow>("delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning *", [
      bucketId,
      prefixes,
    ]),
  );
  await removeFiles(deps, rows);
  return json(rows);
}

/** DELETE /object/:bucket/* — one object; an existing row the caller may not delete is AccessDenied. */
export async function removeOne(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  await ctx.authenticate();
  assertValidKey(name);
  await deps.db.superRead((q) => findObject(q, bucketId, name));
  const rows = await deps.db.asUser(ctx.scope("storage.object.delete"), (q) =>
    q<ObjectRow>("delete from storage.objects where name = $1 and bucket_id = $2 returning *", [name, bucketId]),
  );
  if (rows.length === 0) throw ERRORS.accessDenied("Access denied");
  await removeFiles(deps, rows);
  return json({ message: "Successfully deleted" });
}

/** POST /object/move {bucketId, sourceKey, destinationKey, destinationBucket?} */
export async function move(deps: StorageDeps, ctx: RequestContext): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const bucketId = requireString(body, "bucketId");
  const sourceKey = requireString(body, "sourceKey");
  const destinationKey = requireString(body, "destinationKey");
  const destBucket =
    typeof body.destinationBucket === "string" && body.destinationBucket ? body.destinationBucket : bucketId;
  assertValidKey(destinationKey);
  const owner = ctx.caller.sub;
  const version = randomUUID();
  // The caller must see the source and be allowed to update it into its new name (USING and WITH CHECK).
  await deps.db.testPermission(ctx.scope("storage.object.move"), async (q) => {
    await findObject(q, bucketId, sourceKey);
    const updated = await q(
      `update storage.objects set name = $1, version = $2, bucket_id = $3, owner = $4, owner_id = $5
       where bucket_id = $6 and name = $7 returning *`,
      [destinationKey, version, destBucket, isUuid(owner) ? owner : null, owner ?? null, bucketId, sourceKey],
    );
    if (updated.length === 0) throw ERRORS.noSuchKey();
  });
  if (bucketId === destBucket && sourceKey === destinationKey) {
    const row = await deps.db.superRead((q) => findObject(q, bucketId, sourceKey));
    return json({ message: "Successfully moved", Id: row!.id, Key: row!.name });
  }
  const moved = await deps.files.withLock([`${bucketId}/${sourceKey}`, `${destBucket}/${destinationKey}`], async () => {
    await deps.files.assertPlaceable(destBucket, destinationKey);
    const row = await deps.db.asSuperUser(async (q) => {
      await findObject(q, bucketId, sourceKey, { forUpdate: true });
      const [r] = await q<ObjectRow>(
        `update storage.objects set name = $1, bucket_id = $2, version = $3, owner = $4, owner_id = $5
         where bucket_id = $6 and name = $7 returning *`,
        [destinationKey, destBucket, version, isUuid(owner) ? owner : null, owner ?? null, bucketId, sourceKey],
      );
      return r!;
    });
    await deps.files.move(bucketId, sourceKey, destBucket, destinationKey);
    return row;
  });
  return json({ message: "Successfully moved", Id: moved.id, Key: moved.name });
}

/** POST /object/copy {bucketId, sourceKey, destinationKey, destinationBucket?, copyMetadata?, metadata?} (+ x-upsert, x-metadata) */
export async function copy(deps: StorageDeps, ctx: RequestContext): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const bucketId = requireString(body, "bucketId");
  const sourceKey = requireString(body, "sourceKey");
  const destinationKey = requireString(body, "destinationKey");
  const destBucket =
    typeof body.destinationBucket === "string" && body.destinationBucket ? body.destinationBucket : bucketId;
  assertValidKey(destinationKey);
  const owner = ctx.caller.sub;
  const upsert = ctx.header("x-upsert") === "true";
  const copyMetadata = body.copyMetadata !== false;
  const scope = ctx.scope("storage.object.copy");
  const source = (await deps.db.asUser(scope, (q) => findObject(q, bucketId, sourceKey)))!;

  const metadata: Record<string, unknown> = { ...(source.metadata ?? {}) };
  if (!copyMetadata && body.metadata && typeof body.metadata === "object") {
    const m = body.metadata as { cacheControl?: unknown; mimetype?: unknown };
    if (m.cacheControl !== undefined) metadata.cacheControl = m.cacheControl;
    if (m.mimetype !== undefined) metadata.mimetype = m.mimetype;
  }
  let userMetadata = source.user_metadata ?? undefined;
  if (!copyMetadata) {
    const header = ctx.header("x-metadata");
    try {
      userMetadata = header
        ? (JSON.parse(Buffer.from(header, "base64").toString("utf8")) as Record<string, unknown>)
        : undefined;
    } catch {
      userMetadata = undefined;
    }
  }
  const write = { bucketId: destBucket, name: destinationKey, owner, metadata, userMetadata, version: "1" };
  await deps.db.testPermission(scope, (q) => tryUploadWrite(q, write, upsert));

  const tmp = await deps.files.copyToTemp(bucketId, sourceKey).catch(() => {
    throw ERRORS.noSuchKey();
  });
  try {
    const row = await deps.files.withLock([`${destBucket}/${destinationKey}`], async () => {
      await deps.files.assertPlaceable(destBucket, destinationKey);
      const r = await deps.db.asSuperUser(async (q) => {
        await findObject(q, destBucket, destinationKey, { forUpdate: true, mustExist: false });
        return await upsertObject(q, {
          ...write,
          version: randomUUID(),
          metadata: { ...metadata, lastModified: new Date().toISOString() },
        });
      });
      await deps.files.commit(tmp, destBucket, destinationKey);
      return r;
    });
    return json({ Id: row.id, Key: `${destBucket}/${destinationKey}`, ...row });
  } finally {
    await deps.files.discard(tmp);
  }
}
