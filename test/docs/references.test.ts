// The docs cannot drift from the tree: every repository path a README or docs/*.md names in backticks
// exists, and every `npm run <script>` they show is a script of the package it names (issue 24). The local
// stack's package names paths from its own folder (`src/…`, `test/…`), and may show the root's scripts.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";

const LOCAL_STACK = "packages/local-supabase";
const markdownIn = (dir: string) =>
  readdirSync(join(PARLEY_ROOT, dir))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `${dir}/${f}`);

/** Each doc, the folder its paths start from, the folders a path may start with, the packages whose scripts it may show. */
interface Doc {
  file: string;
  base: string;
  top: string[];
  scripts: string[];
}
const ROOT_TOP = ["supabase", "docs", "test", "scripts", "client", "functions", "packages", "bench", "examples"];
const STACK_TOP = ["src", "test", "sql", "docs"];
const DOCS: Doc[] = [
  ...["README.md", "examples/web/README.md", ...markdownIn("docs")].map((file) => ({
    file,
    base: ".",
    top: ROOT_TOP,
    scripts: ["."],
  })),
  ...[`${LOCAL_STACK}/README.md`, ...markdownIn(`${LOCAL_STACK}/docs`)].map((file) => ({
    file,
    base: LOCAL_STACK,
    top: STACK_TOP,
    scripts: [LOCAL_STACK, "."],
  })),
];

/** Files a project creates itself (secrets, its own seed, the CLI's default function folder), named as such. */
const CREATED_BY_YOU = new Set([".env", ".env.local", "seed.sql", "import_map.json"]);
/** Upstream repositories named as sources (`supabase/auth` is GoTrue's repository, not a folder here). */
const UPSTREAM = new Set([
  "supabase/auth",
  "supabase/storage",
  "supabase/realtime",
  "supabase/cli",
  "supabase/supabase-js",
  "supabase/functions",
]);

function pathsIn(text: string, top: string[]): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(new RegExp("`((?:" + top.join("|") + ")/[A-Za-z0-9_./-]*)`", "g")))
    found.push(m[1]!.replace(/[.]$/, ""));
  return found;
}

describe("docs name only what exists", () => {
  it("every repository path in the README and docs exists (or is one you create, or an upstream repository)", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const doc of DOCS) {
      for (const path of pathsIn(readFileSync(join(PARLEY_ROOT, doc.file), "utf8"), doc.top)) {
        checked++;
        const trimmed = path.replace(/\/$/, "");
        if (UPSTREAM.has(trimmed) || CREATED_BY_YOU.has(basename(trimmed)) || trimmed.startsWith("supabase/functions/"))
          continue;
        if (!existsSync(join(PARLEY_ROOT, doc.base, trimmed))) missing.push(`${doc.file}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100); // the docs do name paths: a broken pattern must not pass silently
  });

  it("every `npm run` they show is a script of its package", () => {
    const scriptsOf = (dir: string) =>
      Object.keys(
        (
          JSON.parse(readFileSync(join(PARLEY_ROOT, dir, "package.json"), "utf8")) as {
            scripts?: Record<string, string>;
          }
        ).scripts ?? {},
      );
    const unknown: string[] = [];
    let checked = 0;
    for (const doc of DOCS) {
      for (const m of readFileSync(join(PARLEY_ROOT, doc.file), "utf8").matchAll(
        /npm run (?:-s )?([a-z][a-z:-]*)(?: -w ([a-z/-]+))?/g,
      )) {
        const [, script, workspace] = m;
        checked++;
        const packages = workspace ? [workspace] : doc.scripts;
        if (!packages.some((dir) => scriptsOf(dir).includes(script!)))
          unknown.push(`${doc.file}: npm run ${script}${workspace ? ` -w ${workspace}` : ""}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });
});
