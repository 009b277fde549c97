// /rest/v1: a PostgREST-compatible service (routing, auth, schema cache lifecycle). See docs/rest.md.
import pg from "pg";
import type { Service, ServiceContext } from "../types.ts";
import { identify } from "./auth.ts";
import { ApiError, errorResponse, errors } from "./errors.ts";
import { insert, put, remove, update } from "./mutate.ts";
import { negotiate, parsePrefer, parseRange, pickSchema } from "./negotiate.ts";
import { parseQuery } from "./query-params.ts";
import { readTable } from "./read.ts";
import type { Handling } from "./respond.ts";
import { handleRpc } from "./rpc.ts";
import { closest } from "./did-you-mean.ts";
import { loadSchemaCache, qualified, type SchemaCache, type Table } from "./schema-cache.ts";
import { openApi } from "./openapi.ts";
import { bodyAsJson, rawRpcBody } from "./payload.ts";

const ANON_ROLE = "anon";

type TableHandler = (h: Handling, table: Table, body: string) => Promise<Response>;
/** What each method does to a table or view (PostgREST's ActionRead / ActionMutate). */
const TABLE_METHODS: Record<string, TableHandler> = {
  GET: (h, t) => readTable(h, t, false),
  HEAD: (h, t) => readTable(h, t, true),
  POST: insert,
  PATCH: update,
  DELETE: (h, t) => remove(h, t),
  PUT: put,
};

/** Request headers as PostgREST exposes them in `request.headers`: lower-case names, no cookie. */
function headerObject(headers: Headers): { headers: Record<string, string>; cookies: Record<string, string> } {
  const out: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  headers.forEach((v, k) => {
    if (k === "cookie") {
      for (const part of v.split(";")) {
        const i = part.indexOf("=");
        if (i > 0) cookies[part.slice(0, i).trim()] = part.slice(i + 1).trim();
      }
    } else out[k] = v;
  });
  return { headers: out, cookies };
}

