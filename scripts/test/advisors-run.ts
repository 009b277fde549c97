// Runs the real Supabase CLI's advisors (security and performance lints) against the test database:
// any finding at warning level or above fails the run, as the foundation issue requires.
import { spawn } from "node:child_process";
import { SUPABASE_CLI } from "@parley/local-supabase";
import type { LayerResult } from "./layer.ts";

export async function runAdvisors(opts: {
  root: string;
  dbUrl: string;
  print: (l: string) => void;
}): Promise<LayerResult> {
  const result: LayerResult = { name: "advisors", passed: 0, failed: 0, failures: [] };
  const args = [
    "db",
    "advisors",
    `--remote=${opts.dbUrl}`,
    "--type",
    "all",
    "--level",
    "warn",
    "--fail-on",
    "warn",
    "--workdir",
    opts.root,
  ];
  const { code, text } = await new Promise<{ code: number; text: string }>((done) => {
    const child = spawn(SUPABASE_CLI, args, {
      cwd: opts.root,
      env: { ...process.env, DO_NOT_TRACK: "1", NO_COLOR: "1" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (c) => done({ code: c ?? 1, text: out }));
  });
  for (const line of text.split("\n")) if (line.trim() && !/deprecated/.test(line)) opts.print(line);
  if (code === 0 && /No issues found/i.test(text)) {
    result.passed = 1;
  } else {
    result.failed = 1;
    result.failures.push(
      `supabase db advisors reported findings at warning level or failed (exit ${code}); see its output above`,
    );
  }
  return result;
}
