// `npm run soak`: proves with figures that nothing is lost or duplicated when things fail. Starts its
// own stack, runs N supabase-js clients sending with client_id retries for M minutes while subscribers
// catch up by seq after every reconnect, and injects faults meanwhile: Postgres killed (SIGKILL) and
// restarted, the gateway's Realtime connections dropped, the functions' Deno processes killed, and a
// slow database (a lock holder) that makes sends time out client-side and retry. Prints a table and one
// JSON line; exits 1 when a message was lost or duplicated or a fault was not survived. docs/reliability.md.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { sendWithRetries, soakClient, Subscriber, type SendStats } from "./clients.ts";
import { FAULT_KINDS, runFault, type FaultKind, type FaultResult } from "./faults.ts";
import { renderTable, summarise } from "./report.ts";
import { startSoakStack } from "./stack.ts";

const FLAGS = {
  clients: { type: "string", default: "50", help: "supabase-js clients, each a user sending and subscribed (N)" },
  minutes: {
    type: "string",
    default: "2",
    help: "how long the clients send (M); starting the stack, signing the users in and the final check add about a minute",
  },
  "group-size": { type: "string", default: "10", help: "members per group conversation" },
  "send-interval-ms": { type: "string", default: "1000", help: "mean pause between one client's sends" },
  "timeout-ms": {
    type: "string",
    default: "2000",
    help: "client-side timeout of one send attempt (then it is retried, same client_id)",
  },
  faults: {
    type: "string",
    default: FAULT_KINDS.join(","),
    help: `comma-separated, injected in this order, evenly spread: ${FAULT_KINDS.join(", ")}`,
  },
  "slow-ms": { type: "string", default: "6000", help: "how long the slow-database fault holds its lock" },
  json: { type: "boolean", default: false, help: "print only the JSON line" },
  "keep-logs": { type: "boolean", default: false, help: "keep the stack's data folder and log" },
  help: { type: "boolean", default: false, help: "this text" },
} as const;

function usage(): string {
  return `npm run soak -- [flags]\n${Object.entries(FLAGS)
    .map(
      ([name, f]) =>
        `  --${name.padEnd(18)} ${f.help}${"default" in f && f.type === "string" ? ` (default ${f.default})` : ""}`,
    )
    .join("\n")}`;
}

function flags(): Record<string, string | boolean> {
  try {
    return parseArgs({
      options: Object.fromEntries(
        Object.entries(FLAGS).map(([k, f]) => [k, { type: f.type, default: f.default }]),
      ) as never,
    }).values as Record<string, string | boolean>;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${usage()}`);
    process.exit(2);
  }
}
const v = flags();
if (v.help) {
  console.log(usage());
  process.exit(0);
}
const positive = (name: string): number => {
  const n = Number(v[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got "${String(v[name])}"\n\n${usage()}`);
    process.exit(2);
  }
  return n;
};
const clients = Math.round(positive("clients"));
const minutes = positive("minutes");
const groupSize = Math.max(2, Math.round(positive("group-size")));
const sendIntervalMs = positive("send-interval-ms");
const timeoutMs = positive("timeout-ms");
const slowMs = positive("slow-ms");
const faults = String(v.faults)
  .split(",")
  .map((f) => f.trim())
  .filter(Boolean) as FaultKind[];
for (const f of faults) {
  if (!FAULT_KINDS.includes(f)) {
    console.error(`--faults: unknown fault "${f}" (known: ${FAULT_KINDS.join(", ")})`);
    process.exit(2);
  }
}
const quiet = Boolean(v.json);
const say = (line: string) => quiet || console.log(line);

const epoch = performance.now();
const now = () => performance.now() - epoch;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

