// The outbox through the service-role RPCs, with supabase-js: lease a batch, settle a job.
import { createClient } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import { type PushJob, pushJob, type PushOutcome } from "../_shared/schemas.ts";
import { serverClientOptions } from "../_shared/supabase-options.ts";

export interface PushStore {
  /** Leases up to `max` due jobs for `leaseSeconds`. */
  claim(max: number, leaseSeconds: number): Promise<PushJob[]>;
  /** Records the devices' outcomes; the database decides sent / retry / failed. */
  finish(jobId: string, leaseId: string, outcomes: PushOutcome[]): Promise<void>;
}

/** The production store: SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY. */
export function supabasePushStore(env: (name: string) => string | undefined): PushStore {
  const url = env("SUPABASE_URL");
  const key = env("SUPABASE_SERVICE_ROLE_KEY") ?? env("SUPABASE_SECRET_KEY");
  const client = () => {
    if (!url || !key)
      throw new HttpError(503, "supabase_not_configured", "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set.");
    return createClient(url, key, serverClientOptions);
  };
  return {
    async claim(max, leaseSeconds) {
      const { data, error } = await client().rpc("service_role_claim_push_jobs", {
        max_count: max,
        lease_seconds: leaseSeconds,
      });
      if (error) throw new HttpError(500, "database_error", `Could not lease push jobs: ${error.message}`);
      const parsed = pushJob.array().safeParse(data);
      if (!parsed.success)
        throw new HttpError(
          500,
          "database_error",
          `service_role_claim_push_jobs returned an unexpected value: ${parsed.error.message}`,
        );
      return parsed.data;
    },
    async finish(jobId, leaseId, outcomes) {
      const { error } = await client().rpc("service_role_finish_push_job", {
        job_id: jobId,
        lease_id: leaseId,
        outcomes,
      });
      if (error) throw new HttpError(500, "database_error", `Could not record push job ${jobId}: ${error.message}`);
    },
  };
}
