// REST test support: users made with SQL and self-signed tokens (no Auth service needed), fixture tables, raw fetch.
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import WebSocket from "ws";
import { signJwt } from "../../src/gateway/jwt.ts";
import { stackEnv } from "../support/env.ts";

let pool: pg.Pool | undefined;
/** Superuser connection for fixtures only; the behaviour under test goes through HTTP. */
export const db = (): pg.Pool => (pool ??= new pg.Pool({ connectionString: stackEnv.dbUrl, max: 3 }));
export async function closeDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

export const restUrl = (): string => `${stackEnv.url}/rest/v1`;

/**
 * Fixture tables and functions live in `graphql_public`: it is exposed by default (`[api] schemas`), and a
 * project's own schemas (and the types it generates from them) never see them.
 */
export const FIXTURE_SCHEMA = "graphql_public";

const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };
// Node 20 has no global WebSocket; realtime-js needs one even when unused.
const realtime = { transport: WebSocket as unknown as typeof globalThis.WebSocket };

/** A supabase-js client with the anon key and, optionally, a user's access token; `schema` picks the profile. */
export function client(token?: string, schema = "public"): SupabaseClient {
  return createClient(stackEnv.url, stackEnv.anonKey, {
    db: { schema },
    auth: noSession,
    realtime,
    global: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    // The schema is chosen at run time; the tests use the untyped client either way.
  }) as unknown as SupabaseClient;
}

export const serviceClient = (schema = "public"): SupabaseClient =>
  createClient(stackEnv.url, stackEnv.serviceRoleKey, {
    db: { schema },
    auth: noSession,
    realtime,
  }) as unknown as SupabaseClient;

export interface SqlUser {
  id: string;
  email: string;
  token: string;
  client: SupabaseClient;
}

/** Signs an access token like GoTrue's for `sub` (role authenticated unless given). */
export async function tokenFor(
  sub: string,
  opts: { email?: string; role?: string; expiresIn?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      sub,
      role: opts.role ?? "authenticated",
      aud: "authenticated",
      email: opts.email,
      iat: now,
      exp: now + (opts.expiresIn ?? 3600),
    },
    stackEnv.jwtSecret,
  );
}

/** Inserts an auth.users row as superuser (the project's triggers run) and returns a client signed in as it. */
export async function sqlUser(schema = "public"): Promise<SqlUser> {
  const id = randomUUID();
  const tag = id.replaceAll("-", "").slice(0, 12);
  const email = `rest_${tag}@example.test`;
  await db().query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, '', now(),
             '{"provider":"email","providers":["email"]}', jsonb_build_object('username', $3::text, 'display_name', 'Rest ' || $3::text), now(), now())`,
    [id, email, `rest_${tag}`],
  );
  const token = await tokenFor(id, { email });
  return { id, email, token, client: client(token, schema) };
}

/** Plain fetch against /rest/v1 with the anon key (a `token` replaces the Authorization header), on the fixture schema unless told. */
export async function rest(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("accept-profile")) headers.set("accept-profile", FIXTURE_SCHEMA);
  if (!headers.has("content-profile")) headers.set("content-profile", FIXTURE_SCHEMA);
  if (!headers.has("apikey")) headers.set("apikey", stackEnv.anonKey);
  if (init.token !== undefined) {
    if (init.token === null) headers.delete("authorization");
    else headers.set("authorization", `Bearer ${init.token}`);
  } else if (!headers.has("authorization")) headers.set("authorization", `Bearer ${stackEnv.anonKey}`);
  return fetch(`${restUrl()}${path}`, { ...init, headers });
}

/** A short unique prefix for fixture objects of one test file (objects go in FIXTURE_SCHEMA). */
export const uniquePrefix = (): string => `rf_${randomUUID().replaceAll("-", "").slice(0, 8)}`;

/** Runs DDL as superuser, asks the REST service to reload its schema cache, and waits until `probe` resolves. */
export async function ddlAndReload(sql: string, probePath: string): Promise<void> {
  await db().query(sql);
  await db().query("notify pgrst, 'reload schema'");
  for (let i = 0; i < 100; i++) {
    const res = await rest(probePath, { token: stackEnv.serviceRoleKey });
    if (res.status !== 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`schema cache never showed ${probePath}`);
}
