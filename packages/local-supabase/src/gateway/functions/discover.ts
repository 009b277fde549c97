// Which functions a project has, found as the Supabase CLI finds them: `[functions.<name>]` entries in
// config.toml plus every `supabase/functions/<name>/index.ts`, with the CLI's defaults and import-map rules.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { StackConfig } from "../../config.ts";

/** One function the runtime can serve. */
export interface FunctionSpec {
  name: string;
  /** Absolute path of the entry module. */
  entrypoint: string;
  /** Whether the runtime requires a valid JWT first (`verify_jwt`, default true). */
  verifyJwt: boolean;
  /** Absolute path of the deno.json / import map Deno should use, when one applies. */
  importMap?: string;
}

/** The CLI's slug rule (`utils.FuncSlugPattern`): folders like `_shared` are not functions. */
const SLUG = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * The import map of a function as the CLI picks it: the config's `import_map`, else a deno.json,
 * deno.jsonc or import_map.json in `supabase/functions/<name>/`, else `supabase/functions/import_map.json`.
 * Undefined means none: Deno then finds a deno.json beside the entry module itself.
 */
function importMapOf(workdir: string, name: string, configured: string | undefined): string | undefined {
  if (configured) return resolve(workdir, configured);
  const dir = join(workdir, "supabase", "functions", name);
  for (const file of ["deno.json", "deno.jsonc", "import_map.json"])
    if (existsSync(join(dir, file))) return join(dir, file);
  const fallback = join(workdir, "supabase", "functions", "import_map.json");
  return existsSync(fallback) ? fallback : undefined;
}

/** Lists the enabled functions of the project, by name. */
export function discoverFunctions(config: Pick<StackConfig, "workdir" | "functions">): Map<string, FunctionSpec> {
  const { workdir } = config;
  const names = new Set<string>();
  const folder = join(workdir, "supabase", "functions");
  if (existsSync(folder)) {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory() && SLUG.test(entry.name) && existsSync(join(folder, entry.name, "index.ts")))
        names.add(entry.name);
    }
  }
  for (const name of Object.keys(config.functions)) names.add(name);

  const found = new Map<string, FunctionSpec>();
  for (const name of [...names].sort()) {
    const configured = config.functions[name];
    if (configured?.enabled === false) continue;
    const entrypoint = resolve(workdir, configured?.entrypoint ?? join("supabase", "functions", name, "index.ts"));
    const importMap = importMapOf(workdir, name, configured?.importMap);
    found.set(name, {
      name,
      entrypoint,
      verifyJwt: configured?.verifyJwt ?? true,
      ...(importMap ? { importMap } : {}),
    });
  }
  return found;
}

/** The folder Deno starts in: the entry module's, so a deno.json beside or above it is found. */
export function workingDirOf(spec: FunctionSpec): string {
  return dirname(spec.entrypoint);
}
