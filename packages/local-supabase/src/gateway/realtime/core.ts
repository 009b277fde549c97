// What every part of the local Realtime shares: config, database pool, rooms, limits, extensions.
import type pg from "pg";
import type { StackConfig } from "../../config.ts";
import type { Log } from "../types.ts";
import type { Rooms } from "./rooms.ts";
import type { Binding } from "./filters.ts";
import type { RealtimeCaller } from "./token.ts";

/** Limits and delays; defaults are the real server's (spec §10). */
export interface RealtimeOptions {
  /** Delay before a join error reply (`CHANNEL_ERROR_BACKOFF_MS`). Default 5000; env REALTIME_CHANNEL_ERROR_BACKOFF_MS. */
  channelErrorBackoffMs: number;
  /** Delay before refusing an upgrade (`CONNECT_ERROR_BACKOFF_MS`). Default 2000; env REALTIME_CONNECT_ERROR_BACKOFF_MS. */
  connectErrorBackoffMs: number;
  /** Channels one socket may join. Default 100. */
  maxChannelsPerClient: number;
  /** Presence pushes allowed per channel per window. Default 5 per 30 s. */
  presenceLimit: { count: number; windowMs: number };
  /** A socket that sends nothing for this long is closed. Default 60 s. */
  idleTimeoutMs: number;
  /** Largest broadcast payload in bytes. Default 3000 KB. */
  maxPayloadBytes: number;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): RealtimeOptions {
  const n = (v: string | undefined, d: number) =>
    v !== undefined && v !== "" && Number.isFinite(Number(v)) ? Number(v) : d;
  return {
    channelErrorBackoffMs: n(env.REALTIME_CHANNEL_ERROR_BACKOFF_MS, 5000),
    connectErrorBackoffMs: n(env.REALTIME_CONNECT_ERROR_BACKOFF_MS, 2000),
    maxChannelsPerClient: n(env.REALTIME_MAX_CHANNELS_PER_CLIENT, 100),
    presenceLimit: { count: 5, windowMs: 30_000 },
    idleTimeoutMs: 60_000,
    maxPayloadBytes: 3000 * 1024 + 500,
  };
}

/** A channel as the Postgres Changes extension sees it. */
export interface PgSubscriber {
  readonly subTopic: string;
  caller: RealtimeCaller;
  bindings: Binding[];
  /** Pushes a `postgres_changes` message with the ids of the bindings that matched. */
  deliverChange(ids: number[], data: Record<string, unknown>): void;
  system(extension: string, status: "ok" | "error", message: string): void;
  readonly closed: boolean;
}

export interface PgChanges {
  /**
   * Registers the subscriber's bindings and reports `Subscribed to PostgreSQL` or the error as a
   * system message; with `quiet`, reports nothing and only returns the outcome (join with `wait`).
   */
  subscribe(s: PgSubscriber, opts?: { quiet?: boolean }): Promise<{ ok: true } | { ok: false; message: string }>;
  unsubscribe(s: PgSubscriber): void;
}

export interface Replication {
  /** True once the logical replication stream is up. */
  readonly ready: boolean;
  /** Runs `fn` when the stream is up (at once if it already is). */
  onReady(fn: () => void): void;
}

export interface Core {
  config: StackConfig;
  db: pg.Pool;
  log: Log;
  rooms: Rooms;
  options: RealtimeOptions;
  pgChanges: PgChanges;
  replication: Replication;
}
