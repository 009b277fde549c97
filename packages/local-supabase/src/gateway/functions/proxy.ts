// Forwards one request to a function's Deno server and streams the answer back, both bodies unbuffered.
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";

/** Connection-level headers that belong to one hop, never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

/** Raised when the worker could not be reached or dropped the connection before answering. */
export class WorkerUnreachableError extends Error {}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function responseFrom(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.append(raw[i]!, raw[i + 1]!);
  }
  const status = res.statusCode ?? 502;
  const bodyless = method === "HEAD" || status === 204 || status === 205 || status === 304;
  if (bodyless) res.resume();
  return new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
    status,
    statusText: res.statusMessage,
    headers,
  });
}

/**
 * Sends `req` to 127.0.0.1:`port` with the path `target` (the function's own path and query, e.g.
 * `/call-token?x=1`), keeping method, headers (Host included, so `req.url` names the gateway) and body.
 */
export function forward(req: Request, port: number, target: string): Promise<Response> {
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  });
  // A streamed body without a length goes chunked; Node adds the header itself.
  return new Promise<Response>((resolvePromise, reject) => {
    const upstream = httpRequest({ host: "127.0.0.1", port, method: req.method, path: target, headers, agent }, (res) =>
      resolvePromise(responseFrom(res, req.method)),
    );
    upstream.on("error", (e) => reject(new WorkerUnreachableError(e.message)));
    // The caller went away: drop the connection to the function, which cancels its response stream.
    const abandon = () => upstream.destroy();
    req.signal.addEventListener("abort", abandon, { once: true });
    upstream.once("close", () => req.signal.removeEventListener("abort", abandon));
    if (req.body && req.method !== "GET" && req.method !== "HEAD") {
      const body = Readable.fromWeb(req.body as import("node:stream/web").ReadableStream<Uint8Array>);
      body.on("error", (e) => upstream.destroy(e));
      body.pipe(upstream);
    } else {
      upstream.end();
    }
  });
}
