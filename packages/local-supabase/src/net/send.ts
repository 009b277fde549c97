// Sends one pg_net request over HTTP(S) and words the outcome as pg_net (through libcurl) records it.
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";

/** A row taken from net.http_request_queue. */
export interface QueuedRequest {
  id: number;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Buffer | null;
  timeout_milliseconds: number;
}

/** What goes into net._http_response for the request. */
export interface RecordedResponse {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

/** pg_net sends "User-Agent: pg_net/<version>" unless the request sets its own. */
export const USER_AGENT = "pg_net/0.20.4";

/** libcurl's curl_easy_strerror wording for the Node.js errors that correspond to its codes. */
export function curlMessage(e: NodeJS.ErrnoException): string {
  const code = e.code ?? "";
  if (code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL")
    return "Couldn't connect to server";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL" || code === "EAI_NONAME")
    return "Couldn't resolve host name";
  if (code === "ECONNRESET" || code === "EPIPE") return "Failure when receiving data from the peer";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
    return "SSL peer certificate or SSH remote key was not OK";
  if (code.startsWith("HPE_")) return "Weird server reply";
  return e.message;
}

const ms = (from: number, to: number) => Math.max(0, to - from);

interface Timings {
  start: number;
  /** The host name was resolved (no event for an IP address). */
  lookup?: number;
  /** TCP (and for https TLS) connection established. */
  connect?: number;
  end: number;
}

/** pg_net's timeout message, splitting the time into resolving, connecting and the HTTP exchange as curl's timings do. */
function timeoutMessage(timeoutMs: number, t: Timings, hostIsAddress: boolean): string {
  const resolved = t.lookup ?? (hostIsAddress ? t.start : undefined);
  const dns = ms(t.start, resolved ?? t.end);
  const handshake = resolved === undefined ? 0 : ms(resolved, t.connect ?? t.end);
  const request = t.connect === undefined ? 0 : ms(t.connect, t.end);
  const f = (n: number) => n.toFixed(6);
  return `Timeout of ${timeoutMs} ms reached. Total time: ${f(ms(t.start, t.end))} ms (DNS time: ${f(dns)} ms, TCP/SSL handshake time: ${f(handshake)} ms, HTTP Request/Response time: ${f(request)} ms)`;
}

/**
 * Sends the request with its headers and body, waiting at most timeout_milliseconds for the whole
 * exchange (libcurl's CURLOPT_TIMEOUT_MS), and resolves with the row to record; it never rejects.
 * Response headers keep the server's spelling; a header sent twice keeps its last value.
 */
export function sendRequest(req: QueuedRequest): Promise<RecordedResponse> {
  const failed = (error_msg: string, timed_out = false): RecordedResponse => ({
    status_code: null,
    content_type: null,
    headers: null,
    content: null,
    timed_out,
    error_msg,
  });
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve(failed("URL using bad/illegal format or missing URL"));
  }
  const transport = url.protocol === "http:" ? http : url.protocol === "https:" ? https : undefined;
  if (!transport) return Promise.resolve(failed("Unsupported protocol"));

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k] = String(v);
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (!has("user-agent")) headers["User-Agent"] = USER_AGENT;
  if (!has("accept")) headers.Accept = "*/*";
  if (req.body && !has("content-length")) headers["Content-Length"] = String(req.body.length);

  return new Promise((resolve) => {
    const t: Timings = { start: performance.now(), end: 0 };
    let settled = false;
    const done = (r: RecordedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const request = transport.request(url, { method: req.method.toUpperCase(), headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", (e) => done(failed(curlMessage(e))));
      res.on("end", () => {
        const got: Record<string, string> = {};
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) got[res.rawHeaders[i]!] = res.rawHeaders[i + 1]!;
        const text = Buffer.concat(chunks).toString("utf8");
        done({
          status_code: res.statusCode ?? null,
          content_type: res.headers["content-type"] ?? null,
          headers: got,
          content: text === "" ? null : text,
          timed_out: false,
          error_msg: null,
        });
      });
    });
    request.on("socket", (socket) => {
      socket.on("lookup", () => (t.lookup = performance.now()));
      socket.on(url.protocol === "https:" ? "secureConnect" : "connect", () => (t.connect = performance.now()));
    });
    request.on("error", (e) => done(failed(curlMessage(e))));
    const timer = setTimeout(() => {
      t.end = performance.now();
      done(failed(timeoutMessage(req.timeout_milliseconds, t, isIP(url.hostname.replace(/^\[|\]$/g, "")) !== 0), true));
      request.destroy();
    }, req.timeout_milliseconds);
    request.end(req.body ?? undefined);
  });
}