say(
  `soak: ${clients} clients in groups of ${groupSize}, sending for ${minutes} min; faults: ${faults.join(", ") || "none"}`,
);
const stack = await startSoakStack();
say(`stack up: API ${stack.apiUrl} (log ${stack.logFile})`);
const db = new pg.Pool({ connectionString: stack.dbUrl, max: 4 });
// The database is killed on purpose: connections fail (idle or checked out), new ones work.
db.on("error", () => undefined);
db.on("connect", (client) => client.on("error", () => undefined));
let exitCode = 1;
try {
  // Users through the real Auth (admin API, then password sign-in), groups written in the database
  // (membership as people who already talk: no consent step).
  const admin = soakClient({ apiUrl: stack.apiUrl, anonKey: stack.serviceRoleKey });
  const run = randomUUID().slice(0, 8);
  const users = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const email = `soak_${run}_${i}@example.test`;
      const password = `soak-${run}-Secret1`;
      const created = await admin.auth.admin.createUser({
        email,
        password,
        email_confirm: true,
        user_metadata: { username: `soak_${run}_${i}` },
      });
      if (created.error) throw new Error(`creating user ${i}: ${created.error.message}`);
      const client = soakClient(stack);
      const signedIn = await client.auth.signInWithPassword({ email, password });
      if (signedIn.error || !signedIn.data.session) throw new Error(`signing in user ${i}: ${signedIn.error?.message}`);
      await client.realtime.setAuth(signedIn.data.session.access_token);
      return { id: created.data.user!.id, client };
    }),
  );
  const groups: string[] = [];
  for (let g = 0; g * groupSize < clients; g++) {
    const members = users.slice(g * groupSize, (g + 1) * groupSize).map((u) => u.id);
    const { rows } = await db.query<{ id: string }>(
      `with c as (insert into parley.conversations (kind, title, created_by) values ('group', $1, $2) returning id)
       insert into parley.conversation_members (conversation_id, user_id, role)
       select c.id, u, case when u = $2 then 'owner' else 'member' end from c, unnest($3::uuid[]) u returning conversation_id as id`,
      [`soak ${run} #${g}`, members[0], members],
    );
    groups.push(rows[0]!.id);
  }
  const conversationOf = (i: number) => groups[Math.floor(i / groupSize)]!;
  const subscribers = users.map((u, i) => new Subscriber(u.id, conversationOf(i), u.client, now));
  await Promise.all(subscribers.map((s) => s.start()));
  say(`${users.length} users signed in, ${groups.length} groups, every client subscribed to its user:<id> channel`);

  // The load: every client sends at its own pace until the end, each message retried until acknowledged.
  const stats: SendStats = {
    attempted: 0,
    committed: [],
    abandoned: [],
    retries: { timeout: 0, network: 0, server: 0, rateLimited: 0 },
    refused: [],
    inFlight: new Map(),
  };
  const runMs = minutes * 60_000;
  const loadStart = now();
  const loadEnd = loadStart + runMs;
  const senderOpts = { timeoutMs, giveUpMs: 120_000 };
  const senders = users.map(async (u, i) => {
    await sleep(Math.random() * sendIntervalMs);
    while (now() < loadEnd) {
      await sendWithRetries(u.client, conversationOf(i), stats, now, senderOpts);
      await sleep(sendIntervalMs * (0.5 + Math.random()));
    }
  });

  // The faults, evenly spread over the run.
  const results: FaultResult[] = [];
  const faultCtx = { stack, db, subscribers, stats, now, slowMs, users, timeoutMs };
  const faultRunner = (async () => {
    for (let k = 0; k < faults.length; k++) {
      const at = loadStart + ((k + 1) * runMs) / (faults.length + 1);
      await sleep(Math.max(0, at - now()));
      say(`  ${(now() / 1000).toFixed(0).padStart(4)} s  injecting ${faults[k]}`);
      const r = await runFault(faults[k]!, faultCtx);
      results.push(r);
      say(
        `  ${(now() / 1000).toFixed(0).padStart(4)} s  ${faults[k]}: ${r.survived ? `recovered in ${(r.recoveryMs / 1000).toFixed(1)} s` : `NOT recovered (${r.note})`}`,
      );
    }
  })();
  await Promise.all([...senders, faultRunner]);

  // The check: one sentinel per group after everything else; once every subscriber has it, compare what
  // each saw (live or by catch-up after a reconnect) with what the database holds.
  const sentinelStats: SendStats = {
    ...stats,
    attempted: 0,
    committed: [],
    abandoned: [],
    refused: [],
    inFlight: new Map(),
  };
  const sentinels = new Map<string, number>();
  await Promise.all(
    groups.map(async (g, gi) => {
      const sent = await sendWithRetries(
        users[gi * groupSize]!.client,
        g,
        sentinelStats,
        now,
        senderOpts,
        `soak sentinel ${run}`,
      );
      if (sent) sentinels.set(g, sent.seq);
    }),
  );
  const missingSentinel = () => subscribers.filter((s) => !s.has(sentinels.get(s.conversationId) ?? -1));
  const deadline = now() + 60_000;
  while (missingSentinel().length && now() < deadline) await sleep(100);
  const { rows: stored } = await db.query<{
    conversation_id: string;
    seq: string;
    body: string | null;
    client_id: string | null;
  }>(
    "select conversation_id, seq::text, body, client_id::text from parley.messages where conversation_id = any($1::uuid[])",
    [groups],
  );
  const summary = summarise({
    stats,
    stored,
    subscribers,
    sentinelsMissing: missingSentinel().length,
    faults: results,
    clients,
    minutes,
    groupSize,
    timeoutMs,
    run,
  });
  if (!quiet) console.log(`\n${renderTable(summary)}\n`);
  console.log(JSON.stringify(summary));
  exitCode = summary.ok ? 0 : 1;
  await Promise.all(users.map((u) => u.client.removeAllChannels()));
} catch (e) {
  console.error(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await db.end().catch(() => undefined);
  await stack.stop({ keepLogs: Boolean(v["keep-logs"]) || exitCode !== 0 });
}
process.exit(exitCode);
