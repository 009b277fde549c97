// Bucket limits as Storage checks them: allowed mime types (with `type/*`), size strings, key and bucket names.
import { ERRORS } from "./errors.ts";

/** Refuses `mime` unless it matches one of `allowed` exactly by type/subtype or by `type/*` (Storage's validateMimeType). */
export function assertMimeAllowed(mime: string, allowed: readonly string[] | null | undefined): void {
  if (!allowed || allowed.length === 0) return;
  const [type, sub] = mime.split("/");
  if (type === undefined || sub === undefined) throw ERRORS.invalidMimeType(mime);
  for (const entry of allowed) {
    const [allowedType, allowedSub] = entry.split("/");
    if (allowedType === type && (allowedSub === "*" || allowedSub === sub)) return;
  }
  throw ERRORS.invalidMimeType(mime);
}

const MIME_ENTRY = /^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+)(;\s*charset=[a-zA-Z0-9-]+)?$|\*$/;

/** Validates a bucket's `allowed_mime_types` entries (each `type/sub`, `type/*`, optional charset). */
export function assertValidMimeList(list: readonly string[]): void {
  for (const entry of list) {
    if (entry.length > 1000 || !MIME_ENTRY.test(entry)) throw ERRORS.invalidMimeType(entry);
  }
}

/** Parses a bucket `file_size_limit` string with Storage's **decimal** units ('20mb' → 20000000). */
export function parseFileSize(value: string): number {
  const m = /(^[0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(value);
  if (!m) throw ERRORS.invalidFileSizeLimit();
  const n = Number(Number.parseFloat(m[1]!).toPrecision(3));
  const unit = m[2]!.toLowerCase();
  return unit === "gb" ? n * 1e9 : unit === "mb" ? n * 1e6 : unit === "kb" ? n * 1000 : n;
}

// S3-safe characters only, as Storage's isValidKey / isValidBucketName.
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;
const VALID_BUCKET_NAME = /^[A-Za-z0-9_!.*'() &$=@;:+,?-]*$/;

/** Refuses object keys Storage refuses (empty, or characters outside the S3-safe set). */
export function assertValidKey(key: string): void {
  if (!key || !VALID_OBJECT_KEY.test(key)) throw ERRORS.invalidKey(key);
  // Not a Storage rule: the bytes live in a directory tree, so path segments must not escape it.
  if (key.split("/").some((s) => s === "." || s === "..")) throw ERRORS.invalidKey(key);
}

/** Refuses bucket names Storage refuses (1–100 S3-safe characters, no surrounding spaces). */
export function assertValidBucketName(name: string | undefined): asserts name is string {
  if (!name || name.length > 100 || name.trim() !== name || !VALID_BUCKET_NAME.test(name))
    throw ERRORS.invalidBucketName();
  if (name === "." || name === "..") throw ERRORS.invalidBucketName();
}

/** Storage's empty-folder placeholder objects are always allowed (0 bytes, any type). */
export const isEmptyFolderPlaceholder = (name: string): boolean => name.endsWith(".emptyFolderPlaceholder");
