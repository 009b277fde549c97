// Database access as Storage does it: each statement inside a transaction that first sets the caller's
// role and claims (so RLS on storage.* decides), or as the superuser for the server's own bookkeeping.
import pg from "pg";
import type { Caller } from "../caller.ts";
import { fromDbError } from "./errors.ts";

/** What Storage exposes to SQL for one request (request.* and storage.operation GUCs). */
export interface Scope {
  /** Who is calling (Storage's request.jwtPayload; `sub` is request.owner, what the caller writes is theirs). */
  caller: Caller;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Storage's operation name, e.g. `storage.object.upload`; policies read it through storage.operation(). */
  operation: string;
}

/** Runs one statement and returns its rows. */
export type Query = <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

// Storage parses int8 as a JS number (file_size_limit, sizes); the shared pool keeps pg's default,
// so the parser is given per query instead of globally.
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (v: string) => Number.parseInt(v, 10);
    return pg.types.getTypeParser(oid, format as "text");
  },
} as unknown as pg.CustomTypesConfig;

/** Transactions over the gateway's superuser pool, scoped like Storage's `db` and `dbSuperUser` plugins. */
export class StorageDb {
  constructor(private readonly pool: pg.Pool) {}

  /** Runs `fn` in a transaction as the caller: role, claims, headers, method, path and operation set locally. */
  asUser<T>(scope: Scope, fn: (q: Query) => Promise<T>): Promise<T> {
    return this.transaction(scope, fn, false);
  }

  /** Runs `fn` as the caller in a transaction that is always rolled back (Storage's testPermission). */
  testPermission<T>(scope: Scope, fn: (q: Query) => Promise<T>): Promise<T> {
    return this.transaction(scope, fn, true);
  }

  /** Runs `fn` in a transaction as the superuser (RLS bypassed); deletes are allowed past protect_delete. */
  asSuperUser<T>(fn: (q: Query) => Promise<T>, scope?: Scope): Promise<T> {
    return this.transaction(scope ? { ...scope, caller: { ...scope.caller, role: "" } } : undefined, fn, false);
  }

  /** One or more reads as the superuser outside a transaction (Storage's bucket and signed-URL lookups). */
  async superRead<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    try {
      return await fn(
        async <R>(text: string, values?: unknown[]) => (await this.pool.query({ text, values, types })).rows as R[],
      );
    } catch (err) {
      throw fromDbError(err);
    }
  }

  /** As the superuser, but always rolled back: checks a write (unique keys) without keeping it. */
  testAsSuperUser<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    return this.transaction(undefined, fn, true);
  }

  private async transaction<T>(scope: Scope | undefined, fn: (q: Query) => Promise<T>, rollback: boolean): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      const role = scope?.caller.role ?? "";
      const lit = (v: string) => client.escapeLiteral(v);
      // One round trip: open the transaction and set the request's GUCs (values escaped as literals).
      await client.query(
        `begin; select set_config('role', coalesce(nullif(${lit(role)}, ''), current_user), true),
                set_config('request.jwt.claim.role', ${lit(role)}, true),
                set_config('request.jwt', ${lit(scope?.caller.token ?? "")}, true),
                set_config('request.jwt.claim.sub', ${lit(scope?.caller.sub ?? "")}, true),
                set_config('request.jwt.claims', ${lit(JSON.stringify(scope?.caller.claims ?? {}))}, true),
                set_config('request.headers', ${lit(JSON.stringify(scope?.headers ?? {}))}, true),
                set_config('request.method', ${lit(scope?.method ?? "")}, true),
                set_config('request.path', ${lit(scope?.path ?? "")}, true),
                set_config('storage.operation', ${lit(scope?.operation ?? "")}, true),
                set_config('storage.allow_delete_query', 'true', true)`,
      );
      const q: Query = async <R>(text: string, values?: unknown[]) =>
        (await client.query({ text, values, types })).rows as R[];
      const result = await fn(q);
      await client.query(rollback ? "rollback" : "commit");
      return result;
    } catch (err) {
      await client.query("rollback").catch(() => (broken = true));
      throw fromDbError(err);
    } finally {
      client.release(broken);
    }
  }
}
