// Acting as a signed-in user on a superuser connection, the way PostgREST does it: one transaction
// whose first statement sets the role and the JWT claims with transaction-local set_config() calls
// (PostgREST's own shape), then the statement, then commit. Each call is one simple-query round trip
// (begin; settings; statement; commit), and the superuser baseline uses the very same wrapper and
// statement count minus the role setting, so a ratio compares the work inside Postgres, not the protocol.
import pg from "pg";

/** A SQL string literal (standard_conforming_strings is on). */
export const lit = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** The claims PostgREST would put in request.jwt.claims for a signed-in user. */
export function claimsOf(userId: string): string {
  return JSON.stringify({
    sub: userId,
    role: "authenticated",
    aud: "authenticated",
    aal: "aal1",
    is_anonymous: false,
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
}

const settings = (userId: string, role: string | undefined) =>
  `select ${role ? `set_config('role', ${lit(role)}, true), ` : ""}set_config('request.jwt.claims', ${lit(claimsOf(userId))}, true), set_config('request.jwt.claim.sub', ${lit(userId)}, true)`;

/** `statement` run as the user, under RLS, in its own transaction. */
export const asUser = (userId: string, statement: string): string =>
  `begin; ${settings(userId, "authenticated")}; ${statement}; commit;`;

/** `statement` run as the superuser (RLS bypassed) with the same claims and the same wrapper. */
export const asSuperuser = (userId: string, statement: string): string =>
  `begin; ${settings(userId, undefined)}; ${statement}; commit;`;

/** Opens `count` connections to the database. */
export async function connect(url: string, count: number): Promise<pg.Client[]> {
  const clients = Array.from({ length: count }, () => {
    const c = new pg.Client({ connectionString: url, application_name: "parley-bench" });
    // A connection dropped while idle (the stack stopping under an interrupted run) must not crash the
    // bench; a failure during a query still rejects that query.
    c.on("error", () => undefined);
    return c;
  });
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

export const closeAll = (clients: pg.Client[]): Promise<unknown> =>
  Promise.all(clients.map((c) => c.end().catch(() => undefined)));

/** The rows of the last statement of a multi-statement simple query (before its commit). */
export function rowsOfStatement(result: pg.QueryResult | pg.QueryResult[], fromEnd = 2): Record<string, unknown>[] {
  if (!Array.isArray(result)) return result.rows;
  return result[result.length - fromEnd]?.rows ?? [];
}
