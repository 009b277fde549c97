// `npm run bench`: Parley's hot paths, each measured beside a baseline from the same run on the same
// machine, so the figures are ratios that hold on a noisy shared machine. See docs/performance.md.
//
//   npm run bench                      start a private stack, seed, measure, print a table, clean up
//   npm run bench -- --json            … and print one JSON object as the last line
//   npm run bench -- --use-running     measure the running `npm run dev` (its data is left as it was)
//   npm run bench -- --help            every flag
import { parseArgs } from "node:util";
import pg from "pg";
import { json, table, type Metric, type StageOutput } from "./report.ts";
import { seed, unseed, type Seeded, type SeedSizes } from "./seed.ts";
import { openTarget, redact, waitForReplication, type BenchTarget } from "./stack.ts";
import type { StageContext, StageOptions } from "./stages/context.ts";
import { runGrowth } from "./stages/growth.ts";
import { runHistory } from "./stages/history.ts";
import { runSearch } from "./stages/search.ts";
import { runInbox } from "./stages/inbox.ts";
import { runRealtime } from "./stages/realtime.ts";
import { runPush } from "./stages/push.ts";
import { runSend } from "./stages/send.ts";
import { runUnread } from "./stages/unread.ts";

const FLAGS = {
  json: { type: "boolean", default: false, help: "print one JSON object with every figure as the last line" },
  "use-running": {
    type: "boolean",
    default: false,
    help: "adopt the running `npm run dev` (ports from supabase/config.toml / env)",
  },
  "db-url": { type: "string", help: "adopt this database (superuser URL); env PARLEY_BENCH_DB_URL" },
  "api-url": { type: "string", help: "adopt this gateway (http://host:port); env PARLEY_BENCH_API_URL" },
  workdir: { type: "string", help: "project folder whose supabase/ a started stack applies (default: this checkout)" },
  only: { type: "string", help: "comma-separated stages: send,growth,push,history,inbox,unread,realtime,search" },
  explain: { type: "boolean", default: false, help: "print explain (analyze, buffers) of the measured queries" },
  "keep-seed": {
    type: "boolean",
    default: false,
    help: "with a running stack: leave the seeded rows (schema bench_<run>) for explain sessions",
  },
  "history-messages": { type: "string", default: "1000000", help: "messages in the history conversation" },
  "inbox-large": { type: "string", default: "10000", help: "conversations of the large-inbox user" },
  "inbox-small": { type: "string", default: "100", help: "conversations of the small-inbox user" },
  "messages-per-conversation": { type: "string", default: "3", help: "messages in each inbox conversation" },
  "unread-conversations": { type: "string", default: "100", help: "conversations in the unread stage" },
  "unread-messages": { type: "string", default: "200", help: "messages (all unread for one user) in each of them" },
  samples: { type: "string", default: "500", help: "latency samples per side of a comparison" },
  warmup: { type: "string", default: "30", help: "untimed runs before sampling" },
  "naive-samples": {
    type: "string",
    default: "20",
    help: "samples per side of inbox_vs_naive (the naive page reads every conversation)",
  },
  "growth-samples": { type: "string", default: "150", help: "sends to each conversation size in the growth stage" },
  "send-connections": { type: "string", default: "4", help: "connections sending at once" },
  "send-rounds": {
    type: "string",
    default: "5",
    help: "rounds of the send-stage phases (send, required writes, Supabase pattern, raw insert, the two floors, send without rate limit), order rotating",
  },
  "send-phase-ms": { type: "string", default: "1500", help: "length of each timed phase" },
  "realtime-clients": {
    type: "string",
    default: "100",
    help: "subscribed supabase-js clients: every member of one group, the sender among them (up to 100, the inbox fan-out bound: events on each user:<id>; above: on conversation:<id>:events)",
  },
  "realtime-messages": { type: "string", default: "100", help: "messages sent while they listen" },
  help: { type: "boolean", default: false, help: "this text" },
} as const;

type Values = { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]["type"] extends "boolean" ? boolean : string };

// search runs last: it drops the search indexes to measure sends without them.
const STAGES = ["send", "growth", "push", "history", "inbox", "unread", "realtime", "search"] as const;
/** Stages that write many realtime rows: the next stage starts once Realtime has decoded them. */
const WRITERS: readonly StageName[] = ["send", "growth"];
type StageName = (typeof STAGES)[number];

function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, f]) => {
    const def = "default" in f && f.type === "string" ? ` (default ${f.default})` : "";
    return `  --${name.padEnd(26)} ${f.help}${def}`;
  });
  return `npm run bench -- [flags]\n${lines.join("\n")}`;
}

