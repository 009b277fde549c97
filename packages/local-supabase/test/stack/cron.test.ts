// Supabase Cron in the local stack, through SQL as a user drives it: cron.schedule / unschedule /
// alter_job, jobs run by the stack's scheduler as their owner, runs recorded in cron.job_run_details.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPool, uniqueName, until } from "./background-support.ts";

const pool = newPool();
// A login role of this file's own (pg_cron runs a job as a role that may log in) and a schema for what its jobs write.
const owner = uniqueName("cron_owner");
const other = uniqueName("cron_other");
const schema = uniqueName("cron_t");

beforeAll(async () => {
  await pool.query(`
    create role ${owner} login; create role ${other} login;
    grant usage on schema cron to ${owner}, ${other};
    create schema ${schema};
    create table ${schema}.runs (job text, who text, session_who text, at timestamptz default clock_timestamp());
    create table ${schema}.secret (x int);
    grant usage on schema ${schema} to ${owner}, ${other};
    grant insert, select on ${schema}.runs to ${owner}, ${other};`);
});

afterAll(async () => {
  await pool.query(`delete from cron.job where username in ('${owner}', '${other}')`);
  await pool.query(`delete from cron.job_run_details where username in ('${owner}', '${other}')`);
  await pool.query(
    `drop schema ${schema} cascade; drop owned by ${owner}, ${other}; drop role ${owner}; drop role ${other}`,
  );
  await pool.end();
});

