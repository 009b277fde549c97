// One transaction per request, impersonating the JWT's role with PostgREST's request GUCs set.
import type pg from "pg";
import { ApiError, fromPgError, isPgError } from "./errors.ts";
import type { SchemaCache } from "./schema-cache.ts";
import { ident } from "./sql.ts";

export interface RequestContext {
  role: string;
  /** Claims as PostgREST exposes them (`role` always present). */
  claims: Record<string, unknown>;
  method: string;
  /** Path as PostgREST sees it, e.g. `/messages` or `/rpc/send_message`. */
  path: string;
  headers: Record<string, string>;
  cookies: Record<string, string>;
  schema: string;
  extraSearchPath: string[];
  anonRole: string;
  /** `Prefer: timezone=…`; an unknown zone is ignored, as PostgREST v14 does. */
  timezone?: string;
  /** `Prefer: tx=…`, honoured only when `pgrst.db_tx_end` allows an override. */
  tx?: "commit" | "rollback";
}

async function roleExists(db: pg.Pool, role: string): Promise<boolean> {
  return (await db.query("select 1 from pg_catalog.pg_roles where rolname = $1", [role])).rowCount === 1;
}

/** In-database PostgREST settings (`ALTER ROLE authenticator SET pgrst.… = …`) that change how a request runs. */
export function inDatabaseSetting(cache: SchemaCache, name: string): string | undefined {
  return cache.roleSettings.get("authenticator")?.find(([k]) => k === `pgrst.${name}`)?.[1];
}

/** Whether the transaction ends in ROLLBACK: `db-tx-end` (commit | rollback, optionally `-allow-override` by `Prefer: tx`). */
export function endsInRollback(cache: SchemaCache, tx: "commit" | "rollback" | undefined): boolean {
  const setting = inDatabaseSetting(cache, "db_tx_end") ?? "commit";
  const base = setting.startsWith("rollback");
  return setting.endsWith("-allow-override") && tx ? tx === "rollback" : base;
}

/** `pgrst.db_pre_request` as a quoted `"schema"."fn"` (or `"fn"` resolved by search_path), when set. */
function preRequestCall(cache: SchemaCache): string | undefined {
  const name = inDatabaseSetting(cache, "db_pre_request");
  if (!name) return undefined;
  return `select ${name
    .split(".")
    .map((p) => ident(p.replace(/^"|"$/g, "")))
    .join(".")}()`;
}

/** GUCs a function may set to shape the response (`response.status`, `response.headers`). */
export interface ResponseOverrides {
  status?: number;
  headers: Array<[string, string]>;
  /** Rows an upsert inserted (the `pgrst.inserted` counter), when the statement kept one. */
  inserted?: number;
}

export interface TxOptions {
  readOnly: boolean;
  /** Decides, from the main work's result, whether to roll back instead of committing. */
  rollbackIf?: (result: unknown) => boolean;
}

/** Runs `work` inside BEGIN … COMMIT with the role and request settings applied; pg errors become PostgREST errors. */
export async function inRequestTransaction<T>(
  db: pg.Pool,
  cache: SchemaCache,
  rc: RequestContext,
  opts: TxOptions,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<{ result: T; overrides: ResponseOverrides }> {
  // A role that exists but is not granted to authenticator cannot be assumed on Supabase either (42501 there).
  if (
    cache.switchableRoles &&
    !cache.switchableRoles.has(rc.role) &&
    rc.role !== rc.anonRole &&
    (await roleExists(db, rc.role))
  ) {
    throw new ApiError(403, "42501", `permission denied to set role "${rc.role}"`);
  }
  const client = await db.connect();
  let broken = false;
  try {
    const begin = opts.readOnly
      ? "begin isolation level read committed read only"
      : "begin isolation level read committed";
    try {
      // BEGIN and every setting in one round trip: values are escaped literals (client.escapeLiteral), never raw text.
      const lit = (v: string) => client.escapeLiteral(v);
      const searchPath = [rc.schema, ...rc.extraSearchPath.filter((s) => s !== rc.schema)].map(ident).join(", ");
      const calls = [`set_config('search_path', ${lit(searchPath)}, true)`];
      // The login role's settings (PostgREST gets them by logging in as authenticator), then the impersonated role's.
      for (const [k, v] of cache.roleSettings.get("authenticator") ?? [])
        if (!k.startsWith("pgrst.")) calls.push(`set_config(${lit(k)}, ${lit(v)}, true)`);
      for (const [k, v] of cache.roleSettings.get(rc.role) ?? []) calls.push(`set_config(${lit(k)}, ${lit(v)}, true)`);
      calls.push(
        `set_config('role', ${lit(rc.role)}, true)`,
        `set_config('request.jwt.claims', ${lit(JSON.stringify(rc.claims))}, true)`,
        `set_config('request.method', ${lit(rc.method)}, true)`,
        `set_config('request.path', ${lit(rc.path)}, true)`,
        `set_config('request.headers', ${lit(JSON.stringify(rc.headers))}, true)`,
        `set_config('request.cookies', ${lit(JSON.stringify(rc.cookies))}, true)`,
      );
      if (rc.timezone) {
        calls.push(
          `set_config('timezone', coalesce((select name from pg_catalog.pg_timezone_names where name = ${lit(rc.timezone)}), current_setting('timezone')), true)`,
        );
      }
      await client.query(`${begin}; select ${calls.join(", ")}`);
      const pre = preRequestCall(cache);
      if (pre) await client.query(pre);
      const result = await work(client);
      // The response GUCs and the end of the transaction, again in one round trip.
      const end = await client.query(
        "select nullif(current_setting('response.status', true), '') as status, nullif(current_setting('response.headers', true), '') as headers, " +
          `nullif(current_setting('pgrst.inserted', true), '') as inserted; ${opts.rollbackIf?.(result) || endsInRollback(cache, rc.tx) ? "rollback" : "commit"}`,
      );
      const gucs = ((end as unknown as pg.QueryResult[])[0]?.rows[0] ?? {}) as {
        status?: string | null;
        headers?: string | null;
        inserted?: string | null;
      };
      const overrides = parseOverrides(gucs.status ?? null, gucs.headers ?? null);
      if (gucs.inserted != null) overrides.inserted = Number(gucs.inserted);
      return { result, overrides };
    } catch (e) {
      await client.query("rollback").catch(() => {
        broken = true;
      });
      if (isPgError(e)) throw fromPgError(e, rc.role === rc.anonRole);
      throw e;
    }
  } catch (e) {
    if (!(e instanceof ApiError) && !isPgError(e)) broken = true;
    throw e;
  } finally {
    client.release(broken);
  }
}

function parseOverrides(status: string | null, headers: string | null): ResponseOverrides {
  const out: ResponseOverrides = { headers: [] };
  if (status !== null) {
    const n = Number(status);
    if (!Number.isInteger(n) || n < 100 || n > 599)
      throw new ApiError(
        500,
        "PGRST112",
        "Invalid response status",
        `response.status must be a number between 100 and 599, got ${status}`,
      );
    out.status = n;
  }
  if (headers !== null) {
    try {
      const parsed = JSON.parse(headers) as unknown;
      if (!Array.isArray(parsed)) throw new Error("not an array");
      for (const obj of parsed)
        for (const [k, v] of Object.entries(obj as Record<string, unknown>)) out.headers.push([k, String(v)]);
    } catch {
      throw new ApiError(
        500,
        "PGRST111",
        "Invalid response.headers",
        "response.headers guc must be a JSON array composed of objects with a single key and a string value",
      );
    }
  }
  return out;
}
