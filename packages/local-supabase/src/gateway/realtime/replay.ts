// Broadcast replay at join (private channels): the newest stored database broadcasts since a time, oldest first.
import type pg from "pg";
import type { Broadcast } from "./serializer.ts";

export class ReplayError extends Error {}

const HARD_LIMIT = 25;

/** Reads `{since, limit}` and returns the replayed broadcasts, each with `meta: {replayed: true, id}`. */
export async function replayMessages(
  db: pg.Pool,
  topic: string,
  params: unknown,
): Promise<Extract<Broadcast, { kind: "user" }>[]> {
  const p = typeof params === "object" && params !== null ? (params as Record<string, unknown>) : undefined;
  const since = p?.since;
  const limitRaw = p?.limit ?? HARD_LIMIT;
  if (!p || !Number.isInteger(since) || !Number.isInteger(limitRaw))
    throw new ReplayError("Replay params are not valid");
  const limit = Math.max(1, Math.min(Number(limitRaw), HARD_LIMIT));
  const { rows } = await db.query<{
    id: string;
    event: string | null;
    payload: unknown;
    binary_payload: Buffer | null;
  }>(
    `select id, event, payload, binary_payload from realtime.messages
      where topic = $1 and private is true and extension = 'broadcast'
        and inserted_at >= (to_timestamp($2::float8 / 1000) at time zone 'utc')
        and inserted_at < (now() at time zone 'utc') + interval '1 minute'
      order by inserted_at desc limit $3`,
    [topic, since, limit],
  );
  return rows.reverse().map((r) => ({
    kind: "user" as const,
    event: r.event ?? "",
    ...(r.binary_payload ? { binary: new Uint8Array(r.binary_payload) } : { json: r.payload }),
    meta: { replayed: true, id: r.id },
  }));
}
