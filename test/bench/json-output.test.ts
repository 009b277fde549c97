// `npm run bench -- --json` for scripts: a run that cannot start says why on stderr and still ends with
// one JSON line, {"error": …}, on stdout — a database that refuses connections, flags that do not parse.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** Runs the bench CLI with `args`; resolves with its exit code, stdout and stderr. */
function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", "index.ts"), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A local port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1) ?? "";

describe("npm run bench -- --json when the run cannot start", () => {
  it("names the unreachable database on stderr and ends stdout with one {error} line", async () => {
    const port = await closedPort();
    const run = await bench([
      "--json",
      "--db-url",
      `postgres://postgres:secret@127.0.0.1:${port}/postgres`,
      "--api-url",
      `http://127.0.0.1:${port}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot connect to the database postgres://postgres:***@127.0.0.1:${port}/postgres`);
    expect(run.stderr).not.toContain("secret");
    const out = JSON.parse(lastLine(run.stdout)) as Record<string, unknown>;
    expect(String(out.error)).toContain("cannot connect to the database");
    expect(out.bench_stack).toBe("adopted");
  }, 60_000);

  it("answers a flag it does not know, or a bad value, with the reason and one {error} line", async () => {
    const unknown = await bench(["--json", "--no-such-flag"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--no-such-flag");
    expect(JSON.parse(lastLine(unknown.stdout))).toEqual({ error: expect.stringContaining("--no-such-flag") });

    const bad = await bench(["--json", "--samples", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--samples must be an integer");
    expect(JSON.parse(lastLine(bad.stdout))).toEqual({ error: "--samples must be an integer ≥ 1 (got many)" });
  }, 60_000);

  it("prints no JSON line without --json", async () => {
    const run = await bench(["--samples", "many"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("--samples must be an integer");
  }, 60_000);
});
