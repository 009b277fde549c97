// /bucket routes: create, get, list, update, empty, delete — SQL as the caller, so bucket policies decide.
import { ERRORS, StorageError } from "./errors.ts";
import { isUuid, json, requireString, type RequestContext } from "./http.ts";
import { assertValidBucketName, assertValidMimeList, parseFileSize } from "./mime.ts";
import { findBucket } from "./queries.ts";
import type { StorageDeps } from "./service.ts";

const GET_COLUMNS = "id, name, owner, public, created_at, updated_at, file_size_limit, allowed_mime_types";
const LIST_COLUMNS = "id, name, public, owner, created_at, updated_at, file_size_limit, allowed_mime_types, type";
const SORT_COLUMNS = new Set(["id", "name", "created_at", "updated_at"]);

/** Storage's parseMaxSizeLimit: bytes or '<n>(gb|mb|kb|b)', never above the global limit. */
function sizeLimit(deps: StorageDeps, value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") n = parseFileSize(value);
  else throw ERRORS.invalidRequest("body/file_size_limit must be integer,string,null");
  if (!Number.isFinite(n) || n < 0) throw ERRORS.invalidFileSizeLimit();
  if (n > deps.config.storage.fileSizeLimit) throw ERRORS.entityTooLarge();
  return Math.floor(n);
}

function mimeList(value: unknown): string[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
    throw ERRORS.invalidRequest("body/allowed_mime_types must be array");
  const list = (value as string[]).filter((m) => m);
  assertValidMimeList(list);
  return list;
}

/** GET /bucket */
export async function listBuckets(deps: StorageDeps, ctx: RequestContext): Promise<Response> {
  await ctx.authenticate();
  const values: unknown[] = [];
  const where: string[] = [];
  const search = ctx.query("search");
  if (search) {
    values.push(`%${search.replace(/[\\%_]/g, "\\$&")}%`);
    where.push(`name ilike $${values.length}`);
  }
  let order = "";
  const sortColumn = ctx.query("sortColumn");
  if (sortColumn) {
    if (!SORT_COLUMNS.has(sortColumn))
      throw ERRORS.invalidRequest("querystring/sortColumn must be equal to one of the allowed values");
    const dir = (ctx.query("sortOrder") ?? "asc").toLowerCase();
    if (dir !== "asc" && dir !== "desc")
      throw ERRORS.invalidRequest("querystring/sortOrder must be equal to one of the allowed values");
    order = ` order by ${sortColumn} ${dir}`;
  }
  let page = "";
  for (const [param, min] of [
    ["limit", 1],
    ["offset", 0],
  ] as const) {
    const raw = ctx.query(param);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw ERRORS.invalidRequest(`querystring/${param} must be >= ${min}`);
    values.push(n);
    page += ` ${param} $${values.length}`;
  }
  const rows = await deps.db.asUser(ctx.scope("storage.bucket.list"), (q) =>
    q(
      `select ${LIST_COLUMNS} from storage.buckets${where.length ? ` where ${where.join(" and ")}` : ""}${order}${page}`,
      values,
    ),
  );
  return json(rows);
}

/** GET /bucket/:id */
export async function getBucket(deps: StorageDeps, ctx: RequestContext, id: string): Promise<Response> {
  await ctx.authenticate();
  const [row] = await deps.db.asUser(ctx.scope("storage.bucket.get"), (q) =>
    q(`select ${GET_COLUMNS} from storage.buckets where id = $1 limit 1`, [id]),
  );
  if (!row) throw ERRORS.noSuchBucket();
  return json(row);
}

/** POST /bucket */
export async function createBucket(deps: StorageDeps, ctx: RequestContext): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const name = requireString(body, "name");
  const id = typeof body.id === "string" && body.id ? body.id : name;
  assertValidBucketName(name);
  assertValidBucketName(id);
  if (body.type !== undefined && body.type !== "STANDARD") {
    throw new StorageError({
      code: "FeatureNotEnabled",
      status: 409,
      message: "The feature iceberg_catalog is not enabled for this resource",
    });
  }
  if (body.public !== undefined && typeof body.public !== "boolean")
    throw ERRORS.invalidRequest("body/public must be boolean");
  const limit = sizeLimit(deps, body.file_size_limit);
  const mimes = mimeList(body.allowed_mime_types);
  const owner = ctx.caller.sub;
  try {
    await deps.db.asUser(ctx.scope("storage.bucket.create"), (q) =>
      q(
        `insert into storage.buckets (id, name, owner, owner_id, public, allowed_mime_types, file_size_limit)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [id, name, isUuid(owner) ? owner : null, owner ?? null, body.public ?? false, mimes ?? null, limit ?? null],
      ),
    );
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ResourceAlreadyExists")
      throw ERRORS.bucketAlreadyExists();
    throw err;
  }
  return json({ name });
}

/** PUT /bucket/:id */
export async function updateBucket(deps: StorageDeps, ctx: RequestContext, id: string): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  assertValidBucketName(id);
  if (body.public !== undefined && typeof body.public !== "boolean")
    throw ERRORS.invalidRequest("body/public must be boolean");
  const fields: Array<[string, unknown]> = [
    ["public", body.public],
    ["file_size_limit", sizeLimit(deps, body.file_size_limit)],
    ["allowed_mime_types", mimeList(body.allowed_mime_types)],
  ];
  const set = fields.filter(([, v]) => v !== undefined);
  if (set.length === 0) throw ERRORS.noContentProvided();
  const rows = await deps.db.asUser(ctx.scope("storage.bucket.update"), (q) =>
    q(
      `update storage.buckets set ${set.map(([c], i) => `${c} = $${i + 1}`).join(", ")} where id = $${set.length + 1} returning id`,
      [...set.map(([, v]) => v), id],
    ),
  );
  if (rows.length === 0) throw ERRORS.noSuchBucket();
  return json({ message: "Successfully updated" });
}

/** DELETE /bucket/:id — only an empty bucket. */
export async function deleteBucket(deps: StorageDeps, ctx: RequestContext, id: string): Promise<Response> {
  await ctx.authenticate();
  await deps.db.superRead(async (q) => {
    await findBucket(q, id);
    const [row] = await q("select 1 from storage.objects where bucket_id = $1 limit 1", [id]);
    if (row) throw ERRORS.bucketNotEmpty();
  });
  const deleted = await deps.db.asUser(ctx.scope("storage.bucket.delete"), (q) =>
    q("delete from storage.buckets where id = any($1::text[]) returning id", [[id]]),
  );
  if (deleted.length === 0) throw ERRORS.noSuchBucket();
  await deps.files.removeBucket(id);
  return json({ message: "Successfully deleted" });
}

/** POST /bucket/:id/empty — service_role only; Storage queues the deletion, the local stack does it now. */
export async function emptyBucket(deps: StorageDeps, ctx: RequestContext, id: string): Promise<Response> {
  await ctx.authenticate();
  ctx.requireRole(["service_role"]);
  const scope = ctx.scope("storage.bucket.empty");
  await deps.db.asUser(scope, async (q) => {
    const [row] = await q("select name from storage.buckets where id = $1 limit 1", [id]);
    if (!row) throw ERRORS.noSuchBucket();
  });
  const names = await deps.db.asUser(scope, (q) =>
    q<{ name: string }>("delete from storage.objects where bucket_id = $1 returning name", [id]),
  );
  for (const { name } of names) await deps.files.withLock([`${id}/${name}`], () => deps.files.remove(id, name));
  return json({ message: "Empty bucket has been queued. Completion may take up to an hour." });
}
