// Object bytes on disk: <dataDir>/storage/<bucket>/<name>, written to a temp file and renamed into place
// only after the row committed, with a per-key lock so a commit and its rename are never interleaved.
import { randomUUID } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { copyFile, mkdir, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { StorageError } from "./errors.ts";

export class FileStore {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.root = join(dataDir, "storage");
    // Inside root so a rename never crosses file systems.
    // '#' cannot occur in a bucket id, so this folder never collides with a bucket's.
    this.tmpDir = join(this.root, "#tmp");
  }

  /** Where the bytes of `bucket/name` live. Throws if the name would leave the bucket's folder. */
  path(bucket: string, name: string): string {
    if (!bucket || bucket === "." || bucket === ".." || /[/\\]/.test(bucket))
      throw new Error(`bucket id cannot be a folder name: ${bucket}`);
    const bucketDir = join(this.root, bucket);
    const p = join(bucketDir, ...name.split("/"));
    const rel = relative(bucketDir, p);
    if (!rel || rel.startsWith("..") || rel.split(sep).includes(".."))
      throw new Error(`object name escapes its bucket: ${name}`);
    return p;
  }

  /** Deletes temp files a previous run left behind (a crash mid-upload); called once at start. */
  async clearTemp(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  /** A fresh temp file path (not created). */
  async tempPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return join(this.tmpDir, randomUUID());
  }

  /**
   * Checks, before a row is committed, that the bytes of `bucket/name` can be placed: on disk a name
   * cannot be both a file and a folder (`a` and `a/b`), which S3-style keys allow.
   */
  async assertPlaceable(bucket: string, name: string): Promise<void> {
    const target = this.path(bucket, name);
    const conflict = () =>
      new StorageError({
        code: "InvalidKey",
        status: 409,
        message: `The local stack cannot store ${name}: a file and a folder would share a name`,
      });
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR" || code === "EEXIST") throw conflict();
      throw e;
    }
    const s = await stat(target).catch(() => undefined);
    if (s?.isDirectory()) throw conflict();
  }

  /** Moves a finished temp file to its object path (called after the row committed). */
  async commit(tmp: string, bucket: string, name: string): Promise<void> {
    await this.place(tmp, this.path(bucket, name));
  }

  /** mkdir -p + rename, retried when a concurrent prune removed the folder in between. */
  private async place(from: string, target: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(from, target);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 3) throw e;
        await stat(from); // a missing source is a real error, not a race
      }
    }
  }

  /** Copies an object's bytes to a new temp file (for copy). */
  async copyToTemp(bucket: string, name: string): Promise<string> {
    const tmp = await this.tempPath();
    await copyFile(this.path(bucket, name), tmp);
    return tmp;
  }

  /** Moves bytes between object paths (for move). Missing source is ignored. */
  async move(fromBucket: string, fromName: string, toBucket: string, toName: string): Promise<void> {
    try {
      await this.place(this.path(fromBucket, fromName), this.path(toBucket, toName));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    await this.pruneEmptyDirs(fromBucket, fromName);
  }

  /** Deletes an object's bytes (missing is fine) and the folders it leaves empty. */
  async remove(bucket: string, name: string): Promise<void> {
    try {
      await unlink(this.path(bucket, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    await this.pruneEmptyDirs(bucket, name);
  }

  /** Deletes a temp file, ignoring errors (cleanup path). */
  async discard(tmp: string | undefined): Promise<void> {
    if (tmp) await rm(tmp, { force: true }).catch(() => undefined);
  }

  /** Deletes a bucket's folder (the bucket row is gone and it had no objects). */
  async removeBucket(bucket: string): Promise<void> {
    await rm(join(this.root, bucket), { recursive: true, force: true });
  }

  /** Size and mtime of an object's bytes, or undefined when missing. */
  async stat(bucket: string, name: string): Promise<{ size: number; mtime: Date } | undefined> {
    try {
      const s = await stat(this.path(bucket, name));
      return s.isFile() ? { size: s.size, mtime: s.mtime } : undefined;
    } catch {
      return undefined;
    }
  }

  read(bucket: string, name: string, range?: { start: number; end: number }): ReadStream {
    // 1 MiB reads: far fewer chunks through the gateway than the 64 KiB default.
    return createReadStream(this.path(bucket, name), { ...range, highWaterMark: 1 << 20 });
  }

  /**
   * Runs `fn` while holding in-process locks on the given `bucket/name` keys, so that for one key a row
   * commit and the file rename that follows it happen as one step relative to other writers.
   */
  async withLock<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const key of sorted) {
      const previous = this.locks.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const chained = previous.then(() => mine);
      this.locks.set(key, chained);
      await previous;
      releases.push(() => {
        release();
        if (this.locks.get(key) === chained) this.locks.delete(key);
      });
    }
    try {
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }

  private async pruneEmptyDirs(bucket: string, name: string): Promise<void> {
    const bucketDir = join(this.root, bucket);
    let dir = dirname(this.path(bucket, name));
    while (dir !== bucketDir && dir.startsWith(bucketDir)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }
}
