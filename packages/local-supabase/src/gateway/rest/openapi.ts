// GET /rest/v1/: a small OpenAPI 2.0 description of the exposed tables and functions (PostgREST serves a fuller one).
import type { SchemaCache } from "./schema-cache.ts";

export function openApi(cache: SchemaCache, schema: string, url: URL): Response {
  const paths: Record<string, unknown> = {
    "/": {
      get: {
        produces: ["application/openapi+json", "application/json"],
        responses: { "200": { description: "OK" } },
        tags: ["Introspection"],
        summary: "OpenAPI description (this document)",
      },
    },
  };
  const definitions: Record<string, unknown> = {};
  for (const t of cache.tables.values()) {
    if (t.schema !== schema) continue;
    const ops: Record<string, unknown> = { get: { tags: [t.name], responses: { "200": { description: "OK" } } } };
    if (t.kind !== "m")
      Object.assign(ops, {
        post: { tags: [t.name], responses: { "201": { description: "Created" } } },
        patch: { tags: [t.name], responses: { "204": { description: "No Content" } } },
        delete: { tags: [t.name], responses: { "204": { description: "No Content" } } },
      });
    paths[`/${t.name}`] = ops;
    definitions[t.name] = {
      type: "object",
      required: t.columns.filter((c) => !c.nullable && c.default === null).map((c) => c.name),
      properties: Object.fromEntries(t.columns.map((c) => [c.name, { format: c.type }])),
    };
  }
  for (const [key, fns] of cache.functions) {
    const f = fns.find((x) => x.callable);
    if (!key.startsWith(`${schema}.`) || !f) continue;
    paths[`/rpc/${f.name}`] = {
      post: {
        tags: ["(rpc) " + f.name],
        parameters: [
          {
            in: "body",
            name: "args",
            schema: { type: "object", properties: Object.fromEntries(f.args.map((a) => [a.name, { format: a.type }])) },
          },
        ],
        responses: { "200": { description: "OK" } },
      },
    };
  }
  const doc = {
    swagger: "2.0",
    info: { title: "standard public schema", version: "local" },
    host: url.host,
    basePath: "/",
    schemes: [url.protocol.replace(":", "")],
    consumes: ["application/json"],
    produces: ["application/json"],
    paths,
    definitions,
  };
  return new Response(JSON.stringify(doc), {
    status: 200,
    headers: { "content-type": "application/openapi+json; charset=utf-8" },
  });
}