export function createRestService(ctx: ServiceContext): Service {
  const { config, db, log } = ctx;
  let cache: SchemaCache | undefined;
  let loading: Promise<SchemaCache> | undefined;
  let listener: pg.Client | undefined;
  let closed = false;

  const reload = async (): Promise<SchemaCache> => {
    const p = loadSchemaCache(db, config.schemas);
    loading = p;
    try {
      cache = await p;
      log(`schema cache loaded: ${cache.tables.size} relations, ${cache.functions.size} functions`);
      return cache;
    } finally {
      if (loading === p) loading = undefined;
    }
  };

  const current = async (): Promise<SchemaCache> => {
    if (loading) return loading;
    if (cache) return cache;
    try {
      return await reload();
    } catch (e) {
      log(`schema cache load failed: ${e instanceof Error ? e.message : String(e)}`);
      throw new ApiError(503, "PGRST002", "Could not query the database for the schema cache. Retrying.");
    }
  };

  // PostgREST reloads its cache on `NOTIFY pgrst, 'reload schema'`; so does this service. Like PostgREST,
  // it listens again once the database is back (a restart ends the connection) and reloads the cache,
  // since a notification sent meanwhile was lost.
  let relistening = false;
  const relisten = (client: pg.Client) => {
    if (closed || relistening || listener !== client) return;
    relistening = true;
    listener = undefined;
    void client.end().catch(() => undefined);
    setTimeout(() => {
      relistening = false;
      void listen(true);
    }, 500).unref();
  };
  const listen = async (again = false) => {
    const client = new pg.Client({ connectionString: config.dbUrl, application_name: "parley-rest-listener" });
    try {
      client.on("error", (e) => {
        if (!relistening) log(`schema listener failed: ${e.message}`);
        relisten(client);
      });
      client.on("end", () => relisten(client));
      listener = client;
      await client.connect();
      client.on("notification", (n) => {
        if (n.channel !== "pgrst") return;
        // 'reload config' re-reads the in-database settings, which live in the same cache here.
        if (n.payload && n.payload !== "reload schema" && n.payload !== "reload config") return;
        reload().catch((e: unknown) => log(`schema reload failed: ${e instanceof Error ? e.message : String(e)}`));
      });
      await client.query("listen pgrst");
      if (closed) await client.end();
      else if (again) {
        log("listening for schema reloads again");
        await reload().catch((e: unknown) =>
          log(`schema reload failed: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    } catch (e) {
      if (!again) log(`could not listen for schema reloads: ${e instanceof Error ? e.message : String(e)}`);
      relisten(client);
    }
  };
  void listen();

  /**
   * Supabase sends `NOTIFY pgrst` from a DDL event trigger; the local database may not have one, so a miss
   * reloads the cache before the 404 is final — unless the cache was read after this request arrived.
   */
  const refreshedAfterMiss = async (arrived: number, found: (c: SchemaCache) => boolean): Promise<SchemaCache> => {
    if (loading) {
      const c = await loading;
      if (found(c) || c.startedAt.getTime() >= arrived) return c;
    }
    const c = await current();
    if (found(c) || c.startedAt.getTime() >= arrived) return c;
    return reload();
  };

  async function handle(req: Request, path: string): Promise<Response> {
    const arrived = Date.now();
    const method = req.method.toUpperCase();
    const url = new URL(req.url);
    let segments: string[];
    try {
      segments = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      throw errors.invalidPath();
    }
    let schemaCache = await current();
    const schema = pickSchema(method, req.headers, config.schemas);
    const { role, claims } = await identify(req.headers.get("authorization"), config, ANON_ROLE);

    if (segments.length === 0) {
      if (method !== "GET" && method !== "HEAD") throw errors.unsupportedMethod(method);
      return openApi(schemaCache, schema, url);
    }
    const isRpc = segments.length === 2 && segments[0] === "rpc";
    if (segments.length > 1 && !isRpc) throw errors.invalidPath();
    if (method === "OPTIONS") {
      return new Response(null, {
        status: 200,
        headers: { allow: isRpc ? "OPTIONS,GET,HEAD,POST" : "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE" },
      });
    }

    const wanted = isRpc ? qualified(schema, segments[1]!) : qualified(schema, segments[0]!);
    const has = (c: SchemaCache) => (isRpc ? c.functions.has(wanted) : c.tables.has(wanted));
    if (!has(schemaCache)) schemaCache = await refreshedAfterMiss(arrived, has);

    const { headers, cookies } = headerObject(req.headers);
    const accept = negotiate(req.headers.get("accept"));
    const prefs = parsePrefer(req.headers.get("prefer"));
    const h: Handling = {
      db,
      cache: schemaCache,
      config,
      rc: {
        role,
        claims,
        method,
        path,
        headers,
        cookies,
        schema,
        extraSearchPath: config.extraSearchPath,
        anonRole: ANON_ROLE,
        timezone: prefs.timezone,
        tx: prefs.tx,
      },
      prefs,
      media: accept.media,
      stripNulls: accept.stripNulls,
      query: parseQuery(url.searchParams, { rpcGet: isRpc && (method === "GET" || method === "HEAD") }),
      url,
      method,
      range: method === "GET" ? parseRange(req.headers.get("range")) : undefined,
    };
    if (isRpc) {
      if (method !== "GET" && method !== "HEAD" && method !== "POST") throw errors.rpcMethod(method);
      // text/plain, text/xml and octet-stream bodies go whole to a function's single unnamed text/xml/bytea parameter.
      const raw = method === "POST" ? rawRpcBody(req.headers.get("content-type")) : undefined;
      if (raw)
        return handleRpc(
          h,
          segments[1]!,
          { type: raw, value: raw === "bytea" ? Buffer.from(await req.arrayBuffer()) : await req.text() },
          false,
        );
      const json =
        method === "POST" ? bodyAsJson(req.headers.get("content-type"), new Uint8Array(await req.arrayBuffer())) : "";
      return handleRpc(h, segments[1]!, json, method === "HEAD");
    }
    const body =
      method === "GET" || method === "HEAD"
        ? ""
        : bodyAsJson(req.headers.get("content-type"), new Uint8Array(await req.arrayBuffer()));
    const name = segments[0]!;
    const table = schemaCache.tables.get(qualified(schema, name));
    if (!table) {
      const names = [...schemaCache.tables.values()].filter((t) => t.schema === schema).map((t) => t.name);
      const s = closest(name, names);
      throw errors.tableNotFound(`${schema}.${name}`, s ? `${schema}.${s}` : null);
    }
    const act = TABLE_METHODS[method];
    if (!act) throw errors.unsupportedMethod(method);
    return act(h, table, body);
  }

  return {
    async fetch(req, path) {
      try {
        return await handle(req, path);
      } catch (e) {
        if (e instanceof ApiError) {
          // Server-side failures are worth a line in the log; client errors are the caller's business.
          if (e.status >= 500) log(`${req.method} ${path} answered ${e.status} ${e.code}: ${e.message}`);
          return errorResponse(e);
        }
        log(`${req.method} ${path} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return errorResponse(new ApiError(500, "PGRSTX00", e instanceof Error ? e.message : String(e)));
      }
    },
    async reload() {
      await reload();
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
    },
  };
}
