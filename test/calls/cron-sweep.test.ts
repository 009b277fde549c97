// Parley's cron job under the local stack's Supabase Cron: the migration schedules parley_sweep_calls every
// 15 s, and the stack's scheduler runs it, so a call nobody answers becomes missed with no RPC called.
import pg from "pg";
import { afterAll, describe, expect, it, vi } from "vitest";
import { newUser, parleyOf } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";

const pool = new pg.Pool({ connectionString: stackEnv.dbUrl, max: 2 });
afterAll(() => pool.end());

describe("the call sweep under Supabase Cron", () => {
  it("is scheduled by the migration, every 15 seconds, as the postgres user", async () => {
    const { rows } = await pool.query(
      `select schedule, command, username, active from cron.job where jobname = 'parley_sweep_calls'`,
    );
    expect(rows).toEqual([
      { schedule: "15 seconds", command: "select parley_internal.sweep_calls()", username: "postgres", active: true },
    ]);
  });

  it("turns a call that rang past its deadline into missed on its own", { timeout: 40_000 }, async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const dm = await parleyOf(a.client).rpc("get_or_create_direct_conversation", { other_user_id: b.id });
    expect(dm.error).toBeNull();
    const conversationId = typeof dm.data === "string" ? dm.data : (dm.data as { id: string }).id;
    const call = await parleyOf(a.client)
      .rpc("start_call", { conversation_id: conversationId, media: "audio" })
      .single<{ id: string; status: string }>();
    expect(call.data?.status).toBe("ringing");
    const callId = call.data!.id;
    // B's phone rang 46 s ago (the ring timeout is 45 s); from here on nobody calls an RPC.
    await pool.query(
      `update parley.call_participants set invited_at = invited_at - interval '46 seconds' where call_id = $1 and state = 'ringing'`,
      [callId],
    );
    const since = new Date();

    // The scheduler acts on its own time: wait for its effect.
    const ended = await vi.waitUntil(
      async () => {
        const r = await pool.query<{ status: string; end_reason: string | null }>(
          `select status, end_reason from parley.calls where id = $1`,
          [callId],
        );
        return r.rows[0]?.status !== "ringing" ? r.rows[0] : undefined;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(ended.status).toBe("missed");
    const participant = await pool.query(
      `select state from parley.call_participants where call_id = $1 and user_id = $2`,
      [callId, b.id],
    );
    expect(participant.rows).toEqual([{ state: "missed" }]);
    // It was a run of the cron job that did it: the call was settled while that run ran. The scheduler records
    // the run's end once the job's transaction has committed, so the record may follow the call's change.
    const runs = await vi.waitUntil(
      async () => {
        const r = await pool.query(
          `select d.runid from cron.job_run_details d join cron.job j using (jobid), parley.calls c
            where j.jobname = 'parley_sweep_calls' and d.status = 'succeeded' and d.start_time >= $1
              and c.id = $2 and c.updated_at between d.start_time and d.end_time`,
          [since, callId],
        );
        return r.rowCount ? r : undefined;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(runs.rowCount).toBe(1);
  });
});
