// The SQL Storage runs against storage.buckets / storage.objects (src/storage/database/pg.ts), statement
// for statement, so that RLS policies see exactly what they would see behind the real server.
import pg from "pg";
import type { Query } from "./db.ts";
import { ERRORS } from "./errors.ts";
import { isUuid } from "./http.ts";

export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
}

export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  version: string | null;
  metadata: ObjectMetadata | null;
  user_metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
}

/** What Storage keeps in storage.objects.metadata for a stored file. */
export interface ObjectMetadata {
  eTag?: string;
  size?: number;
  mimetype?: string;
  cacheControl?: string;
  lastModified?: string;
  contentLength?: number;
  httpStatusCode?: number;
  [key: string]: unknown;
}

/** The columns an object write sets; undefined ones are left out, as Storage's buildInsert does. */
export interface ObjectWrite {
  bucketId: string;
  name: string;
  owner?: string;
  metadata?: Record<string, unknown>;
  userMetadata?: Record<string, unknown>;
  version?: string;
}

export async function findBucket(
  q: Query,
  id: string,
  opts: { mustExist?: boolean } = {},
): Promise<BucketRow | undefined> {
  const [row] = await q<BucketRow>(
    "select id, name, public, file_size_limit, allowed_mime_types from storage.buckets where id = $1 limit 1",
    [id],
  );
  if (!row && opts.mustExist !== false) throw ERRORS.noSuchBucket();
  return row;
}

export async function findObject(
  q: Query,
  bucketId: string,
  name: string,
  opts: { forUpdate?: boolean; mustExist?: boolean } = {},
): Promise<ObjectRow | undefined> {
  const [row] = await q<ObjectRow>(
    `select * from storage.objects where name = $1 and bucket_id = $2 limit 1${opts.forUpdate ? " for update" : ""}`,
    [name, bucketId],
  );
  if (!row && opts.mustExist !== false) throw ERRORS.noSuchKey();
  return row;
}

export async function findObjectNames(q: Query, bucketId: string, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await q<{ name: string }>(
    "select name from storage.objects where bucket_id = $1 and name = any($2::text[])",
    [bucketId, names],
  );
  return new Set(rows.map((r) => r.name));
}

function columnsOf(w: ObjectWrite): Array<[string, unknown, string]> {
  const cols: Array<[string, unknown, string]> = [
    ["name", w.name, ""],
    ["owner", isUuid(w.owner) ? w.owner : undefined, "::uuid"],
    ["owner_id", w.owner, ""],
    ["bucket_id", w.bucketId, ""],
    ["metadata", w.metadata === undefined ? undefined : JSON.stringify(w.metadata), "::jsonb"],
    ["user_metadata", w.userMetadata === undefined ? undefined : JSON.stringify(w.userMetadata), "::jsonb"],
    ["version", w.version, ""],
  ];
  return cols.filter(([, v]) => v !== undefined);
}

/** Storage's createObject: a plain insert (no RETURNING, so only INSERT policies apply). */
export async function insertObject(q: Query, w: ObjectWrite): Promise<void> {
  const cols = columnsOf(w);
  try {
    await q(
      `insert into storage.objects (${cols.map(([c]) => c).join(", ")}) values (${cols.map(([, , cast], i) => `$${i + 1}${cast}`).join(", ")})`,
      cols.map(([, v]) => v),
    );
  } catch (err) {
    if (err instanceof pg.DatabaseError && err.code === "23505") throw ERRORS.keyAlreadyExists();
    throw err;
  }
}

/** Storage's upsertObject: insert, or on (name, bucket_id) update metadata, user_metadata, version, owner. */
export async function upsertObject(q: Query, w: ObjectWrite): Promise<ObjectRow> {
  const cols = columnsOf(w);
  const updatable = new Set(["metadata", "user_metadata", "version", "owner", "owner_id"]);
  const sets = cols.filter(([c]) => updatable.has(c)).map(([c]) => `${c} = excluded.${c}`);
  const [row] = await q<ObjectRow>(
    `insert into storage.objects (${cols.map(([c]) => c).join(", ")}) values (${cols.map(([, , cast], i) => `$${i + 1}${cast}`).join(", ")})
     on conflict (name, bucket_id) ${sets.length ? `do update set ${sets.join(", ")}` : "do nothing"}
     returning *`,
    cols.map(([, v]) => v),
  );
  return row!;
}

/** Storage's canUpload: the write the upload will make, tried as the caller (the caller rolls it back). */
export async function tryUploadWrite(q: Query, w: ObjectWrite, upsert: boolean): Promise<void> {
  if (upsert) await upsertObject(q, w);
  else await insertObject(q, w);
}
