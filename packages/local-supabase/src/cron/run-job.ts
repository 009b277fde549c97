// Runs one pg_cron job as pg_cron does: a new connection to the job's database as its owner, the
// command sent as one simple query, the run recorded in cron.job_run_details.
import pg from "pg";
import type { CronJob } from "./planner.ts";

/** What a run needs from the scheduler. */
export interface RunContext {
  /** Superuser URL of the server (its database part is replaced by the job's). */
  serverUrl: string;
  /** Records in cron.job_run_details (the scheduler's own connection, in the cron database). */
  record: (sql: string, values: unknown[]) => Promise<pg.QueryResult>;
}

/** The connection URL for database `name` on the server of `serverUrl`. */
function urlFor(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/** The status line libpq's PQcmdStatus / pg_cron gives for a result ("INSERT 0 1", "UPDATE 3", "3 rows"). */
export function returnMessage(result: pg.QueryResult | undefined): string {
  if (!result) return "0 rows";
  // A result with a row description is pg_cron's PGRES_TUPLES_OK: "<n> row(s)".
  if (result.fields.length > 0) return `${result.rows.length} ${result.rows.length === 1 ? "row" : "rows"}`;
  const command = result.command ?? "";
  if (command === "INSERT") return `INSERT ${result.oid ?? 0} ${result.rowCount ?? 0}`;
  if (
    result.rowCount !== null &&
    result.rowCount !== undefined &&
    /^(UPDATE|DELETE|MERGE|SELECT|MOVE|FETCH|COPY)$/.test(command)
  ) {
    return `${command} ${result.rowCount}`;
  }
  return command;
}

/** An error as libpq's PQresultErrorMessage words it: "ERROR:  <message>\n" then DETAIL / HINT / CONTEXT lines. */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return `ERROR:  ${String(e)}\n`;
  const d = e as pg.DatabaseError;
  let text = `${d.severity ?? "ERROR"}:  ${e.message}\n`;
  if (d.detail) text += `DETAIL:  ${d.detail}\n`;
  if (d.hint) text += `HINT:  ${d.hint}\n`;
  if (d.where) text += `CONTEXT:  ${d.where}\n`;
  return text;
}

/**
 * One run of `job`: a 'starting' row, then 'running' with the backend's pid and start time once
 * connected as the owner, then 'succeeded' with the command's status line or 'failed' with the error,
 * and the end time. A job whose database or owner is gone, or whose owner may not connect to that
 * database (or may not log in), fails with "connection failed" as in pg_cron.
 */
export async function runJob(job: CronJob, ctx: RunContext): Promise<void> {
  const inserted = await ctx.record(
    `insert into cron.job_run_details (jobid, database, username, command, status)
     values ($1, $2, $3, $4, 'starting') returning runid`,
    [job.jobid, job.database, job.username, job.command],
  );
  const runid = inserted.rows[0].runid as string;
  const finish = (status: "succeeded" | "failed", message: string) =>
    ctx.record(
      `update cron.job_run_details set status = $2, return_message = $3, start_time = coalesce(start_time, now()), end_time = now() where runid = $1`,
      [runid, status, message],
    );

  const client = new pg.Client({ connectionString: urlFor(ctx.serverUrl, job.database), application_name: "pg_cron" });
  let pid: number | undefined;
  try {
    await client.connect();
    // pg_cron connects as the job's owner; the stand-in connects as the superuser and becomes the
    // owner for the whole session (session_user and current_user are the owner, as in pg_cron).
    const allowed = await client.query<{ ok: boolean; pid: number }>(
      `select exists (select from pg_catalog.pg_roles where rolname = $1 and rolcanlogin)
              and pg_catalog.has_database_privilege($1, pg_catalog.current_database(), 'CONNECT') as ok,
              pg_catalog.pg_backend_pid() as pid`,
      [job.username],
    );
    if (!allowed.rows[0]?.ok) throw new Error("connection failed");
    pid = allowed.rows[0].pid;
    await client.query(`set session authorization ${client.escapeIdentifier(job.username)}`);
  } catch {
    // Whatever stopped the session (no such database or role, no LOGIN, no CONNECT, server gone):
    // pg_cron records the same words for every connection failure.
    await client.end().catch(() => undefined);
    await finish("failed", "connection failed");
    return;
  }
  try {
    await ctx.record(
      `update cron.job_run_details set status = 'running', job_pid = $2, start_time = now() where runid = $1`,
      [runid, pid ?? null],
    );
    // No parameters: the simple query protocol, so a command may hold several statements.
    const out = (await client.query(job.command)) as pg.QueryResult | pg.QueryResult[];
    const last = Array.isArray(out) ? out[out.length - 1] : out;
    await finish("succeeded", returnMessage(last));
  } catch (e) {
    await finish("failed", errorMessage(e)).catch(() => undefined);
  } finally {
    await client.end().catch(() => undefined);
  }
}
