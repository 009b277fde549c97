// The stack's pg_cron scheduler: reads cron.job from the stack's database, runs each due job in its
// database as its owner, and records every run in cron.job_run_details.
import type pg from "pg";
import { ListeningConnection } from "../postgres/listener.ts";
import { Planner, type CronJob, type ParsedSchedule } from "./planner.ts";
import { runJob } from "./run-job.ts";

/** Options of the scheduler. */
export interface CronSchedulerOptions {
  /** Superuser URL of the database holding cron.job (pg_cron's cron.database_name). */
  url: string;
  log: (line: string) => void;
  /** How often due jobs are looked for (ms); default 1000, as pg_cron wakes every second. */
  tickMs?: number;
  /** The clock (ms since the epoch); default Date.now. */
  now?: () => number;
}

export interface CronScheduler {
  /** Stops looking for due jobs, waits up to `graceMs` (default 2000) for running ones, then disconnects. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the scheduler; it keeps retrying while the database is not reachable. */
export async function startCronScheduler(opts: CronSchedulerOptions): Promise<CronScheduler> {
  const now = opts.now ?? Date.now;
  const planner = new Planner();
  const running = new Set<Promise<void>>();
  let jobs: CronJob[] = [];
  let stale = true;
  let ticking = false;
  let closed = false;

  const conn = new ListeningConnection({
    url: opts.url,
    applicationName: "pg_cron scheduler",
    channels: ["cron_job_cache_invalidate"],
    log: opts.log,
    // As pg_cron at start: runs left 'starting' or 'running' by a scheduler that stopped are over.
    onConnect: async (client) => {
      stale = true;
      if (await hasCron(client)) {
        await client.query(
          `update cron.job_run_details set status = 'failed', return_message = 'server restarted', end_time = coalesce(end_time, now())
            where status in ('starting', 'running') and not exists (
              select from pg_catalog.pg_stat_activity a where a.pid = job_pid and a.application_name = 'pg_cron')`,
        );
      }
    },
    onNotify: () => {
      stale = true;
    },
  });
  await conn.start();

  // A run outlives a lost scheduler connection (it has its own): its record waits up to 5 s for the
  // scheduler to be connected again, so the run still ends as succeeded or failed.
  const record = async (sql: string, values: unknown[]) => {
    for (let i = 0; !conn.current && i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 100));
    const c = conn.current;
    if (!c) throw new Error("pg_cron scheduler: not connected");
    return c.query(sql, values);
  };

  async function tick(): Promise<void> {
    const client = conn.current;
    if (ticking || closed || !client) return;
    ticking = true;
    try {
      if (stale) {
        stale = false;
        jobs = (await hasCron(client)) ? await loadJobs(client) : [];
      }
      for (const job of planner.due(jobs, now())) {
        const run = runJob(job, { serverUrl: opts.url, record })
          .catch((e: unknown) =>
            opts.log(`pg_cron: job ${job.jobid} could not be recorded: ${e instanceof Error ? e.message : String(e)}`),
          )
          .finally(() => {
            planner.finished(job.jobid);
            running.delete(run);
          });
        running.add(run);
      }
    } catch (e) {
      stale = true;
      opts.log(`pg_cron: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      ticking = false;
    }
  }

  const timer = setInterval(() => void tick(), opts.tickMs ?? 1000);
  timer.unref();
  return {
    async close(graceMs = 2000) {
      closed = true;
      clearInterval(timer);
      await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await conn.close();
    },
  };
}

async function hasCron(client: pg.Client): Promise<boolean> {
  const r = await client.query<{ present: boolean }>(`select to_regclass('cron.job') is not null as present`);
  return r.rows[0]?.present === true;
}

async function loadJobs(client: pg.Client): Promise<CronJob[]> {
  const r = await client.query<{
    jobid: string;
    schedule: string;
    command: string;
    database: string;
    username: string;
    active: boolean;
    parsed: ParsedSchedule | null;
  }>(
    `select jobid, schedule, command, database, username, active, cron._parse_schedule(schedule) as parsed from cron.job order by jobid`,
  );
  return r.rows.map((row) => ({ ...row, jobid: Number(row.jobid) }));
}
