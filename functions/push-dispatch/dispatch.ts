// Draining the outbox: lease a batch, send each job to each of its devices through its provider, report
// every device's outcome, repeat until nothing is due or the time budget is spent.
import type { PushDevice, PushDispatchResult, PushJob, PushOutcome } from "../_shared/schemas.ts";
import type { DeviceOutcome, Sender } from "./providers/common.ts";
import type { PushStore } from "./store.ts";

export interface DrainOptions {
  /** Jobs per lease (default 50). */
  batchSize?: number;
  /** How long a leased job is ours (default 60 s); after that another run may take it. */
  leaseSeconds?: number;
  /** Stop leasing new batches after this long (default 20 s), well within the runtime's limit. */
  budgetMs?: number;
  /** Jobs sent at once (default 8). */
  concurrency?: number;
}

export interface DrainDeps {
  store: PushStore;
  /** One sender per configured provider; a device of a provider without one fails with that reason. */
  senders: Partial<Record<PushDevice["provider"], Sender>>;
  log?: (message: string) => void;
}

/** Every device of one job, at once; a sender that throws counts as a retry. */
export async function sendJob(job: PushJob, senders: DrainDeps["senders"]): Promise<PushOutcome[]> {
  return await Promise.all(
    job.devices.map(async (device): Promise<PushOutcome> => {
      const sender = senders[device.provider];
      let outcome: DeviceOutcome;
      if (!sender) outcome = { outcome: "failed", error: `${device.provider} is not configured for push-dispatch` };
      else {
        try {
          outcome = await sender(job, device);
        } catch (error) {
          outcome = { outcome: "retry", error: error instanceof Error ? error.message : String(error) };
        }
      }
      return { device_id: device.id, ...outcome };
    }),
  );
}

/** Drains due jobs; answers what happened to them. */
export async function drain(deps: DrainDeps, options: DrainOptions = {}): Promise<PushDispatchResult> {
  const { batchSize = 50, leaseSeconds = 60, budgetMs = 20_000, concurrency = 8 } = options;
  const log = deps.log ?? ((m: string) => console.warn(m));
  const result: PushDispatchResult = { jobs: 0, sent: 0, retried: 0, invalid: 0, failed: 0 };
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    const jobs = await deps.store.claim(batchSize, leaseSeconds);
    if (jobs.length === 0) break;
    result.jobs += jobs.length;
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const outcomes = await sendJob(job, deps.senders);
        for (const o of outcomes) {
          if (o.outcome === "sent") result.sent++;
          else if (o.outcome === "retry") result.retried++;
          else if (o.outcome === "invalid") result.invalid++;
          else result.failed++;
          if (o.outcome !== "sent")
            log(`push-dispatch: job ${job.id} device ${o.device_id}: ${o.outcome} ${o.error ?? ""}`);
        }
        // A failure to record is logged and the lease runs out: the job comes back, and the devices it
        // reached are skipped only once their sends are on record — at least once, not exactly once.
        await deps.store
          .finish(job.id, job.lease_id, outcomes)
          .catch((e: unknown) => log(`push-dispatch: ${e instanceof Error ? e.message : String(e)}`));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
    if (jobs.length < batchSize) break;
  }
  return result;
}
