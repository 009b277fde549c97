// Draining: every device of every leased job through its provider, each outcome reported once per job.
import assert from "node:assert/strict";
import type { PushJob, PushOutcome } from "../_shared/schemas.ts";
import { drain } from "./dispatch.ts";
import type { PushStore } from "./store.ts";
import { sampleJob } from "./testing.ts";

const fcm = {
  id: "dev-fcm",
  provider: "fcm" as const,
  token: "t-fcm-aaaaaaaaaaaaaaaaaaaa",
  keys: null,
  platform: "android" as const,
  app_id: null,
};
const apns = {
  id: "dev-apns",
  provider: "apns" as const,
  token: "ab".repeat(32),
  keys: null,
  platform: "ios" as const,
  app_id: "com.x",
};

function fakeStore(
  batches: PushJob[][],
): PushStore & { finished: Array<{ jobId: string; leaseId: string; outcomes: PushOutcome[] }>; claims: number } {
  const store = {
    finished: [] as Array<{ jobId: string; leaseId: string; outcomes: PushOutcome[] }>,
    claims: 0,
    claim: () => (store.claims++, Promise.resolve(batches.shift() ?? [])),
    finish: (jobId: string, leaseId: string, outcomes: PushOutcome[]) => (
      store.finished.push({ jobId, leaseId, outcomes }),
      Promise.resolve()
    ),
  };
  return store;
}

Deno.test("drain: each device through its provider, outcomes reported with the lease, totals counted", async () => {
  const job = sampleJob({ devices: [fcm, apns] });
  const store = fakeStore([[job]]);
  const result = await drain({
    store,
    senders: {
      fcm: () => Promise.resolve({ outcome: "sent", provider_message_id: "m1" }),
      apns: () => Promise.resolve({ outcome: "invalid", error: "apns 410 Unregistered" }),
    },
    log: () => undefined,
  });
  assert.deepEqual(result, { jobs: 1, sent: 1, retried: 0, invalid: 1, failed: 0 });
  assert.deepEqual(store.finished, [
    {
      jobId: job.id,
      leaseId: job.lease_id,
      outcomes: [
        { device_id: "dev-fcm", outcome: "sent", provider_message_id: "m1" },
        { device_id: "dev-apns", outcome: "invalid", error: "apns 410 Unregistered" },
      ],
    },
  ]);
});

Deno.test("drain: a provider that is not configured fails its devices; a sender that throws is a retry", async () => {
  const store = fakeStore([[sampleJob({ devices: [fcm, apns] })]]);
  await drain({ store, senders: { fcm: () => Promise.reject(new Error("boom")) }, log: () => undefined });
  assert.deepEqual(store.finished[0]?.outcomes, [
    { device_id: "dev-fcm", outcome: "retry", error: "boom" },
    { device_id: "dev-apns", outcome: "failed", error: "apns is not configured for push-dispatch" },
  ]);
});

Deno.test("drain: leases again while batches come back full, stops at the first short one", async () => {
  const full = Array.from({ length: 2 }, (_, i) => sampleJob({ id: `job-${i}`, devices: [fcm] }));
  const store = fakeStore([full, [sampleJob({ id: "job-last", devices: [fcm] })], [sampleJob({ id: "never" })]]);
  const result = await drain({ store, senders: { fcm: () => Promise.resolve({ outcome: "sent" }) } }, { batchSize: 2 });
  assert.equal(result.jobs, 3);
  assert.equal(store.claims, 2);
  assert.deepEqual(store.finished.map((f) => f.jobId).sort(), ["job-0", "job-1", "job-last"]);
});

Deno.test("drain: a job whose outcome cannot be recorded is logged and left to its lease", async () => {
  const logs: string[] = [];
  const store = {
    claim: (() => {
      let n = 0;
      return () => Promise.resolve(n++ ? [] : [sampleJob({ devices: [fcm] })]);
    })(),
    finish: () => Promise.reject(new Error("db down")),
  };
  const result = await drain({
    store,
    senders: { fcm: () => Promise.resolve({ outcome: "sent" }) },
    log: (m) => logs.push(m),
  });
  assert.equal(result.sent, 1);
  assert.ok(logs.some((l) => l.includes("db down")));
});
