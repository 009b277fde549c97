// Starts the database-facing parts: the logical replication poller, broadcast from the database, Postgres Changes, partition upkeep.
import type { ServiceContext } from "../types.ts";
import type { PgChanges, Replication } from "./core.ts";
import { databaseBroadcast } from "./db-broadcast.ts";
import { startPartitionUpkeep } from "./partitions.ts";
import { PostgresChanges } from "./postgres-changes.ts";
import { ReplicationPoller } from "./replication.ts";
import type { Rooms } from "./rooms.ts";

export interface Extensions {
  pgChanges: PgChanges;
  replication: Replication;
  /** Runs `fn` when the replication stream is up again after it broke (see ReplicationPoller.onResumed). */
  onReplicationResumed(fn: () => void): void;
  close(): Promise<void>;
}

export function startExtensions(ctx: ServiceContext, rooms: Rooms): Extensions {
  const stopPartitions = startPartitionUpkeep(ctx.db, ctx.log);
  const poller = new ReplicationPoller({
    dbUrl: ctx.config.dbUrl,
    log: ctx.log,
    intervalMs: Number(process.env.REALTIME_POLL_INTERVAL_MS ?? 50),
  });
  poller.onChange(databaseBroadcast(rooms));
  const pgChanges = new PostgresChanges(ctx.db, poller, ctx.log);
  poller.start();
  return {
    pgChanges,
    replication: poller,
    onReplicationResumed: (fn) => poller.onResumed(fn),
    async close() {
      stopPartitions();
      await poller.close();
    },
  };
}
