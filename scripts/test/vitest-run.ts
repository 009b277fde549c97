// Runs the vitest suites (official clients end to end) against an already running stack.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { LayerResult } from "./layer.ts";

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
  }>;
}

/** The vitest files (`*.test.ts`) under these folders of the root, as paths relative to the root. */
export function vitestFiles(root: string, folders = ["test"]): string[] {
  return folders.flatMap((folder) => {
    const dir = join(root, folder);
    if (!existsSync(dir)) return [];
    return (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => relative(root, join(dir, f)));
  });
}

export async function runVitest(opts: {
  root: string;
  env: Record<string, string>;
  outFile: string;
  only?: string | undefined;
  print: (l: string) => void;
  /** Layer name in the summary (default `vitest`). */
  name?: string;
  /** A vitest config other than the root one, and the files it runs (for the filter), relative to the root. */
  config?: string;
  files?: string[];
}): Promise<LayerResult> {
  const result: LayerResult = { name: opts.name ?? "vitest", passed: 0, failed: 0, failures: [] };
  // The filter is a substring of the path from the repository's root; vitest is handed the files it selects
  // (a config rooted in a package would match its own relative paths only). A filter that names no file of
  // the layer (e.g. `npm test -- supabase/tests/realtime`) selects none of it.
  const only = opts.only;
  const selected = only ? (opts.files ?? vitestFiles(opts.root)).filter((f) => f.includes(only)) : [];
  if (only && !selected.length) {
    opts.print(`skipped: filter "${only}" names no file in ${opts.config ? opts.config : "test/"}`);
    return result;
  }
  const vitest = join(opts.root, "node_modules", ".bin", "vitest");
  const code = await new Promise<number>((resolvePromise) => {
    const child = spawn(
      vitest,
      [
        "run",
        ...(opts.config ? ["--config", opts.config] : []),
        "--reporter=default",
        "--reporter=json",
        `--outputFile.json=${opts.outFile}`,
        ...selected.map((f) => join(opts.root, f)),
      ],
      {
        cwd: opts.root,
        env: { ...process.env, ...opts.env },
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    child.on("close", (c) => resolvePromise(c ?? 1));
  });
  if (!existsSync(opts.outFile)) {
    result.failed = 1;
    result.failures.push(`vitest exited ${code} without a report`);
    return result;
  }
  const report = JSON.parse(readFileSync(opts.outFile, "utf8")) as VitestJson;
  result.passed = report.numPassedTests;
  result.failed = report.numFailedTests;
  for (const file of report.testResults) {
    for (const a of file.assertionResults)
      if (a.status === "failed") result.failures.push(`${a.fullName}: ${(a.failureMessages[0] ?? "").split("\n")[0]}`);
    // A file that failed outside its tests (it did not load, or a beforeAll threw and its tests were
    // skipped) is one failure of its own.
    if (file.status === "failed" && !file.assertionResults.some((a) => a.status === "failed")) {
      result.failed++;
      result.failures.push(`${file.name}: ${(file.message ?? "failed to load").split("\n")[0]}`);
    }
  }
  if (code !== 0 && result.failed === 0) {
    result.failed = 1;
    result.failures.push(`vitest exited ${code}`);
  }
  return result;
}
