// Fixtures for the storage suites that need neither Auth nor REST: users inserted into auth.users and
// signed in with a token signed like GoTrue's, conversations inserted as the superuser.
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import WebSocket from "ws";
import { afterAll } from "vitest";
import { signJwt } from "../../stack/gateway/jwt.ts";
import { stackEnv } from "../support/env.ts";

let pool: pg.Pool | undefined;
/** A superuser pool on the stack's database (fixtures and assertions on rows only). */
export function db(): pg.Pool {
  pool ??= new pg.Pool({ connectionString: stackEnv.dbUrl, max: 2 });
  return pool;
}
// Registered when a test file imports this module (collection time), once per file.
afterAll(async () => {
  await pool?.end();
  pool = undefined;
});

export interface StorageUser {
  id: string;
  email: string;
  token: string;
  /** supabase-js with the user's access token on every request. */
  client: SupabaseClient;
}

const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  // Node 20 has no global WebSocket; supabase-js builds its realtime client eagerly.
  realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
};

/** A client with the given bearer token (the anon key as apikey, as an app would send). */
export function clientWithToken(token: string): SupabaseClient {
  return createClient(stackEnv.url, stackEnv.anonKey, {
    ...clientOptions,
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
}

/** supabase-js with the service_role key. */
export const serviceClient = (): SupabaseClient => createClient(stackEnv.url, stackEnv.serviceRoleKey, clientOptions);
/** supabase-js with the anon key and no session. */
export const anonClient = (): SupabaseClient => createClient(stackEnv.url, stackEnv.anonKey, clientOptions);

/** Inserts a user as Auth would (its profile is made by the trigger) and signs an access token for it. */
export async function newStorageUser(): Promise<StorageUser> {
  const id = randomUUID();
  const tag = id.replaceAll("-", "").slice(0, 12);
  const email = `st_${tag}@example.test`;
  await db().query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                             raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, '', now(),
             '{"provider":"email","providers":["email"]}', $3, now(), now())`,
    [id, email, JSON.stringify({ username: `st_${tag}`, display_name: `Storage ${tag}` })],
  );
  const now = Math.floor(Date.now() / 1000);
  const token = await signJwt(
    {
      sub: id,
      role: "authenticated",
      aud: "authenticated",
      email,
      iat: now,
      exp: now + 3600,
      aal: "aal1",
      is_anonymous: false,
    },
    stackEnv.jwtSecret,
  );
  return { id, email, token, client: clientWithToken(token) };
}

/** A group conversation with these members (first is owner); returns its id. */
export async function newConversation(members: StorageUser[]): Promise<string> {
  const [owner] = members;
  const { rows } = await db().query<{ id: string }>(
    "insert into parley.conversations (kind, title, created_by) values ('group', 'storage test', $1) returning id",
    [owner!.id],
  );
  const id = rows[0]!.id;
  for (const [i, m] of members.entries()) {
    await db().query("insert into parley.conversation_members (conversation_id, user_id, role) values ($1, $2, $3)", [
      id,
      m.id,
      i === 0 ? "owner" : "member",
    ]);
  }
  return id;
}

/** The storage.objects row of an object, or undefined. */
export async function objectRow(bucket: string, name: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db().query("select * from storage.objects where bucket_id = $1 and name = $2", [bucket, name]);
  return rows[0] as Record<string, unknown> | undefined;
}

/** A unique bucket id for one test. */
export const bucketName = (label: string): string => `t-${label}-${randomUUID().slice(0, 8)}`;

/** A small PNG-looking payload (the bytes need not decode; Storage does not sniff). */
export const pngBytes = (n = 64): Uint8Array<ArrayBuffer> => {
  const b = new Uint8Array(new ArrayBuffer(n));
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < n; i++) b[i] = i % 251;
  return b;
};
