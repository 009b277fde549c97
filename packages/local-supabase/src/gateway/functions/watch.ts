// Reloads functions when their source changes, as `supabase start` does: watches the folders that hold
// the functions (e.g. `supabase/functions/`, Parley's `functions/`) and reports changed source files.
import { watch, type FSWatcher } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { FunctionSpec } from "./discover.ts";

/** Files whose change can alter what a function runs. */
const SOURCE = /\.(ts|tsx|js|jsx|mjs|cjs|mts|json|jsonc|wasm)$/;
/** Paths never worth a reload (caches, dependencies, the stack's own data). */
const IGNORED = /(^|[/\\])(node_modules|\.git|\.parley|\.temp)([/\\]|$)/;

/**
 * The folders to watch: the parent of each function's folder (so a shared `_shared/` beside the functions
 * is covered), never the project folder itself (which holds the database files).
 */
export function watchRoots(workdir: string, specs: Iterable<FunctionSpec>): string[] {
  const roots = new Set<string>();
  for (const spec of specs) {
    const root = dirname(dirname(spec.entrypoint));
    if (resolve(root) !== resolve(workdir)) roots.add(root);
  }
  // Drop roots inside other roots.
  return [...roots].filter((r) => ![...roots].some((o) => o !== r && r.startsWith(o + "/")));
}

/**
 * Calls `onChange` with the changed files, batched over `debounceMs`. Returns a function that stops watching.
 * Folders that cannot be watched (missing, or no recursive watch on this platform) are skipped.
 */
export function watchSources(roots: string[], onChange: (files: string[]) => void, debounceMs = 150): () => void {
  const watchers: FSWatcher[] = [];
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  for (const root of roots) {
    try {
      const w = watch(root, { recursive: true, persistent: false }, (_event, file) => {
        if (!file) return;
        const name = file.toString();
        if (!SOURCE.test(name) || IGNORED.test(name)) return;
        pending.add(join(root, name));
        clearTimeout(timer);
        timer = setTimeout(() => {
          const files = [...pending];
          pending = new Set();
          onChange(files);
        }, debounceMs);
      });
      w.on("error", () => w.close());
      watchers.push(w);
    } catch {
      /* not watchable: functions then reload only when the stack restarts */
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
