// The local Supabase Realtime: WebSocket at /realtime/v1/websocket, REST broadcast, database broadcast and Postgres Changes.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Service, ServiceContext } from "../types.ts";
import { optionsFromEnv, type Core, type RealtimeOptions } from "./core.ts";
import { handleRest } from "./rest.ts";
import { Rooms } from "./rooms.ts";
import { Connection } from "./socket.ts";
import { connectRefusal, verifyToken } from "./token.ts";
import type { Vsn } from "./serializer.ts";
import { startExtensions } from "./extensions.ts";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  500: "Internal Server Error",
};

/** Answers a refused upgrade with an HTTP error and `{"error": …}`, as Realtime's socket endpoint does. */
function refuse(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The connection's `x-*` headers, which policies can read through `request.headers`. */
function xHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (k.startsWith("x-") && v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : v;
  return out;
}

export interface RealtimeService extends Service {
  /**
   * Ends every client WebSocket: `restart` closes it with 1012 (service restart), `drop` cuts the TCP
   * connection without a close frame (a network failure). Clients reconnect and rejoin either way.
   */
  disconnectAll(how: "restart" | "drop"): number;
}

export function createRealtimeService(ctx: ServiceContext, overrides: Partial<RealtimeOptions> = {}): RealtimeService {
  const rooms = new Rooms();
  const options = { ...optionsFromEnv(), ...overrides };
  const ext = startExtensions(ctx, rooms);
  const core: Core = {
    config: ctx.config,
    db: ctx.db,
    log: ctx.log,
    rooms,
    options,
    pgChanges: ext.pgChanges,
    replication: ext.replication,
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 5_000_000 });
  const connections = new Set<Connection>();

  async function upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: string,
    token: string | undefined,
  ): Promise<void> {
    socket.on("error", () => socket.destroy());
    if (path !== "/websocket" && path !== "/socket/websocket") return refuse(socket, 404, "Not Found");
    const url = new URL(req.url ?? "/", "http://localhost");
    const vsnParam = url.searchParams.get("vsn") ?? "1.0.0";
    if (vsnParam !== "1.0.0" && vsnParam !== "2.0.0")
      return refuse(socket, 400, `Unsupported serializer version: ${vsnParam}`);
    const delayed = async (status: number, error: string) => {
      await new Promise((r) => setTimeout(r, options.connectErrorBackoffMs));
      refuse(socket, status, error);
    };
    if (!token) return delayed(401, "API key is missing");
    const verified = await verifyToken(token, ctx.config);
    if (!verified.ok) {
      const r = connectRefusal(verified);
      return delayed(r.status, r.error);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(core, ws, vsnParam as Vsn, token, xHeaders(req));
      connections.add(conn);
      ws.on("close", () => connections.delete(conn));
    });
  }

  const disconnectAll = (how: "restart" | "drop"): number => {
    const n = connections.size;
    for (const c of connections) {
      if (how === "restart") c.terminate(1012);
      else c.drop();
    }
    return n;
  };
  // Database events committed while the stream was down were never decoded (the slot is temporary, as
  // the real server's is). A silent gap would hide that from clients, so every socket is closed as a
  // restarting server closes it: the clients reconnect, rejoin, and catch up by seq.
  ext.onReplicationResumed(() => {
    const n = disconnectAll("restart");
    if (n)
      ctx.log(`closed ${n} WebSocket(s) with 1012 after the replication stream broke: clients reconnect and catch up`);
  });

  return {
    disconnectAll,
    async fetch(req, path) {
      return handleRest(core, req, path);
    },
    upgrade(req, socket, head, path, token) {
      upgrade(req, socket, head, path, token).catch((e: unknown) => {
        ctx.log(`upgrade failed: ${e instanceof Error ? e.message : String(e)}`);
        refuse(socket, 500, "Error connecting to Realtime");
      });
    },
    async close() {
      for (const c of connections) c.terminate(1001);
      wss.close();
      await ext.close();
    },
  };
}
