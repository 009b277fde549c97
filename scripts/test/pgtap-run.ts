// Runs every pgTAP file under supabase/tests like pg_prove: one connection per file, TAP read back from the rows.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import pg from "pg";
import type { LayerResult } from "./layer.ts";

function listTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listTests(p));
    else if (entry.endsWith(".test.sql")) out.push(p);
  }
  return out;
}

/** Extracts TAP lines from the rows of every statement's result. */
function tapLines(results: pg.QueryResult | pg.QueryResult[]): string[] {
  const lines: string[] = [];
  for (const r of Array.isArray(results) ? results : [results]) {
    for (const row of r.rows ?? []) {
      const first = Object.values(row as Record<string, unknown>)[0];
      if (typeof first === "string") lines.push(...first.split("\n"));
    }
  }
  return lines;
}

export interface PgtapOptions {
  dbUrl: string;
  testsDir: string;
  root: string;
  /** Only files whose path contains this text. */
  only?: string | undefined;
  print: (line: string) => void;
}

export async function runPgtap(opts: PgtapOptions): Promise<LayerResult> {
  const files = listTests(opts.testsDir).filter((f) => !opts.only || f.includes(opts.only));
  const helpersPath = join(opts.testsDir, "_helpers.sql");
  const helpers = (() => {
    try {
      return readFileSync(helpersPath, "utf8");
    } catch {
      return "";
    }
  })();
  const setup = new pg.Client({ connectionString: opts.dbUrl });
  setup.on("error", () => undefined);
  await setup.connect();
  try {
    await setup.query("create extension if not exists pgtap with schema extensions");
    if (helpers) await setup.query(helpers);
  } finally {
    await setup.end().catch(() => undefined);
  }

  const result: LayerResult = { name: "pgTAP", passed: 0, failed: 0, failures: [] };
  // Files run a few at a time: each brings its own transaction and rolls back.
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const name = relative(opts.root, file);
      const client = new pg.Client({ connectionString: opts.dbUrl, application_name: "parley-pgtap" });
      client.on("error", () => undefined);
      await client.connect();
      let passed = 0;
      let failed = 0;
      const failures: string[] = [];
      try {
        await client.query(`set search_path = "$user", public, extensions`);
        const lines = tapLines(await client.query(readFileSync(file, "utf8")));
        let planned = -1;
        for (const line of lines) {
          const plan = /^1\.\.(\d+)/.exec(line);
          if (plan) planned = Number(plan[1]);
          else if (/^ok \d+/.test(line)) passed++;
          else if (/^not ok \d+/.test(line)) {
            failed++;
            failures.push(`${name}: ${line}`);
          } else if (/^#\s/.test(line) && failures.length && failed) failures.push(`${name}: ${line}`);
        }
        if (planned >= 0 && passed + failed !== planned) {
          failed += Math.max(1, planned - passed - failed);
          failures.push(`${name}: planned ${planned} tests but ran ${passed + failed}`);
        }
        if (planned < 0) {
          failed++;
          failures.push(`${name}: no plan — did the file call plan()?`);
        }
      } catch (e) {
        failed++;
        failures.push(`${name}: error: ${e instanceof Error ? e.message : String(e)}`);
        await client.query("rollback").catch(() => undefined);
      } finally {
        await client.end().catch(() => undefined);
      }
      result.passed += passed;
      result.failed += failed;
      result.failures.push(...failures);
      opts.print(`${failed ? "FAIL" : "ok  "} ${name} (${passed} passed${failed ? `, ${failed} failed` : ""})`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  if (files.length === 0) opts.print("no pgTAP files found under supabase/tests");
  return result;
}
