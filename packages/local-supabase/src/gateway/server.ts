// The gateway: one HTTP port, five prefixes, key translation (caller.ts) and CORS in front of each service.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import pg from "pg";
import type { StackConfig } from "../config.ts";
import { isPortFree, PortInUseError } from "../postgres/port.ts";
import { isPreflight, preflightResponse, withCors } from "./cors.ts";
import { upgradeToken, upstreamAuthorization } from "./caller.ts";
import { Routes } from "./router.ts";
import type { Log, Service, ServiceFactory } from "./types.ts";
import { createAuthService } from "./auth/index.ts";
import { createFunctionsService } from "./functions/index.ts";
import { createRealtimeService } from "./realtime/index.ts";
import { createRestService } from "./rest/index.ts";
import { createStorageService } from "./storage/index.ts";

const PREFIXES: Array<[string, string, ServiceFactory]> = [
  ["/rest/v1", "rest", createRestService],
  ["/auth/v1", "auth", createAuthService],
  ["/storage/v1", "storage", createStorageService],
  ["/functions/v1", "functions", createFunctionsService],
  ["/realtime/v1", "realtime", createRealtimeService],
];

export interface Gateway {
  url: string;
  server: Server;
  services: Record<string, Service>;
  /** Rebuilds caches after the schema changed. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: StackConfig;
  /** Logger factory; `logFor("rest")` returns that service's logger. */
  logFor: (service: string) => Log;
}

/** Converts a Node request into a fetch Request whose Authorization is the upstream one. */
function toRequest(req: IncomingMessage, config: StackConfig, signal?: AbortSignal): Request {
  const url = `http://${req.headers.host ?? `${config.host}:${config.apiPort}`}${req.url ?? "/"}`;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const upstream = upstreamAuthorization(headers.get("apikey"), headers.get("authorization"), config);
  if (upstream === undefined) headers.delete("authorization");
  else headers.set("authorization", upstream);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Aborted when the client goes away before the response is complete (services may stop work).
    signal,
    // Node's fetch needs this to stream a request body.
    duplex: "half",
  } as RequestInit & { duplex: "half" });
}

async function writeResponse(res: ServerResponse, response: Response, method: string): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k === "set-cookie") return;
    headers[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || method === "HEAD") {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // A client that disconnected never drains: stop reading (which cancels the service's stream).
    if (!res.write(value)) await new Promise((r) => (res.once("drain", r), res.once("close", r)));
    if (res.destroyed) {
      await reader.cancel().catch(() => undefined);
      return;
    }
  }
  res.end();
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/**
 * One line per HTTP request, as a hosted project's API logs show them: method, path, status, time, and
 * for a refusal the service's own code (PostgREST's `code`, Auth's `error_code`, Storage's `error`), so
 * a failing call leaves a trace. Long paths are cut; bodies, headers and keys or tokens in the query
 * never appear.
 */
async function logAccess(
  log: (line: string) => void,
  method: string,
  url: string,
  response: Response,
  started: number,
): Promise<void> {
  const ms = Math.round(performance.now() - started);
  // Keys and tokens some clients put in the query (Realtime's REST broadcast: ?apikey=) never reach a log.
  const redacted = url.replace(/([?&](?:apikey|access_token|token|refresh_token)=)[^&]*/gi, "$1<redacted>");
  const path = redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted;
  let code = "";
  if (response.status >= 400 && (response.headers.get("content-type") ?? "").includes("json")) {
    try {
      const body = (await response.clone().json()) as Record<string, unknown>;
      const found = body.code ?? body.error_code ?? body.error;
      if (typeof found === "string" || typeof found === "number") code = ` ${found}`;
    } catch {
      // not JSON after all: the status says enough
    }
  }
  log(`${method} ${path} ${response.status}${code} ${ms} ms`);
}

/** Starts the gateway on config.apiPort and creates every service. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config } = opts;
  if (!(await isPortFree(config.apiPort, config.host))) throw new PortInUseError(config.apiPort, "The API gateway");
  const db = new pg.Pool({ connectionString: config.dbUrl, max: 20, application_name: "parley-gateway" });
  db.on("error", (e) => opts.logFor("gateway")(`idle database connection failed: ${e.message}`));
  // The pool listens for errors on idle connections only. When the server goes away (a restart, kill -9)
  // a connection checked out by a request would emit an 'error' no one hears, which ends the process;
  // its query fails by itself and the pool drops the broken connection when it is released.
  db.on("connect", (client) => client.on("error", () => undefined));
  const services: Record<string, Service> = {};
  for (const [, name, factory] of PREFIXES) services[name] = await factory({ config, db, log: opts.logFor(name) });

  // Each service owns its prefix: `/rest/v1` and everything under it, the rest of the path handed on.
  const prefixes = new Routes<string>();
  for (const [prefix, name] of PREFIXES) prefixes.on("*", `${prefix}/?`, name).on("*", `${prefix}/*`, name);
  const route = (method: string, path: string): { name: string; service: Service; path: string } | undefined => {
    const hit = prefixes.match(method, path);
    if (!hit) return undefined;
    return { name: hit.handler, service: services[hit.handler]!, path: `/${hit.params["*"] ?? ""}` };
  };

  const server = createServer(async (req, res) => {
    const started = performance.now();
    const aborted = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) aborted.abort();
    });
    const request = toRequest(req, config, aborted.signal);
    let response: Response;
    const hit = route(request.method, new URL(request.url).pathname);
    try {
      if (isPreflight(request)) response = preflightResponse(request);
      else if (!hit) response = json(404, { message: "no Route matched with those values" });
      else response = await hit.service.fetch(request, hit.path);
    } catch (e) {
      opts.logFor("gateway")(
        `${req.method} ${req.url} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      response = json(500, { message: "An unexpected error occurred in the local gateway" });
    }
    withCors(request, response.headers);
    // Auth and the functions log their requests themselves (Auth with its own path, functions by name).
    const name = hit?.name ?? "gateway";
    if (name !== "functions" && name !== "auth")
      void logAccess(opts.logFor(name), req.method ?? "GET", req.url ?? "/", response, started);
    try {
      await writeResponse(res, response, req.method ?? "GET");
    } catch {
      res.destroy();
    }
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const hit = route(req.method ?? "GET", path);
    if (!hit?.service.upgrade) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    hit.service.upgrade(req, socket, head, hit.path, upgradeToken(req, config));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(config.apiPort, config.host, () => resolvePromise());
  });

  return {
    url: `http://${config.host}:${config.apiPort}`,
    server,
    services,
    async reload() {
      for (const s of Object.values(services)) await s.reload?.();
    },
    async close() {
      for (const s of Object.values(services)) await s.close?.().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await db.end();
    },
  };
}
