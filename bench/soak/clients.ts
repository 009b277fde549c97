// The soak's clients: official supabase-js clients, one per user, each sending to its group with a
// `client_id` and retrying the same id after a timeout or failure, and listening on its `user:<id>`
// channel, catching up by `seq` (list_messages after_seq) every time the channel is joined again.
import { randomUUID } from "node:crypto";
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";

export interface SoakTarget {
  apiUrl: string;
  anonKey: string;
}

/** A soak client: supabase-js with `parley` as its schema. */
export type SoakClient = ReturnType<typeof soakClient>;

/** One committed send as its client saw it. */
export interface Sent {
  clientId: string;
  conversationId: string;
  id: string;
  seq: number;
  /** First attempt to acknowledgement, ms since the run's epoch. */
  startedAt: number;
  endedAt: number;
  attempts: number;
}

export interface SendStats {
  attempted: number;
  committed: Sent[];
  /** client_ids never acknowledged before the run gave up on them. */
  abandoned: string[];
  /** Attempts that ended in a client-side timeout, a network failure or a 5xx (each retried). */
  retries: { timeout: number; network: number; server: number; rateLimited: number };
  /** Answers that were neither success nor retryable (should be none). */
  refused: string[];
  /** Sends not yet acknowledged: client_id → first attempt (ms since the run's epoch). */
  inFlight: Map<string, number>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A signed-in supabase-js client for the soak (Node 20: `ws` as Realtime's transport). */
export function soakClient(target: SoakTarget) {
  return createClient(target.apiUrl, target.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { schema: "parley" },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
}

/** What one client saw of its conversation: seqs by how they arrived, and its channel's state. */
export class Subscriber {
  readonly live = new Set<number>();
  readonly caughtUp = new Set<number>();
  /** A seq that arrived live twice (a viewer should receive each message once). */
  redelivered = 0;
  joined = false;
  /** When the channel was last joined and caught up (ms since the run's epoch); -1 before. */
  upAt = -1;
  downs = 0;
  catchUps = 0;

  constructor(
    readonly userId: string,
    readonly conversationId: string,
    private readonly client: SoakClient,
    private readonly now: () => number,
  ) {}

  has(seq: number): boolean {
    return this.live.has(seq) || this.caughtUp.has(seq);
  }

  /** The highest seq below which nothing is missing. */
  private contiguous(): number {
    let n = 0;
    while (this.has(n + 1)) n++;
    return n;
  }

  /** Joins `user:<id>`; resolves on the first join. Every later join (after a reconnect) catches up first. */
  start(): Promise<void> {
    return new Promise((resolveFirst) => {
      this.client
        .channel(`user:${this.userId}`, { config: { private: true } })
        .on(
          "broadcast",
          { event: "message_created" },
          ({ payload }: { payload: { message?: { seq?: number; conversation_id?: string } } }) => {
            const m = payload.message;
            if (!m || m.conversation_id !== this.conversationId || typeof m.seq !== "number") return;
            if (this.live.has(m.seq)) this.redelivered++;
            this.live.add(m.seq);
          },
        )
        .subscribe((status) => {
          if (status === "SUBSCRIBED") {
            void this.catchUp().then(() => {
              this.joined = true;
              this.upAt = this.now();
              resolveFirst();
            });
          } else if (this.joined) {
            this.joined = false;
            this.downs++;
          }
        });
    });
  }

  /** list_messages after the last contiguous seq, page by page, retried until the database answers. */
  private async catchUp(): Promise<void> {
    this.catchUps++;
    for (;;) {
      const { data, error } = await this.client.rpc("list_messages", {
        conversation_id: this.conversationId,
        after_seq: this.contiguous(),
        max_count: 200,
      });
      if (error) {
        await sleep(250);
        continue;
      }
      const rows = data as Array<{ seq: number }>;
      for (const r of rows) if (!this.live.has(r.seq)) this.caughtUp.add(r.seq);
      if (rows.length < 200) return;
    }
  }
}

export interface SenderOptions {
  /** Client-side timeout of one attempt. */
  timeoutMs: number;
  /** Give up on a message whose first attempt is older than this (then it counts as abandoned). */
  giveUpMs: number;
}

/** Sends one message, retrying the same client_id until acknowledged; records what happened in `stats`. */
export async function sendWithRetries(
  client: SoakClient,
  conversationId: string,
  stats: SendStats,
  now: () => number,
  opts: SenderOptions,
  body?: string,
): Promise<Sent | undefined> {
  const clientId = randomUUID();
  stats.attempted++;
  const startedAt = now();
  stats.inFlight.set(clientId, startedAt);
  try {
    for (let attempt = 1; ; attempt++) {
      const { data, error, status } = await client
        .rpc("send_message", { conversation_id: conversationId, body: body ?? `soak ${clientId}`, client_id: clientId })
        .abortSignal(AbortSignal.timeout(opts.timeoutMs));
      if (!error && data) {
        const row = data as { id: string; seq: number };
        const sent: Sent = {
          clientId,
          conversationId,
          id: row.id,
          seq: row.seq,
          startedAt,
          endedAt: now(),
          attempts: attempt,
        };
        stats.committed.push(sent);
        return sent;
      }
      const wait = retryWait(status, error, attempt, stats);
      if (wait === undefined) {
        stats.refused.push(`${status} ${error?.code ?? ""} ${error?.message ?? ""}`.trim());
        return undefined;
      }
      if (now() - startedAt > opts.giveUpMs) {
        stats.abandoned.push(clientId);
        return undefined;
      }
      await sleep(wait);
    }
  } finally {
    stats.inFlight.delete(clientId);
  }
}

/** How long to wait before retrying a failed attempt (counted in `stats.retries`), or undefined: do not retry. */
function retryWait(
  status: number,
  error: { message?: string; code?: string; details?: string } | null,
  attempt: number,
  stats: SendStats,
): number | undefined {
  const backoff = Math.min(1000, 100 * 2 ** Math.min(attempt, 4));
  // supabase-js answers status 0 when fetch itself failed: aborted by our timeout, or no connection.
  if (status === 0) {
    if (/abort|timeout/i.test(`${error?.message ?? ""}`)) stats.retries.timeout++;
    else stats.retries.network++;
    return backoff;
  }
  if (status === 429) {
    stats.retries.rateLimited++;
    let retryAfter = 1;
    try {
      retryAfter = (JSON.parse(error?.details ?? "{}") as { retry_after?: number }).retry_after ?? 1;
    } catch {
      /* no details: a second */
    }
    return Math.max(backoff, retryAfter * 1000);
  }
  if (status >= 500) {
    stats.retries.server++;
    return backoff;
  }
  return undefined;
}
