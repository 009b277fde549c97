// POST /object/list-v2/:bucket (storage-js listV2): cursor-paged listing, flat or folded at '/', as
// Storage's ObjectStorage.listObjectsV2 over storage.search_v2 / its flat query — run as the caller.
import { ERRORS } from "./errors.ts";
import { json, type RequestContext } from "./http.ts";
import type { StorageDeps } from "./service.ts";

interface Cursor {
  startAfter: string;
  sortOrder?: string;
  sortColumn?: string;
  sortColumnAfter?: string;
}

// Storage's continuation token: base64 of "k:value" lines (l = start after, o = order, c = column, a = column value).
const PARTS: Record<string, keyof Cursor> = { l: "startAfter", o: "sortOrder", c: "sortColumn", a: "sortColumnAfter" };

function encodeCursor(c: Cursor): string {
  let out = "";
  for (const [k, field] of Object.entries(PARTS)) if (c[field]) out += `${k}:${c[field]}\n`;
  return Buffer.from(out.slice(0, -1)).toString("base64");
}

function decodeCursor(token: string): Cursor {
  const out: Cursor = { startAfter: "", sortOrder: "asc" };
  for (const part of Buffer.from(token, "base64").toString().split("\n")) {
    const m = /^(\S):(.*)/.exec(part);
    const field = m ? PARTS[m[1]!] : undefined;
    if (!m || !field) throw ERRORS.invalidParameter("continuation token");
    out[field] = m[2]!;
  }
  return out;
}

const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, "\\$&")}%`;

interface Row {
  name: string;
  id: string | null;
  updated_at: Date | null;
  created_at: Date | null;
  last_accessed_at: Date | null;
  metadata: unknown;
  key?: string;
}

export async function listV2(deps: StorageDeps, ctx: RequestContext, bucketId: string): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const prefix = typeof body.prefix === "string" ? body.prefix : "";
  const rawLimit = body.limit ?? 1000;
  if (typeof rawLimit !== "number" || !Number.isInteger(rawLimit) || rawLimit < 1)
    throw ERRORS.invalidRequest("body/limit must be >= 1");
  const limit = Math.min(rawLimit, 1000);
  const delimited = body.with_delimiter === true;
  const sortBy = (body.sortBy ?? {}) as { column?: unknown; order?: unknown };
  if (sortBy.column !== undefined && !["name", "updated_at", "created_at"].includes(String(sortBy.column))) {
    throw ERRORS.invalidRequest("body/sortBy/column must be equal to one of the allowed values");
  }
  const cursor = typeof body.cursor === "string" && body.cursor ? decodeCursor(body.cursor) : undefined;
  const order =
    (cursor?.sortOrder || (typeof sortBy.order === "string" ? sortBy.order : "asc")).toLowerCase() === "desc"
      ? "desc"
      : "asc";
  const requested = cursor?.sortColumn || (typeof sortBy.column === "string" ? sortBy.column : "name");
  const column = requested === "updated_at" || requested === "created_at" ? requested : "name";
  const op = order === "asc" ? ">" : "<";

  const values: unknown[] = [bucketId, likePrefix(prefix), prefix, delimited, limit + 1];
  let where = "";
  if (cursor?.startAfter) {
    values.push(cursor.startAfter);
    if (column !== "name" && cursor.sortColumnAfter !== undefined) {
      values.push(cursor.sortColumnAfter);
      where = `where row(date_trunc('milliseconds', e.${column}), e.name collate "C") ${op} row(coalesce(nullif($7, '')::timestamptz, 'epoch'::timestamptz), $6)`;
    } else {
      where = `where e.name collate "C" ${op} $6`;
    }
  }
  const orderBy =
    column === "name"
      ? `e.name collate "C" ${order}`
      : `coalesce(date_trunc('milliseconds', e.${column}), 'epoch'::timestamptz) ${order}, e.name collate "C" ${order}`;
  const levels = prefix ? prefix.split("/").length : 1;

  const rows = await deps.db.asUser(ctx.scope("storage.object.list_v2"), (q) =>
    q<Row>(
      `with raw as (
         select o.*, case when $4 and position('/' in substr(o.name, length($3) + 1)) > 0
                          then $3 || split_part(substr(o.name, length($3) + 1), '/', 1) || '/' end as common_prefix
         from storage.objects as o
         where o.bucket_id = $1 and o.name collate "C" like $2
       ), entries as (
         select r.common_prefix as name, null::uuid as id, min(r.created_at) as updated_at, min(r.created_at) as created_at,
                null::timestamptz as last_accessed_at, null::jsonb as metadata
         from raw as r where r.common_prefix is not null group by r.common_prefix
         union all
         select r.name, r.id, r.updated_at, r.created_at, r.last_accessed_at, r.metadata
         from raw as r where r.common_prefix is null
       )
       select e.* from entries as e ${where} order by ${orderBy} limit $5`,
      values,
    ),
  );

  const hasNext = rows.length > limit;
  const page = rows.slice(0, limit);
  const folders: Array<Record<string, unknown>> = [];
  const objects: Array<Record<string, unknown>> = [];
  // Storage's rows from storage.search_v2: `key` is the name's segment at the prefix's level; a folder is named without its
  // trailing '/' there (one is appended in the answer) and has timestamps only when sorted by one (MIN(created_at)).
  const keyOf = (name: string) => name.split("/")[levels - 1] ?? name;
  for (const r of page) {
    if (r.id === null) {
      const bare = r.name.replace(/\/$/, "");
      const at = column === "name" ? null : r.created_at;
      folders.push({
        key: keyOf(bare),
        name: `${bare}/`,
        id: null,
        updated_at: at,
        created_at: at,
        last_accessed_at: null,
        metadata: null,
      });
    } else objects.push(delimited ? { key: keyOf(r.name), ...r } : { ...r });
  }
  let nextCursor: string | undefined;
  let nextCursorKey: string | undefined;
  if (hasNext) {
    const last = page[page.length - 1]!;
    const after = column !== "name" ? last[column] : undefined;
    nextCursor = encodeCursor({
      startAfter: last.name,
      sortOrder: cursor?.sortOrder || (typeof sortBy.order === "string" ? sortBy.order : undefined),
      sortColumn: cursor?.sortColumn || (typeof sortBy.column === "string" ? sortBy.column : undefined),
      sortColumnAfter: after ? new Date(after).toISOString() : undefined,
    });
    nextCursorKey = last.id === null ? last.name.replace(/\/$/, "") : last.name;
  }
  return json({ hasNext, nextCursor, nextCursorKey, folders, objects });
}
