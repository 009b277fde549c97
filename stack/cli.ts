// `npm run dev`: a Docker-free `supabase start` for Parley or any Supabase project folder.
import { parseArgs } from "node:util";
import { startStack, statusOf } from "./stack.ts";

const HELP = `Usage: npm run dev -- [options]

  --workdir <path>   Supabase project folder to serve (default: this folder)
  --reset            wipe the local database and rebuild it from migrations and seed
  --db-only          start Postgres and apply migrations, then exit (with --reset: npm run db:reset)
  --json             print the status as JSON instead of a table
  --api-port <n>     gateway port (default 54321 or [api] port)
  --db-port <n>      Postgres port (default 54322 or [db] port)
  -h, --help         this text

Environment: DATABASE_URL uses an existing server instead of starting one.`;

const { values } = parseArgs({
  options: {
    workdir: { type: "string" },
    reset: { type: "boolean" },
    "db-only": { type: "boolean" },
    json: { type: "boolean" },
    "api-port": { type: "string" },
    "db-port": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const started = Date.now();
try {
  const stack = await startStack({
    workdir: values.workdir,
    reset: values.reset,
    dbOnly: values["db-only"],
    apiPort: values["api-port"] ? Number(values["api-port"]) : undefined,
    dbPort: values["db-port"] ? Number(values["db-port"]) : undefined,
  });
  const status = statusOf(stack.config);
  if (values.json) console.log(JSON.stringify(status));
  else {
    const width = Math.max(...Object.keys(status).map((k) => k.length));
    console.log(`\nParley local stack is running (${((Date.now() - started) / 1000).toFixed(1)} s).\n`);
    for (const [k, v] of Object.entries(status)) console.log(`  ${k.padStart(width)}: ${v}`);
    console.log("");
  }
  if (values["db-only"]) {
    await stack.stop();
    process.exit(0);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the stack…`);
    await stack.stop().catch((e) => console.error(e));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (e) {
  console.error(`\nnpm run dev failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
