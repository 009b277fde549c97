// Seed files as the Supabase CLI finds them: `[db.seed] sql_paths` globs (relative to supabase/), each pattern's
// matches sorted, duplicates dropped, in the declared order; nothing when `[db.seed] enabled = false`.
import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, posix } from "node:path";

/** `[db.seed]` of config.toml. */
export interface SeedConfig {
  /** Default true. */
  enabled: boolean;
  /** Glob patterns (Go's `path.Match`: `*`, `?`, `[…]`, no `**`), relative to `supabase/`. Default `["./seed.sql"]`. */
  sqlPaths: string[];
}

export const DEFAULT_SEED: SeedConfig = { enabled: true, sqlPaths: ["./seed.sql"] };

const GLOB_CHARS = /[*?[\\]/;

/** One path segment as a RegExp, the way Go's path.Match reads it. */
function segmentRegExp(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < segment.length) re += `\\${segment[++i]}`;
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) throw new Error(`failed to apply glob pattern: syntax error in pattern: ${segment}`);
      let body = segment.slice(i + 1, end);
      if (body.startsWith("^")) body = `^${body.slice(1).replace(/[\\\]]/g, "\\$&")}`;
      else body = body.replace(/[\\\]^]/g, "\\$&");
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Go's fs.Glob over the workdir: the paths (relative to `root`, `/`-separated) matching `pattern`. */
function glob(root: string, pattern: string): string[] {
  const parts = pattern.split("/").filter((p) => p !== "");
  let found = [pattern.startsWith("/") ? "/" : ""];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of found) {
      const abs = dir.startsWith("/") ? dir : join(root, dir);
      if (!GLOB_CHARS.test(part)) {
        const candidate = dir ? posix.join(dir, part) : part;
        if (existsSync(candidate.startsWith("/") ? candidate : join(root, candidate))) next.push(candidate);
        continue;
      }
      if (!existsSync(abs) || !statSync(abs).isDirectory()) continue;
      const re = segmentRegExp(part);
      for (const name of readdirSync(abs)) if (re.test(name)) next.push(dir ? posix.join(dir, name) : name);
    }
    found = next;
  }
  return found.filter((f) => f !== "" && f !== "/");
}

/**
 * The seed files to run, in order, as paths relative to the workdir (absolute patterns stay absolute), and the
 * patterns that matched nothing (the CLI warns `WARN: no seed files matched pattern: <pattern>` and goes on).
 */
export function seedFiles(workdir: string, seed: SeedConfig): { files: string[]; unmatched: string[] } {
  if (!seed.enabled) return { files: [], unmatched: [] };
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const raw of seed.sqlPaths) {
    const pattern = isAbsolute(raw) ? raw : posix.join("supabase", raw.replaceAll("\\", "/"));
    const matches = glob(workdir, pattern).sort();
    if (!matches.length) unmatched.push(pattern);
    for (const m of matches) if (!files.includes(m)) files.push(m);
  }
  return { files, unmatched };
}
