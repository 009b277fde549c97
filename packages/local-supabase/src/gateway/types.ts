// The contract between the gateway and its services (rest, auth, storage, functions, realtime).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type pg from "pg";
import type { StackConfig } from "../config.ts";

/** Writes one human-readable log line, prefixed by the service name. */
export type Log = (message: string) => void;

/** What every service is given when the gateway creates it. */
export interface ServiceContext {
  config: StackConfig;
  /** Pool of superuser connections; services `set local role` per request as the real services do. */
  db: pg.Pool;
  log: Log;
}

/**
 * One Supabase service behind a path prefix. The gateway has already translated `sb_` keys
 * into the upstream `Authorization` header (see caller.ts) and answered CORS preflights.
 */
export interface Service {
  /** Handles a request; `path` is the URL path with the prefix stripped (e.g. `/token`), query excluded. */
  fetch(req: Request, path: string): Promise<Response>;
  /**
   * Handles a WebSocket upgrade under the prefix (Realtime only); `token` is the upgrade's API key
   * (`x-api-key` or `?apikey=`) translated as HTTP requests' keys are, undefined when there is none.
   */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, token: string | undefined): void;
  /** Called after migrations ran (e.g. to rebuild a schema cache). */
  reload?(): Promise<void>;
  close?(): Promise<void>;
}

export type ServiceFactory = (ctx: ServiceContext) => Service | Promise<Service>;
