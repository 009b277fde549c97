// The browser layer: the example web app typechecked and built against the test stack, served by
// `vite preview`, and driven in headless Chromium by the suites in examples/web/e2e (vitest + playwright-core).
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { preview } from "vite";
import { freePort } from "@parley/local-supabase";
import { ensureChromium } from "./chromium-install.ts";
import { runEchoing as run, type LayerResult } from "./layer.ts";
import { runVitest } from "./vitest-run.ts";

const APP = join("examples", "web");

function e2eFiles(root: string): string[] {
  const dir = join(root, APP, "e2e");
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => relative(root, join(dir, f)));
}

export async function runBrowser(opts: {
  root: string;
  apiUrl: string;
  anonKey: string;
  runDir: string;
  only?: string | undefined;
  print: (l: string) => void;
}): Promise<LayerResult> {
  const result: LayerResult = { name: "browser", passed: 0, failed: 0, failures: [] };
  const only = opts.only;
  if (only && ![APP, ...e2eFiles(opts.root)].some((f) => f.includes(only))) {
    opts.print(`skipped: filter "${only}" names no file of ${APP}`);
    return result;
  }
  const check = (name: string, ok: boolean, why: string) => {
    if (ok) result.passed++;
    else (result.failed++, result.failures.push(`${name}: ${why}`));
    opts.print(`${ok ? "✓" : "✗"} ${name}`);
  };
  const appDir = join(opts.root, APP);
  const bin = (name: string) => join(opts.root, "node_modules", ".bin", name);

  // 1. The app typechecks (strict) and builds, pointed at this run's stack.
  const tsc = await run(bin("tsc"), ["-p", appDir], { cwd: opts.root, print: opts.print });
  check("examples/web typecheck (tsc -p examples/web)", tsc.code === 0, `tsc exited ${tsc.code}`);
  const outDir = join(opts.runDir, "web");
  const env = { VITE_SUPABASE_URL: opts.apiUrl, VITE_SUPABASE_ANON_KEY: opts.anonKey };
  const build = await run(bin("vite"), ["build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: appDir,
    env,
    print: opts.print,
  });
  check("examples/web build (vite build)", build.code === 0, `vite build exited ${build.code}`);
  if (build.code !== 0) return result;

  // 2. Served as a static site on its own origin (so every API call is cross-origin, as in production).
  const chromium = ensureChromium(opts.print);
  const port = await freePort();
  const server = await preview({
    root: appDir,
    logLevel: "warn",
    build: { outDir },
    preview: { host: "127.0.0.1", port, strictPort: true, open: false },
  });
  const webUrl = `http://127.0.0.1:${port}`;
  opts.print(`app served at ${webUrl} (Chromium: ${chromium})`);
  try {
    const suites = await runVitest({
      name: "browser",
      root: opts.root,
      config: join(APP, "e2e", "vitest.config.ts"),
      files: e2eFiles(opts.root),
      env: {
        PARLEY_WEB_URL: webUrl,
        PARLEY_TEST_URL: opts.apiUrl,
        PARLEY_TEST_ANON_KEY: opts.anonKey,
        PARLEY_CHROMIUM: chromium,
        PARLEY_SCREENSHOT_DIR: join(opts.runDir, "screenshots"),
      },
      outFile: join(opts.runDir, "browser.json"),
      only,
      print: opts.print,
    });
    result.passed += suites.passed;
    result.failed += suites.failed;
    result.failures.push(...suites.failures);
    if (suites.failed) opts.print(`screenshots of the failing pages: ${join(opts.runDir, "screenshots")}`);
  } finally {
    await new Promise<void>((resolvePromise) => server.httpServer.close(() => resolvePromise()));
  }
  return result;
}
