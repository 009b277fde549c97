// Fixtures for the storage suites that need neither Auth nor REST: users inserted into auth.users and
// signed in with a token signed like GoTrue's, and a shared private bucket whose policies let the members of
// a folder (rows of st_test.members) read and write under it, as an app's per-group folders would.
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import WebSocket from "ws";
import { afterAll } from "vitest";
import { signJwt } from "../../src/gateway/jwt.ts";
import { stackEnv } from "../support/env.ts";
import { installFixture } from "../support/fixture-sql.ts";

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

/** Inserts a user as Auth would (the project's triggers on auth.users run) and signs an access token for it. */
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

/** The shared private bucket: 100 MiB per object, images, video, audio and PDF only. */
export const SHARED_BUCKET = "st-shared";

let installed: Promise<void> | undefined;
/** Creates the shared bucket, st_test.members and the bucket's policies once (idempotent, parallel-safe). */
function installSharedBucket(): Promise<void> {
  return (installed ??= installFixture(
    db(),
    "st_test_fixture",
    `
        create schema if not exists st_test;
        comment on schema st_test is 'Storage tests only: who belongs to which folder of the shared bucket.';
        create table if not exists st_test.members (folder text not null, user_id uuid not null, primary key (folder, user_id));
        comment on table st_test.members is 'Storage tests only: members of a folder of ${SHARED_BUCKET}.';
        grant usage on schema st_test to authenticated;
        grant select on st_test.members to authenticated;
        insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
          values ('${SHARED_BUCKET}', '${SHARED_BUCKET}', false, 104857600, '{image/*,video/*,audio/*,application/pdf}')
          on conflict (id) do nothing;
        do $p$ begin
          if not exists (select 1 from pg_policies where schemaname = 'storage' and tablename = 'objects' and policyname = 'st_test_member_read') then
            create policy st_test_member_read on storage.objects for select to authenticated using (
              bucket_id = '${SHARED_BUCKET}' and exists (select 1 from st_test.members m
                where m.folder = (storage.foldername(name))[1] and m.user_id = (select auth.uid())));
            create policy st_test_member_write on storage.objects for insert to authenticated with check (
              bucket_id = '${SHARED_BUCKET}' and exists (select 1 from st_test.members m
                where m.folder = (storage.foldername(name))[1] and m.user_id = (select auth.uid())));
          end if;
        end $p$;`,
  ).catch((e: unknown) => {
    installed = undefined;
    throw e;
  }));
}

/** A folder of the shared bucket these users may read and write under; returns its name (a uuid). */
export async function newFolder(members: StorageUser[]): Promise<string> {
  await installSharedBucket();
  const folder = randomUUID();
  for (const m of members)
    await db().query("insert into st_test.members (folder, user_id) values ($1, $2)", [folder, m.id]);
  return folder;
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
