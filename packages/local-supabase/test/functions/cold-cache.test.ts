// A function's first boot on a machine whose Deno module cache is empty: Deno downloads the function's npm
// imports only after the preload has run, so what it needs to reach the registry (TLS trust, proxies) must
// still be in its environment then, while the runtime's own variables stay hidden from the function.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { denoBinary, FunctionWorker } from "../../src/gateway/functions/worker.ts";
import { PACKAGE_ROOT } from "../../src/paths.ts";

let dir: string;
let savedDenoDir: string | undefined;
let worker: FunctionWorker | undefined;
const logged: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-cold-cache-"));
  writeFileSync(
    join(dir, "index.ts"),
    `import ms from "npm:ms@2.1.3";
Deno.serve(() => Response.json({ oneMinute: ms("1m"), home: Deno.env.get("HOME") ?? null, denoDir: Deno.env.get("DENO_DIR") ?? null }));
`,
  );
  // A module cache of its own, empty: the worker hands the stack's DENO_DIR to Deno.
  savedDenoDir = process.env.DENO_DIR;
  process.env.DENO_DIR = join(dir, "deno-cache");
});

afterAll(async () => {
  await worker?.stop();
  if (savedDenoDir === undefined) delete process.env.DENO_DIR;
  else process.env.DENO_DIR = savedDenoDir;
  rmSync(dir, { recursive: true, force: true });
});

it("boots a function whose npm imports are not cached yet, and hides the runtime's variables from it", async () => {
  worker = new FunctionWorker(
    { name: "cold", entrypoint: join(dir, "index.ts"), verifyJwt: false },
    { deno: denoBinary(PACKAGE_ROOT), env: () => ({}), log: (line) => logged.push(line), bootTimeoutMs: 90_000 },
  );
  const port = await worker.ready().catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${logged.join("\n")}`);
  });
  const res = await fetch(`http://127.0.0.1:${port}/`);
  expect(await res.json()).toEqual({ oneMinute: 60_000, home: null, denoDir: null });
}, 120_000);