/** A positive integer flag, or a clear error naming it. */
function int(values: Values, name: keyof typeof FLAGS, min = 1): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min} (got ${String(raw)})`);
  return n;
}

class UsageError extends Error {}

/** --json was asked for (read from argv itself, so that even a run whose flags do not parse answers in JSON). */
const wantsJson = process.argv.slice(2).includes("--json");

/**
 * A run that cannot start, or ends unexpectedly: the reason on stderr and, with --json, one JSON line
 * `{"error": …}` as the last line of stdout, so a script reading that line always gets an object.
 */
function fail(reason: string, code: number, context: Record<string, unknown> = {}): number {
  process.stderr.write(`bench: ${reason}\n`);
  if (wantsJson) process.stdout.write(`${JSON.stringify({ error: reason, ...context })}\n`);
  return code;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function main(): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ options: FLAGS, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    process.stderr.write(`${usage()}\n`);
    return fail(messageOf(e), 2);
  }
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  let sizes: SeedSizes;
  let opts: StageOptions;
  let stages: StageName[];
  try {
    sizes = {
      historyMessages: int(values, "history-messages"),
      inboxLarge: int(values, "inbox-large", 2),
      inboxSmall: int(values, "inbox-small", 2),
      messagesPerConversation: int(values, "messages-per-conversation"),
      unreadConversations: int(values, "unread-conversations"),
      unreadMessages: int(values, "unread-messages"),
      sendConnections: int(values, "send-connections"),
      realtimeClients: int(values, "realtime-clients"),
      growth: true,
    };
    opts = {
      samples: int(values, "samples"),
      warmup: int(values, "warmup", 0),
      naiveSamples: int(values, "naive-samples"),
      growthSamples: int(values, "growth-samples"),
      sendConnections: sizes.sendConnections,
      sendRounds: int(values, "send-rounds"),
      sendPhaseMs: int(values, "send-phase-ms", 100),
      realtimeClients: sizes.realtimeClients,
      realtimeMessages: int(values, "realtime-messages"),
      explain: values.explain === true,
    };
    stages = values.only
      ? values.only
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
          .map(stageName)
      : [...STAGES];
    // Seed only what the selected stages read: without the history stage no million-row history,
    // without the inbox stage no 10,000-conversation inbox (the other stages never touch them).
    if (!stages.includes("history") && !stages.includes("search")) sizes.historyMessages = 0;
    if (!stages.includes("inbox")) sizes.inboxLarge = Math.min(sizes.inboxLarge, sizes.inboxSmall);
    sizes.growth = stages.includes("growth");
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${usage()}\n`);
    return fail(e.message, 2);
  }

  const started = Date.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
  const progress = (line: string) => say(`${stamp()} ${line}`);

  let target: BenchTarget | undefined;
  let admin: pg.Client | undefined;
  let seeded: Seeded | undefined;
  let failed = false;
  /** Why the run could not start or measure at all (no stage ran to its end). */
  let fatal: string | undefined;
  const outputs: StageOutput[] = [];
  // Removes what the run added (seeded rows on an adopted stack; the private stack), once, whether the
  // run ended, failed or was interrupted with Ctrl-C.
  let cleaning: Promise<void> | undefined;
  let interrupted = false;
  const cleanup = (): Promise<void> => (cleaning ??= doCleanup());
  const doCleanup = async (): Promise<void> => {
    if (admin && seeded && target?.mode === "adopted" && values["keep-seed"])
      progress(`seeded rows kept (bookkeeping in schema ${seeded.schema})`);
    else if (seeded && target?.mode === "adopted") {
      progress("cleanup: removing the seeded rows");
      // A connection of its own: the admin one may be busy with a statement that was interrupted.
      const db = new pg.Client({ connectionString: target.dbUrl, application_name: "parley-bench-cleanup" });
      await db
        .connect()
        .then(() => unseed(db, seeded!))
        .catch((e: unknown) =>
          progress(`cleanup failed: ${String(e)} (drop schema ${seeded!.schema} and its rows by hand)`),
        )
        .finally(() => db.end().catch(() => undefined));
    }
    await admin?.end().catch(() => undefined);
    if (target) {
      progress(target.mode === "started" ? "cleanup: stopping the private stack" : "done with the running stack");
      await target.stop({ keepLogs: failed && !interrupted });
      if (failed && !interrupted && target.logFile) progress(`stack log kept at ${target.logFile}`);
    }
  };
  const onInterrupt = () => {
    failed = true;
    interrupted = true;
    progress("interrupted");
    void cleanup().finally(() => process.exit(fail("interrupted (SIGINT)", 130)));
  };
  process.on("SIGINT", onInterrupt);
  try {
    progress("stack");
    target = await openTarget(
      {
        dbUrl: values["db-url"] ?? process.env.PARLEY_BENCH_DB_URL,
        apiUrl: values["api-url"] ?? process.env.PARLEY_BENCH_API_URL,
        useRunning: values["use-running"] === true,
        workdir: values.workdir,
      },
      progress,
    );
    admin = new pg.Client({ connectionString: target.dbUrl, application_name: "parley-bench-admin" });
    admin.on("error", () => undefined); // see connect() in sql.ts
    await admin.connect().catch((e: unknown) => {
      throw new Error(`cannot connect to the database ${redact(target!.dbUrl)}: ${messageOf(e)}`);
    });
    progress(
      `seed (history ${sizes.historyMessages.toLocaleString("en-US")} messages, inboxes ${sizes.inboxLarge} and ${sizes.inboxSmall})`,
    );
    seeded = await seed(admin, sizes, progress);
    await target.serve(progress);
    const ctx: StageContext = { target, admin, seeded, opts, say: progress };
    for (const stage of stages) {
      if (interrupted) break;
      progress(`stage ${stage}`);
      const out = await runStage(stage, ctx, sizes).catch((e: unknown): StageOutput => {
        failed = true;
        progress(`stage ${stage} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return {
          metrics: [
            { key: stage, value: `failed: ${e instanceof Error ? e.message : String(e)}`, unit: "count", detail: "" },
          ],
          figures: {},
        };
      });
      outputs.push(out);
      for (const m of out.metrics)
        progress(`  ${m.key} = ${typeof m.value === "number" ? m.value : m.value} (${m.detail})`);
      if (WRITERS.includes(stage)) await waitForReplication(target.dbUrl, progress, 120_000);
    }
  } catch (e) {
    failed = true;
    fatal = `could not run: ${messageOf(e)}`;
    progress(`bench could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    process.off("SIGINT", onInterrupt);
    await cleanup();
  }

  const context = {
    bench_stack: target?.mode ?? "none",
    bench_duration_s: Math.round((Date.now() - started) / 1000),
    bench_started_at: new Date(started).toISOString(),
    bench_sizes: sizes,
  };
  // Nothing measured at all: the reason, and no table of nothing.
  if (fatal && outputs.length === 0) return fail(fatal, 1, context);
  const metrics: Metric[] = outputs.flatMap((o) => o.metrics);
  say(`\n${table(metrics)}\n`);
  const stageErrors = metrics
    .filter((m) => typeof m.value === "string" && m.value.startsWith("failed:"))
    .map((m) => `${m.key}: ${String(m.value)}`);
  if (fatal) stageErrors.push(fatal);
  if (stageErrors.length) process.stderr.write(`bench: ${stageErrors.join("; ")}\n`);
  if (values.json) say(json(outputs, { ...context, ...(stageErrors.length ? { errors: stageErrors } : {}) }));
  return failed ? 1 : 0;
}

function stageName(s: string): StageName {
  if ((STAGES as readonly string[]).includes(s)) return s as StageName;
  throw new UsageError(`--only: unknown stage "${s}" (stages: ${STAGES.join(", ")})`);
}

function runStage(stage: StageName, ctx: StageContext, sizes: SeedSizes): Promise<StageOutput> {
  switch (stage) {
    case "send":
      return runSend(ctx);
    case "growth":
      return runGrowth(ctx);
    case "push":
      return runPush(ctx);
    case "history":
      return runHistory(ctx);
    case "inbox":
      return runInbox(ctx, { large: sizes.inboxLarge, small: sizes.inboxSmall });
    case "unread":
      return runUnread(ctx, { conversations: sizes.unreadConversations, unreadEach: sizes.unreadMessages });
    case "realtime":
      return runRealtime(ctx);
    case "search":
      return runSearch(ctx);
  }
}

// An error thrown where no one awaits it (a socket's, a timer's) ends the run the same way.
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (e: unknown) =>
    process.exit(fail(`unexpected failure (${event}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 1)),
  );
}
// Whatever escapes main (a bug, a failed cleanup) still ends the run with its reason and, with --json,
// the one JSON line.
process.exit(
  await main().catch((e: unknown) =>
    fail(`unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 1),
  ),
);
