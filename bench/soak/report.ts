// The soak's verdict: what was sent, what the database holds, what each subscriber saw, and each fault.
import { percentile, round } from "../stats.ts";
import type { SendStats, Subscriber } from "./clients.ts";
import type { FaultResult } from "./faults.ts";

export interface SummaryInput {
  stats: SendStats;
  /** Every message row of the run's conversations. */
  stored: Array<{ conversation_id: string; seq: string; body: string | null; client_id: string | null }>;
  subscribers: Subscriber[];
  sentinelsMissing: number;
  faults: FaultResult[];
  clients: number;
  minutes: number;
  groupSize: number;
  timeoutMs: number;
  run: string;
}

export type Summary = ReturnType<typeof summarise>;

export function summarise(input: SummaryInput) {
  const { stats, stored, subscribers, faults } = input;
  const soakRows = stored.filter((r) => r.body?.startsWith("soak ") && !r.body.startsWith("soak sentinel"));
  const bodies = new Set(soakRows.map((r) => r.body));
  const storedIds = new Set(soakRows.map((r) => r.client_id));
  const ackedMissing = stats.committed.filter((s) => !storedIds.has(s.clientId)).length;
  const seqsOf = new Map<string, number[]>();
  for (const r of stored) seqsOf.set(r.conversation_id, [...(seqsOf.get(r.conversation_id) ?? []), Number(r.seq)]);
  let lost = 0;
  let live = 0;
  let caughtUp = 0;
  for (const s of subscribers) {
    for (const seq of seqsOf.get(s.conversationId) ?? []) {
      if (s.live.has(seq)) live++;
      else if (s.caughtUp.has(seq)) caughtUp++;
      else lost++;
    }
  }
  // Latency outside faults: sends whose whole life lies outside every window from injection to recovery.
  const outside = stats.committed.filter((s) =>
    faults.every((f) => s.endedAt < f.injectedAt || s.startedAt > f.recoveredAt),
  );
  const latencies = outside.map((s) => s.endedAt - s.startedAt);
  const survived = faults.filter((f) => f.survived).length;
  const duplicated = soakRows.length - bodies.size;
  const ok =
    duplicated === 0 &&
    lost === 0 &&
    ackedMissing === 0 &&
    stats.abandoned.length === 0 &&
    stats.refused.length === 0 &&
    survived === faults.length &&
    input.sentinelsMissing === 0;
  return {
    soak: input.run,
    clients: input.clients,
    minutes: input.minutes,
    group_size: input.groupSize,
    timeout_ms: input.timeoutMs,
    attempted: stats.attempted,
    acknowledged: stats.committed.length,
    committed: soakRows.length,
    duplicated,
    acknowledged_but_missing: ackedMissing,
    abandoned: stats.abandoned.length,
    refused: stats.refused.slice(0, 5),
    lost_after_catch_up: lost,
    delivered_live: live,
    delivered_by_catch_up: caughtUp,
    redelivered_live: subscribers.reduce((n, s) => n + s.redelivered, 0),
    reconnects: subscribers.reduce((n, s) => n + s.downs, 0),
    retries: stats.retries,
    send_latency_ms: {
      p50: latencies.length ? round(percentile(latencies, 0.5), 1) : null,
      p99: latencies.length ? round(percentile(latencies, 0.99), 1) : null,
      samples: latencies.length,
    },
    faults_injected: faults.length,
    faults_survived: survived,
    faults: faults.map((f) => ({
      kind: f.kind,
      at_s: round(f.injectedAt / 1000, 1),
      fault_ms: Math.round(f.faultMs),
      recovery_ms: Math.round(f.recoveryMs),
      survived: f.survived,
      ...(f.note ? { note: f.note } : {}),
      detail: f.detail,
    })),
    sentinels_missing: input.sentinelsMissing,
    ok,
  };
}

export function renderTable(s: Summary): string {
  const rows: Array<[string, string]> = [
    ["messages attempted", String(s.attempted)],
    ["acknowledged to the sender", String(s.acknowledged)],
    ["committed (rows in the database)", String(s.committed)],
    ["duplicated (must be 0)", String(s.duplicated)],
    ["acknowledged but missing (must be 0)", String(s.acknowledged_but_missing)],
    ["abandoned / refused (must be 0)", `${s.abandoned} / ${s.refused.length}`],
    ["lost to subscribers after catch-up (must be 0)", String(s.lost_after_catch_up)],
    ["delivered live / by catch-up", `${s.delivered_live} / ${s.delivered_by_catch_up}`],
    ["subscriber reconnects", String(s.reconnects)],
    [
      "retries: timeout / network / 5xx / 429",
      `${s.retries.timeout} / ${s.retries.network} / ${s.retries.server} / ${s.retries.rateLimited}`,
    ],
    [
      "send latency outside faults p50 / p99",
      `${s.send_latency_ms.p50} / ${s.send_latency_ms.p99} ms (${s.send_latency_ms.samples} sends)`,
    ],
    ["faults injected / survived", `${s.faults_injected} / ${s.faults_survived}`],
    ...s.faults.map((f): [string, string] => [
      `  ${f.kind} at ${f.at_s} s`,
      f.survived ? `fault ${f.fault_ms} ms, recovered ${f.recovery_ms} ms after` : `NOT survived: ${f.note ?? ""}`,
    ]),
    ["verdict", s.ok ? "ok" : "FAILED"],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}
