// pg_cron's timing rules in the scheduler's planner, over an injected clock: minutes named by cron
// syntax (schedules parsed by the extension's own cron._parse_schedule), seconds intervals, @reboot,
// catching up after a slow tick, and no second run while one is running.
import { afterAll, describe, expect, it } from "vitest";
import { Planner, type CronJob, type ParsedSchedule } from "../../src/cron/planner.ts";
import { newPool } from "./background-support.ts";

const pool = newPool();
afterAll(() => pool.end());

async function job(jobid: number, schedule: string): Promise<CronJob> {
  const { rows } = await pool.query<{ parsed: ParsedSchedule | null }>(`select cron._parse_schedule($1) as parsed`, [
    schedule,
  ]);
  return {
    jobid,
    schedule,
    command: "select 1",
    database: "postgres",
    username: "postgres",
    active: true,
    parsed: rows[0]!.parsed,
  };
}

const at = (iso: string) => Date.parse(iso);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Ticks the planner every `stepMs` from `from` to `to`, finishing every run at once; returns the start times of each job's runs. */
function simulate(jobs: CronJob[], from: number, to: number, stepMs: number): Map<number, string[]> {
  const planner = new Planner();
  const starts = new Map<number, string[]>(jobs.map((j) => [j.jobid, []]));
  for (let t = from; t <= to; t += stepMs) {
    for (const j of planner.due(jobs, t)) {
      starts.get(j.jobid)!.push(new Date(t).toISOString());
      planner.finished(j.jobid);
    }
  }
  return starts;
}

describe("the pg_cron scheduler's planner", () => {
  it("runs a five-field schedule at the minutes it names (UTC), once each", async () => {
    const jobs = [await job(1, "*/15 9-10 * * mon-fri"), await job(3, "30 12 13 * fri")];
    // Thursday 2026-04-30 08:00 to Sunday 2026-05-03 00:00, ticking every 20 s.
    const runs = simulate(jobs, at("2026-04-30T08:00:00Z"), at("2026-05-03T00:00:00Z"), 20 * SECOND);
    expect(runs.get(1)).toEqual(
      ["2026-04-30", "2026-05-01"].flatMap((d) =>
        ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45"].map((h) => `${d}T${h}:00.000Z`),
      ),
    );
    // Day of month 13 or a Friday (both day fields restricted: either matches, as in Vixie cron).
    expect(runs.get(3)).toEqual(["2026-05-01T12:30:00.000Z"]);
  });

  it("runs '$' on the last day of each month", async () => {
    const runs = simulate([await job(1, "0 0 $ * *")], at("2026-01-30T23:59:00Z"), at("2026-03-01T00:01:00Z"), MINUTE);
    expect(runs.get(1)).toEqual(["2026-01-31T00:00:00.000Z", "2026-02-28T00:00:00.000Z"]);
  });

  it("catches up the minutes a slow tick skipped, up to five; after a longer gap only the current one", async () => {
    const every = await job(1, "* * * * *");
    const planner = new Planner();
    const t0 = at("2026-06-01T10:00:05Z");
    expect(planner.due([every], t0)).toEqual([]);
    planner.due([every], t0 + 3 * MINUTE).forEach((j) => planner.finished(j.jobid));
    // 10:01, 10:02 and 10:03 were each owed a run: one starts now, two wait their turn.
    expect(planner.pendingOf(1)).toBe(2);
    const fresh = new Planner();
    fresh.due([every], t0);
    fresh.due([every], t0 + 30 * MINUTE).forEach((j) => fresh.finished(j.jobid));
    expect(fresh.pendingOf(1)).toBe(0);
  });

  it("runs an interval job at once, then every interval, and queues at most one run while it is slow", async () => {
    const tenSeconds = await job(1, "10 seconds");
    const planner = new Planner();
    const t0 = at("2026-06-01T10:00:00.500Z");
    expect(planner.due([tenSeconds], t0).map((j) => j.jobid)).toEqual([1]);
    expect(planner.due([tenSeconds], t0 + 5 * SECOND)).toEqual([]);
    // Still running 40 s later: one run is owed, not four, and none starts while it runs.
    expect(planner.due([tenSeconds], t0 + 40 * SECOND)).toEqual([]);
    expect(planner.pendingOf(1)).toBe(1);
    planner.finished(1);
    expect(planner.due([tenSeconds], t0 + 41 * SECOND).map((j) => j.jobid)).toEqual([1]);
    planner.finished(1);
    expect(planner.due([tenSeconds], t0 + 45 * SECOND)).toEqual([]);
    expect(planner.due([tenSeconds], t0 + 51 * SECOND).map((j) => j.jobid)).toEqual([1]);
  });

  it("runs @reboot jobs once when it starts, and nothing for inactive or unparseable jobs", async () => {
    const reboot = await job(1, "@reboot");
    const inactive = { ...(await job(2, "1 seconds")), active: false };
    const broken = await job(3, "not a schedule");
    expect(broken.parsed).toBeNull();
    const runs = simulate([reboot, inactive, broken], at("2026-06-01T10:00:00Z"), at("2026-06-01T10:05:00Z"), SECOND);
    expect(runs.get(1)).toEqual(["2026-06-01T10:00:00.000Z"]);
    expect(runs.get(2)).toEqual([]);
    expect(runs.get(3)).toEqual([]);
  });

  it("starts no more than cron.max_running_jobs at once", async () => {
    const jobs = await Promise.all([1, 2, 3].map((id) => job(id, "1 seconds")));
    const planner = new Planner({ maxRunning: 2 });
    expect(planner.due(jobs, at("2026-06-01T10:00:00Z")).map((j) => j.jobid)).toEqual([1, 2]);
    planner.finished(1);
    expect(planner.due(jobs, at("2026-06-01T10:00:00.200Z")).map((j) => j.jobid)).toEqual([3]);
  });
});
