// When each pg_cron job is due: pg_cron's scheduling rules over an injected clock, with no I/O.

/** A schedule as `cron._parse_schedule` returns it (sql/extensions/pg_cron--1.6.sql). */
export type ParsedSchedule =
  | { seconds: number }
  | { reboot: true }
  | {
      minutes: number[];
      hours: number[];
      days_of_month: number[];
      months: number[];
      days_of_week: number[];
      last_day_of_month: boolean;
      /** Either day field starts with `*`: a day must match both fields, otherwise either. */
      day_star: boolean;
    };

/** One row of cron.job, with its parsed schedule (null when pg_cron would not run it). */
export interface CronJob {
  jobid: number;
  schedule: string;
  command: string;
  database: string;
  username: string;
  active: boolean;
  parsed: ParsedSchedule | null;
}

const MINUTE = 60_000;

/** Whether a five-field schedule names the minute starting at `minuteStart` (UTC: pg_cron's default cron.timezone, GMT). */
export function namesMinute(s: ParsedSchedule, minuteStart: number): boolean {
  if (!("minutes" in s)) return false;
  const t = new Date(minuteStart);
  const tomorrow = new Date(minuteStart + 24 * 60 * MINUTE);
  const dom = s.days_of_month.includes(t.getUTCDate()) || (s.last_day_of_month && tomorrow.getUTCDate() === 1);
  const dow = s.days_of_week.includes(t.getUTCDay());
  return (
    s.minutes.includes(t.getUTCMinutes()) &&
    s.hours.includes(t.getUTCHours()) &&
    s.months.includes(t.getUTCMonth() + 1) &&
    (s.day_star ? dom && dow : dom || dow)
  );
}

interface JobState {
  /** Runs owed and not yet started. */
  pending: number;
  running: boolean;
  /** When the last run started (ms); 0 before the first. */
  lastStart: number;
}

/** Options of a Planner. */
export interface PlannerOptions {
  /** Most jobs running at once (pg_cron's cron.max_running_jobs); default 32. */
  maxRunning?: number;
}

/**
 * pg_cron's task bookkeeping: a run is owed for every minute a cron schedule names (minutes missed
 * by a slow tick are caught up, up to five, as pg_cron does for a clock that moved 1–5 minutes; after
 * a longer gap only the current minute counts), an interval job is owed a run once its interval has
 * passed since its last start (and at most one is queued, so a slow job returns to its cadence),
 * @reboot jobs once when the planner starts. A job never runs twice at once: a run owed while it
 * runs waits for it to finish.
 */
export class Planner {
  private readonly states = new Map<number, JobState>();
  private lastMinute = 0;
  private rebootDone = false;
  private readonly maxRunning: number;

  constructor(opts: PlannerOptions = {}) {
    this.maxRunning = opts.maxRunning ?? 32;
  }

  /** The jobs to start now (marked running until `finished`), given cron.job as it is and the clock. */
  due(jobs: CronJob[], now: number): CronJob[] {
    const live = new Set(jobs.map((j) => j.jobid));
    for (const [id, st] of this.states) if (!live.has(id) && !st.running) this.states.delete(id);
    const stateOf = (id: number): JobState => {
      let st = this.states.get(id);
      if (!st) this.states.set(id, (st = { pending: 0, running: false, lastStart: 0 }));
      return st;
    };
    const active = jobs.filter((j) => j.active && j.parsed);
    for (const j of jobs) if (!j.active || !j.parsed) stateOf(j.jobid).pending = 0;

    if (!this.rebootDone) {
      for (const j of active) if (j.parsed && "reboot" in j.parsed) stateOf(j.jobid).pending += 1;
      this.rebootDone = true;
    }
    for (const j of active) {
      const st = stateOf(j.jobid);
      if (j.parsed && "seconds" in j.parsed && st.pending === 0 && now - st.lastStart >= j.parsed.seconds * 1000)
        st.pending += 1;
    }
    const minute = Math.floor(now / MINUTE) * MINUTE;
    if (this.lastMinute === 0) this.lastMinute = minute;
    const passed = (minute - this.lastMinute) / MINUTE;
    if (passed > 0) {
      const minutes =
        passed <= 5 ? Array.from({ length: passed }, (_, i) => this.lastMinute + (i + 1) * MINUTE) : [minute];
      for (const j of active) {
        const st = stateOf(j.jobid);
        for (const m of minutes) if (j.parsed && namesMinute(j.parsed, m)) st.pending += 1;
      }
      this.lastMinute = minute;
    }
    // A clock that went back keeps lastMinute until it catches up, so fixed-time jobs do not repeat.

    let running = [...this.states.values()].filter((s) => s.running).length;
    const start: CronJob[] = [];
    for (const j of active) {
      const st = stateOf(j.jobid);
      if (st.pending > 0 && !st.running && running < this.maxRunning) {
        st.pending -= 1;
        st.running = true;
        st.lastStart = now;
        running += 1;
        start.push(j);
      }
    }
    return start;
  }

  /** A run of `jobid` ended (succeeded or failed): the job may start again. */
  finished(jobid: number): void {
    const st = this.states.get(jobid);
    if (st) st.running = false;
  }

  /** Runs owed to `jobid` and not started yet (for tests and logs). */
  pendingOf(jobid: number): number {
    return this.states.get(jobid)?.pending ?? 0;
  }
}
