// Makes the pgTAP extension available to the test database (Debian's postgresql-15-pgtap SQL files).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedExtensionDir } from "@parley/local-supabase";
import { aptGet } from "./layer.ts";

/** Finds pgTAP's SQL files on this machine, fetching Debian's package (without its server) if needed. */
function findPgtapSource(log: (m: string) => void): string {
  const systemDirs = existsSync("/usr/share/postgresql")
    ? readdirSync("/usr/share/postgresql").map((v) => join("/usr/share/postgresql", v, "extension"))
    : [];
  for (const d of systemDirs) if (existsSync(join(d, "pgtap.control"))) return d;

  // Download the .deb and unpack it; installing it would pull in a whole PostgreSQL 15 server.
  const work = mkdtempSync(join(tmpdir(), "parley-pgtap-"));
  try {
    aptGet(["download", "postgresql-15-pgtap"], work, (m) => log(`pgTAP: ${m}`));
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download produced no .deb");
    execFileSync("dpkg-deb", ["-x", join(work, deb), join(work, "root")]);
  } catch (e) {
    throw new Error(
      `pgTAP is needed for the database tests and could not be fetched (${e instanceof Error ? e.message.split("\n")[0] : e}).\n` +
        `Install it with: apt-get update && apt-get install -y postgresql-15-pgtap — then run npm test again.`,
    );
  }
  const dir = join(work, "root", "usr", "share", "postgresql", "15", "extension");
  if (!existsSync(join(dir, "pgtap.control")))
    throw new Error(`the postgresql-15-pgtap package has no pgtap.control under ${dir}`);
  return dir;
}

/** Copies pgTAP into the embedded server's extension folder unless it is there already. */
export function ensurePgtapInstalled(log: (m: string) => void): void {
  const target = embeddedExtensionDir();
  if (existsSync(join(target, "pgtap.control"))) return;
  const source = findPgtapSource(log);
  for (const f of readdirSync(source)) if (f.startsWith("pgtap")) copyFileSync(join(source, f), join(target, f));
  log(`pgTAP: installed from ${source}`);
}