/** Runs `sql` as `role` (one session: set role, the statement, reset). */
async function as<T extends pg.QueryResultRow>(
  role: string,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<T>> {
  const c = await pool.connect();
  try {
    await c.query(`set role ${role}`);
    return await c.query<T>(sql, values);
  } finally {
    await c.query("reset role").catch(() => undefined);
    c.release();
  }
}

const runsOf = async (job: string) =>
  (await pool.query<{ n: number }>(`select count(*)::int as n from ${schema}.runs where job = $1`, [job])).rows[0]!.n;
const insertRun = (job: string) =>
  `insert into ${schema}.runs (job, who, session_who) values ('${job}', current_user, session_user)`;

interface RunDetail {
  jobid: string;
  runid: string;
  job_pid: number | null;
  database: string;
  username: string;
  command: string;
  status: string;
  return_message: string;
  start_time: Date;
  end_time: Date;
}
const finishedRuns = async (jobid: string) =>
  (
    await pool.query<RunDetail>(
      `select * from cron.job_run_details where jobid = $1 and status in ('succeeded', 'failed') order by runid`,
      [jobid],
    )
  ).rows;

// Each test has its own jobs and names: they run at once, so the file takes as long as its slowest test.
describe.concurrent("Supabase Cron (pg_cron stand-in)", () => {
  it("runs a job in its database as the role that scheduled it, and records the run", async () => {
    const name = uniqueName("job");
    const { rows } = await as<{ jobid: string }>(owner, `select cron.schedule($1, '1 seconds', $2) as jobid`, [
      name,
      insertRun(name),
    ]);
    const jobid = rows[0]!.jobid;

    const job = (
      await as<{ username: string; database: string; active: boolean; jobname: string; nodename: string }>(
        owner,
        `select * from cron.job where jobid = $1`,
        [jobid],
      )
    ).rows[0];
    expect(job).toMatchObject({
      username: owner,
      database: "postgres",
      active: true,
      jobname: name,
      nodename: "localhost",
    });

    const [run] = await until("a finished run", async () => {
      const r = await finishedRuns(jobid);
      return r.length ? r : undefined;
    });
    expect(run).toMatchObject({
      status: "succeeded",
      return_message: "INSERT 0 1",
      username: owner,
      database: "postgres",
      command: insertRun(name),
    });
    expect(run!.job_pid).toBeGreaterThan(0);
    expect(run!.end_time.getTime()).toBeGreaterThanOrEqual(run!.start_time.getTime());
    const written = await pool.query(`select who, session_who from ${schema}.runs where job = $1 limit 1`, [name]);
    expect(written.rows[0]).toEqual({ who: owner, session_who: owner });
    // The owner reads its own run through pg_cron's row security; another role sees neither job nor run.
    expect((await as(owner, `select 1 from cron.job_run_details where jobid = $1`, [jobid])).rowCount).toBeGreaterThan(
      0,
    );
    expect((await as(other, `select 1 from cron.job where jobid = $1`, [jobid])).rowCount).toBe(0);
    expect((await as(other, `select 1 from cron.job_run_details where jobid = $1`, [jobid])).rowCount).toBe(0);
    await as(owner, `select cron.unschedule($1::text)`, [name]);
  });

  it("records a failing job as failed with the error, run with its owner's rights", async () => {
    const name = uniqueName("job");
    const jobid = (
      await as<{ jobid: string }>(owner, `select cron.schedule($1, '1 seconds', $2) as jobid`, [
        name,
        `insert into ${schema}.secret values (1)`,
      ])
    ).rows[0]!.jobid;
    const [run] = await until("a finished run", async () => {
      const r = await finishedRuns(jobid);
      return r.length ? r : undefined;
    });
    expect(run).toMatchObject({ status: "failed", return_message: "ERROR:  permission denied for table secret\n" });
    await as(owner, `select cron.unschedule($1::bigint)`, [jobid]);
  });

  it("stops running a job once it is unscheduled", async () => {
    const [stopped, sentinel] = [uniqueName("job"), uniqueName("sentinel")];
    await as(owner, `select cron.schedule($1, '1 seconds', $2)`, [stopped, insertRun(stopped)]);
    await until("the job's first run", async () => (await runsOf(stopped)) > 0);
    expect((await as<{ ok: boolean }>(owner, `select cron.unschedule($1) as ok`, [stopped])).rows[0]!.ok).toBe(true);
    // A run started just before the unschedule committed may still land: count after the sentinel's first run.
    await as(owner, `select cron.schedule($1, '1 seconds', $2)`, [sentinel, insertRun(sentinel)]);
    await until("the sentinel's first run", async () => (await runsOf(sentinel)) >= 1);
    const before = await runsOf(stopped);
    await until("two more sentinel runs", async () => (await runsOf(sentinel)) >= 3);
    expect(await runsOf(stopped)).toBe(before);
    await as(owner, `select cron.unschedule($1)`, [sentinel]);
  });

  it("pauses and resumes a job through cron.alter_job", async () => {
    const [paused, sentinel] = [uniqueName("job"), uniqueName("sentinel")];
    const jobid = (
      await as<{ jobid: string }>(owner, `select cron.schedule($1, '1 seconds', $2) as jobid`, [
        paused,
        insertRun(paused),
      ])
    ).rows[0]!.jobid;
    await until("the job's first run", async () => (await runsOf(paused)) > 0);
    await pool.query(`select cron.alter_job($1, active := false)`, [jobid]);
    await as(owner, `select cron.schedule($1, '1 seconds', $2)`, [sentinel, insertRun(sentinel)]);
    await until("the sentinel's first run", async () => (await runsOf(sentinel)) >= 1);
    const before = await runsOf(paused);
    await until("two more sentinel runs", async () => (await runsOf(sentinel)) >= 3);
    expect(await runsOf(paused)).toBe(before);
    await pool.query(`select cron.alter_job($1, schedule := '2 seconds', active := true)`, [jobid]);
    expect((await pool.query(`select schedule, active from cron.job where jobid = $1`, [jobid])).rows[0]).toEqual({
      schedule: "2 seconds",
      active: true,
    });
    await until("a run after resuming", async () => (await runsOf(paused)) > before);
    await as(owner, `select cron.unschedule($1)`, [paused]);
    await as(owner, `select cron.unschedule($1)`, [sentinel]);
  });

  it("never runs two instances of a job at once", { timeout: 30_000 }, async () => {
    const name = uniqueName("job");
    const jobid = (
      await as<{ jobid: string }>(owner, `select cron.schedule($1, '1 seconds', 'select pg_sleep(1.3)') as jobid`, [
        name,
      ])
    ).rows[0]!.jobid;
    const runs = await until(
      "two finished runs",
      async () => {
        const r = await finishedRuns(jobid);
        return r.length >= 2 ? r : undefined;
      },
      15_000,
    );
    await as(owner, `select cron.unschedule($1)`, [name]);
    expect(runs.map((r) => r.status)).toEqual(runs.map(() => "succeeded"));
    expect(runs[0]!.return_message).toBe("1 row");
    expect(runs[1]!.start_time.getTime()).toBeGreaterThanOrEqual(runs[0]!.end_time.getTime());
  });

  it("replaces a job scheduled again under the same name, per owner", async () => {
    const name = uniqueName("job");
    const first = (await as<{ id: string }>(owner, `select cron.schedule($1, '0 3 * * *', 'select 1') as id`, [name]))
      .rows[0]!.id;
    const again = (
      await as<{ id: string }>(owner, `select cron.schedule($1, '*/10 * * * mon-fri', 'select 2') as id`, [name])
    ).rows[0]!.id;
    const theirs = (await as<{ id: string }>(other, `select cron.schedule($1, '@daily', 'select 3') as id`, [name]))
      .rows[0]!.id;
    expect(again).toBe(first);
    expect(theirs).not.toBe(first);
    expect((await pool.query(`select schedule, command from cron.job where jobid = $1`, [first])).rows[0]).toEqual({
      schedule: "*/10 * * * mon-fri",
      command: "select 2",
    });
    await as(owner, `select cron.unschedule($1)`, [name]);
    await as(other, `select cron.unschedule($1)`, [name]);
  });

  it("refuses what pg_cron refuses, with pg_cron's messages", async () => {
    const refused = async (role: string, sql: string, values: unknown[] = []) => {
      try {
        await as(role, sql, values);
      } catch (e) {
        const d = e as pg.DatabaseError;
        return { code: d.code, message: d.message, hint: d.hint };
      }
      throw new Error(`not refused: ${sql}`);
    };
    for (const schedule of [
      "60 seconds",
      "0 seconds",
      "1/5 * * * *",
      "61 * * * *",
      "* * * *",
      "* * * * * *",
      "*/0 * * * *",
      "@every",
    ]) {
      expect(await refused(owner, `select cron.schedule('x', $1, 'select 1')`, [schedule])).toEqual({
        code: "22023",
        message: `invalid schedule: ${schedule}`,
        hint: "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'",
      });
    }
    expect((await refused(owner, `select cron.unschedule('no_such_job')`)).message).toBe(
      "could not find valid entry for job 'no_such_job'",
    );
    expect((await refused(owner, `select cron.unschedule(-1::bigint)`)).message).toBe(
      "could not find valid entry for job -1",
    );
    expect((await refused(owner, `select cron.schedule(null, '1 seconds', 'select 1')`)).message).toBe(
      "job_name can not be NULL",
    );
    // Another database or owner, and altering jobs, are for admins (pg_cron revokes both from public).
    expect(
      (await refused(owner, `select cron.schedule_in_database('x', '1 seconds', 'select 1', 'postgres')`)).code,
    ).toBe("42501");
    expect((await refused(owner, `select cron.alter_job(1, active := false)`)).code).toBe("42501");
    // A job of another role is not there for this one.
    const theirs = (
      await as<{ id: string }>(other, `select cron.schedule($1, '@hourly', 'select 1') as id`, [uniqueName("job")])
    ).rows[0]!.id;
    expect((await refused(owner, `select cron.unschedule($1::bigint)`, [theirs])).message).toBe(
      `could not find valid entry for job ${theirs}`,
    );
    await as(other, `select cron.unschedule($1::bigint)`, [theirs]);
  });

  it("accepts pg_cron's schedule syntax: ranges, steps, lists, names, $, shortcuts and seconds", async () => {
    const { rows } = await pool.query<{ s: string; parsed: Record<string, unknown> | null }>(
      `select s, cron._parse_schedule(s) as parsed from unnest($1::text[]) as s`,
      [
        [
          "*/15 9-17 * * mon-fri",
          "0,30 0 1,15 jan,jul *",
          "5 4 * * 7",
          "0 0 $ * *",
          "10-40/10 * * * *",
          "@weekly",
          "@reboot",
          "30 seconds",
          "1 second",
        ],
      ],
    );
    const by = Object.fromEntries(rows.map((r) => [r.s, r.parsed]));
    expect(by["*/15 9-17 * * mon-fri"]).toMatchObject({
      minutes: [0, 15, 30, 45],
      hours: [9, 10, 11, 12, 13, 14, 15, 16, 17],
      days_of_week: [1, 2, 3, 4, 5],
      day_star: true,
    });
    expect(by["0,30 0 1,15 jan,jul *"]).toMatchObject({ minutes: [0, 30], days_of_month: [1, 15], months: [1, 7] });
    expect(by["5 4 * * 7"]).toMatchObject({ days_of_week: [0, 7] });
    expect(by["0 0 $ * *"]).toMatchObject({ last_day_of_month: true, days_of_month: [] });
    expect(by["10-40/10 * * * *"]).toMatchObject({ minutes: [10, 20, 30, 40] });
    expect(by["@weekly"]).toMatchObject({ minutes: [0], hours: [0], days_of_week: [0, 7] });
    expect(by["@reboot"]).toEqual({ reboot: true });
    expect(by["30 seconds"]).toEqual({ seconds: 30 });
    expect(by["1 second"]).toEqual({ seconds: 1 });
  });
});
