// As root, PostgreSQL runs as the `postgres` OS user, who cannot traverse a 0700 folder (root's home, most
// containers and CI runners): a project cloned there still gets a working database, and a cluster that
// cannot be moved is a one-line error naming the folder and the fix.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
  chmodSync,
  lstatSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/postgres/port.ts";
import { startPostgres } from "../../src/postgres/runner.ts";

const isRoot = process.getuid?.() === 0;
const cleanup: string[] = [];
afterAll(() => {
  for (const p of cleanup) rmSync(p, { recursive: true, force: true });
});

/** A folder only its owner may enter, as root's home is. */
function closedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-closed-"));
  chmodSync(dir, 0o700);
  cleanup.push(dir);
  return dir;
}

/** Where the first test's cluster was relocated to (as root). */
let relocated: string | undefined;

describe("a data folder under a 0700 folder", () => {
  it("gets a database that answers queries and keeps its data across a restart", async () => {
    const dataDir = join(closedFolder(), "project", ".parley");
    const port = await freePort();
    const pgHandle = await startPostgres({ dataDir, port });
    const clusterDir = join(dataDir, "postgres");
    if (isRoot) {
      // The cluster lives where the postgres user can reach it, linked from its usual place.
      expect(lstatSync(clusterDir).isSymbolicLink()).toBe(true);
      expect(readlinkSync(clusterDir)).toMatch(/\/parley-clusters\/[0-9a-f]{16}$/);
      relocated = realpathSync(clusterDir);
      cleanup.push(relocated);
    } else expect(lstatSync(clusterDir).isDirectory()).toBe(true);
    try {
      const client = new pg.Client({ connectionString: pgHandle.url });
      await client.connect();
      await client.query("create table kept (v text); insert into kept values ('there')");
      await client.end();
      process.kill(pgHandle.pid()!, "SIGKILL");
      await pgHandle.restart();
      const again = new pg.Client({ connectionString: pgHandle.url });
      await again.connect();
      expect((await again.query("select v from kept")).rows).toEqual([{ v: "there" }]);
      await again.end();
    } finally {
      await pgHandle.stop();
      rmSync(dataDir, { recursive: true, force: true }); // as a test run removes its data folder
    }
  }, 120_000);

  it.runIf(isRoot)(
    "that already holds a cluster the postgres user cannot reach is refused in one line naming the folder",
    async () => {
      const closed = closedFolder();
      const clusterDir = join(closed, ".parley", "postgres");
      mkdirSync(clusterDir, { recursive: true });
      writeFileSync(join(clusterDir, "PG_VERSION"), "17\n");
      const error = await startPostgres({ dataDir: join(closed, ".parley"), port: await freePort() }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      // Looking for a place, it removed the cluster whose data folder (and link) the first test removed.
      if (relocated) expect(existsSync(relocated)).toBe(false);
      expect(error?.message).toBe(
        `the postgres user cannot reach ${clusterDir} (${closed} is closed to it): move the project to a folder others may traverse, or set PARLEY_DATA_DIR to one (e.g. /var/tmp/parley).`,
      );
    },
  );
});
