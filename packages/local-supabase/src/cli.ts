// `npm run dev`: a Docker-free `supabase start` for Parley or any Supabase project folder.
import { parseArgs } from "node:util";
import { setLogStream } from "./log.ts";
import { followLaunchers } from "./parent-watch.ts";
import { startStack, statusOf, type RunningStack } from "./stack.ts";

const HELP = `Usage: npm run dev -- [options]

  --workdir <path>   Supabase project folder to serve (default: this folder)
  --reset            wipe the local database and rebuild it from migrations and seed
  --db-only          start Postgres and apply migrations, then exit (with --reset: npm run db:reset)
  --json             print the status as JSON on stdout (logs go to stderr)
  --api-port <n>     gateway port (default 54321 or [api] port)
  --db-port <n>      Postgres port (default 54322 or [db] port)
  -h, --help         this text

Environment: DATABASE_URL uses an existing server instead of starting one; PARLEY_DATA_DIR moves the
data folder (default <workdir>/.parley); LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET reach the
functions (LiveKit's dev-mode values otherwise); PARLEY_FUNCTIONS_LAZY=1 boots functions on first call;
PARLEY_FUNCTIONS_WATCH=0 stops reloading functions when their source changes.`;

function fail(message: string, code = 1): never {
  console.error(`\nnpm run dev failed: ${message}`);
  process.exit(code);
}

function parse() {
  try {
    return parseArgs({
      options: {
        workdir: { type: "string" },
        reset: { type: "boolean" },
        "db-only": { type: "boolean" },
        json: { type: "boolean" },
        "api-port": { type: "string" },
        "db-port": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    return fail(`${e instanceof Error ? e.message : String(e)}\n\n${HELP}`, 2);
  }
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${flag} must be a port number (1–65535), got "${value}"`, 2);
  return n;
}

/** Rounded tables grouped as `supabase status` groups them. */
function statusTables(status: Record<string, string>): string {
  const groups: Array<[string, Array<[string, string | undefined]>]> = [
    [
      "APIs",
      [
        ["Project URL", status.API_URL],
        ["REST", status.REST_URL],
        ["Edge Functions", status.FUNCTIONS_URL],
        ["Storage", status.STORAGE_URL],
        ["Realtime", status.REALTIME_URL],
      ],
    ],
    ["Database", [["URL", status.DB_URL]]],
    [
      "Authentication Keys",
      [
        ["Publishable", status.PUBLISHABLE_KEY],
        ["Secret", status.SECRET_KEY],
      ],
    ],
    [
      "Legacy keys (JWT)",
      [
        ["JWT secret", status.JWT_SECRET],
        ["anon key", status.ANON_KEY],
        ["service_role key", status.SERVICE_ROLE_KEY],
      ],
    ],
  ];
  const out: string[] = [];
  for (const [title, rows] of groups) {
    const present = rows.filter((r): r is [string, string] => Boolean(r[1]));
    if (!present.length) continue;
    const a = Math.max(...present.map(([k]) => k.length));
    const b = Math.max(title.length - a - 3, ...present.map(([, v]) => v.length));
    out.push(
      `╭${"─".repeat(a + b + 5)}╮`,
      `│ ${title.padEnd(a + b + 3)} │`,
      `├${"─".repeat(a + 2)}┬${"─".repeat(b + 2)}┤`,
    );
    for (const [k, v] of present) out.push(`│ ${k.padEnd(a)} │ ${v.padEnd(b)} │`);
    out.push(`╰${"─".repeat(a + 2)}┴${"─".repeat(b + 2)}╯`, "");
  }
  return out.join("\n");
}

const values = parse();
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.json) setLogStream("stderr");
// A person is editing: reload functions when their source changes (PARLEY_FUNCTIONS_WATCH=0 keeps them).
process.env.PARLEY_FUNCTIONS_WATCH ??= "1";
const apiPort = port(values["api-port"], "--api-port");
const dbPort = port(values["db-port"], "--db-port");

// Signals are ours: the stack is stopped here, in order (gateway and the functions' Deno processes, then
// Postgres), then the process exits; no library's own signal hook may exit first.
let stack: RunningStack | undefined;
let stopping = false;
let firstSignalAt = 0;
const stop = async (signal: string) => {
  if (stopping) {
    // Ctrl-C reaches this process twice (from the terminal, and relayed by tsx/npm): only a later one forces.
    if (Date.now() - firstSignalAt < 1_000) return;
    console.error(`${signal} again: exiting now`);
    process.exit(130);
  }
  stopping = true;
  firstSignalAt = Date.now();
  if (!stack) return; // still starting: stopped as soon as it is up (see below)
  console.error(`\n${signal}: stopping the stack…`);
  await stack.stop().catch((e: unknown) => console.error(e));
  console.error("stopped.");
  process.exit(0);
};
const claimSignals = () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // `npm run dev` runs this file in one process (node --import tsx). Started through the `tsx` command
    // instead, tsx's hidden handler must stay: process.listeners() leaves it out, so it is not removed
    // here (without it the tsx parent SIGKILLs this process 60 ms after relaying a signal).
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, () => void stop(signal));
  }
};
claimSignals();
// A launcher that exits without passing a signal on (SIGTERM to npm alone) is followed, not outlived.
followLaunchers((what) => void stop(what));
// With the launcher gone, the terminal or pipe reading our output may be too: a failed write must not
// crash the process before it has stopped Postgres and the Deno workers.
for (const out of [process.stdout, process.stderr]) out.on("error", () => undefined);

const started = Date.now();
try {
  stack = await startStack({
    workdir: values.workdir,
    reset: values.reset,
    dbOnly: values["db-only"],
    apiPort,
    dbPort,
  });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
claimSignals(); // again: in case anything started registered its own hooks
if (stopping) {
  stopping = false;
  await stop("signal received while starting");
}

const status = statusOf(stack.config);
if (values["db-only"]) {
  // npm run db:reset: the database is rebuilt; nothing keeps running.
  if (values.json) console.log(JSON.stringify({ DB_URL: status.DB_URL }, null, 2));
  else console.log(`\nDatabase ready (${((Date.now() - started) / 1000).toFixed(1)} s): ${status.DB_URL}\n`);
  await stack.stop();
  process.exit(0);
}
if (values.json) console.log(JSON.stringify(status, null, 2));
else {
  console.log(
    `\nParley local stack is running (${((Date.now() - started) / 1000).toFixed(1)} s) — serving ${stack.config.workdir}\n`,
  );
  console.log(statusTables(status));
  console.log("Press Ctrl-C to stop.\n");
}
