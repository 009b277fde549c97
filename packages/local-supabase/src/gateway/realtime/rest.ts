// REST broadcast (spec §7): POST /api/broadcast (batch, the client's send() fallback) and /api/broadcast/:topic/events/:event (httpSend).
import type { Caller } from "../caller.ts";
import { bearerToken } from "../jwt.ts";
import { Routes, type Params } from "../router.ts";
import { writePermission } from "./authorize.ts";
import type { Core } from "./core.ts";
import { roomKey } from "./rooms.ts";
import { verifyToken } from "./token.ts";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const accepted = () => new Response(null, { status: 202 });
const unauthorized = () => json(401, { message: "Unauthorized" });

/**
 * The request's caller from its `Authorization`, which the gateway made from the apikey when the request had
 * none (a legacy JWT apikey passes through unprefixed, as Kong sends it).
 */
async function callerOf(core: Core, req: Request): Promise<Caller | undefined> {
  const auth = req.headers.get("authorization");
  const raw = bearerToken(auth) ?? (auth && auth.split(".").length === 3 ? auth.trim() : undefined);
  if (!raw) return undefined;
  const verified = await verifyToken(raw, core.config);
  return verified.ok ? verified.caller : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

async function batch(core: Core, req: Request, caller: Caller): Promise<Response> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return json(422, { errors: { messages: ["can't be blank"] } });
  }
  const messages = isObject(body) ? body.messages : undefined;
  if (!Array.isArray(messages) || messages.length === 0) return json(422, { errors: { messages: ["can't be blank"] } });
  const problems = messages.map((m) => {
    const errors: Record<string, string[]> = {};
    const r = isObject(m) ? m : {};
    for (const field of ["topic", "event"])
      if (typeof r[field] !== "string" || r[field] === "")
        errors[field] = [r[field] === undefined || r[field] === "" ? "can't be blank" : "is invalid"];
    if (r.payload === undefined || r.payload === null) errors.payload = ["can't be blank"];
    else if (!isObject(r.payload)) errors.payload = ["is invalid"];
    return errors;
  });
  if (problems.some((p) => Object.keys(p).length)) return json(422, { errors: { messages: problems } });

  const writable = new Map<string, Promise<boolean>>();
  for (const raw of messages as Array<Record<string, unknown>>) {
    const topic = raw.topic as string;
    const event = raw.event as string;
    const isPrivate = raw.private === true || raw.private === "true";
    if (isPrivate) {
      let ok = writable.get(topic);
      if (!ok)
        writable.set(
          topic,
          (ok = writePermission(core.db, { caller, topic, headers: headersOf(req), log: core.log }, "broadcast")),
        );
      if (!(await ok)) continue; // refused private messages are skipped silently, still 202
    }
    const map: Record<string, unknown> = { type: "broadcast", event, payload: raw.payload };
    if (raw.id !== undefined && raw.id !== null) map.meta = { id: raw.id };
    core.rooms.broadcast(roomKey(topic, isPrivate), { kind: "map", event, map });
  }
  return accepted();
}

async function single(core: Core, req: Request, caller: Caller, params: Params): Promise<Response> {
  const [topic, event] = [decodeURIComponent(params.topic!), decodeURIComponent(params.event!)];
  const type = (req.headers.get("content-type") ?? "application/json").split(";")[0]!.trim().toLowerCase();
  let b: { json?: unknown; binary?: Uint8Array };
  if (type === "application/octet-stream") b = { binary: new Uint8Array(await req.arrayBuffer()) };
  else if (type === "application/json" || type === "") {
    const text = await req.text();
    if (text === "") return json(422, { message: "Request body is required" });
    try {
      b = { json: JSON.parse(text) };
    } catch {
      return json(422, { message: "Invalid JSON body" });
    }
  } else return json(415, { error: "Unsupported Media Type. Use application/json or application/octet-stream" });
  const isPrivate = new URL(req.url).searchParams.get("private") === "true";
  if (
    isPrivate &&
    !(await writePermission(core.db, { caller, topic, headers: headersOf(req), log: core.log }, "broadcast"))
  )
    return json(403, { message: "Unauthorized" });
  core.rooms.broadcast(roomKey(topic, isPrivate), { kind: "user", event, ...b });
  return accepted();
}

function headersOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  req.headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

type Handler = (core: Core, req: Request, caller: Caller, params: Params) => Promise<Response>;

const routes = new Routes<Handler>()
  .on("POST", "/api/broadcast", batch)
  .on("POST", "/api/broadcast/:topic/events/:event", single);

/** Routes `/api/broadcast…` (path without the /realtime/v1 prefix). */
export async function handleRest(core: Core, req: Request, path: string): Promise<Response> {
  const hit = routes.match(req.method, path);
  if (!hit)
    return routes.allowed(path).length
      ? json(405, { message: "Method Not Allowed" })
      : json(404, { message: "Not Found" });
  const caller = await callerOf(core, req);
  if (!caller) return unauthorized();
  return hit.handler(core, req, caller, hit.params);
}
