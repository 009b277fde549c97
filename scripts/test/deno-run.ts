// Runs the Deno tests beside the edge functions with the real Deno from npm.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runEchoing, type LayerResult } from "./layer.ts";

function hasDenoTests(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? hasDenoTests(p) : /_test\.ts$/.test(e);
  });
}

export async function runDeno(opts: {
  root: string;
  env: Record<string, string>;
  only?: string | undefined;
  print: (l: string) => void;
}): Promise<LayerResult> {
  const result: LayerResult = { name: "Deno", passed: 0, failed: 0, failures: [] };
  const dir = join(opts.root, "functions");
  if (!hasDenoTests(dir)) {
    opts.print("no Deno test files (functions/**/*_test.ts)");
    return result;
  }
  const deno = join(opts.root, "node_modules", ".bin", "deno");
  if (opts.only && !/functions|_test|deno/.test(opts.only)) {
    opts.print(`skipped: filter "${opts.only}" names no Deno tests`);
    return result;
  }
  const output = await runEchoing(deno, ["test", "--allow-all", "--no-check=remote"], {
    cwd: dir,
    env: { ...opts.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    print: opts.print,
  });
  const summary = /(ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(output.text);
  if (summary) {
    result.passed = Number(summary[2]);
    result.failed = Number(summary[3]);
  }
  if (output.code !== 0) {
    if (!result.failed) result.failed = 1;
    result.failures.push(
      `deno test exited ${output.code}${summary ? "" : " before reporting a summary (see output above)"}`,
    );
  }
  return result;
}
