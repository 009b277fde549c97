// `npm run types`: regenerates client/database.types.ts from a database that has every migration.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PARLEY_ROOT } from "./paths.ts";
import { freePort, startStack } from "@parley/local-supabase";
import { formatTypes, generateTypes, TYPES_FILE } from "./types/generate.ts";

// DATABASE_URL: an up-to-date database to read; otherwise a throwaway one with every migration applied.
if (process.env.DATABASE_URL) {
  writeFileSync(TYPES_FILE, formatTypes(generateTypes(process.env.DATABASE_URL)));
} else {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-types-"));
  process.env.PARLEY_LOG_FILE ??= join(dataDir, "stack.log");
  const stack = await startStack({
    workdir: PARLEY_ROOT,
    dataDir,
    dbPort: await freePort(),
    reset: true,
    dbOnly: true,
  });
  try {
    writeFileSync(TYPES_FILE, formatTypes(generateTypes(stack.config.dbUrl)));
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
console.log(`wrote ${TYPES_FILE}`);
