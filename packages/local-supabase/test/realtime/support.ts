// Realtime test helpers: users made in the database, tokens signed with the stack's secret, clients, and awaitable events.
import { randomUUID } from "node:crypto";
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import { afterAll, afterEach } from "vitest";
import { signJwt } from "../../src/gateway/jwt.ts";
import { makeClient, type ClientOptions } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";
import { installFixture } from "../support/fixture-sql.ts";

let pool: pg.Pool | undefined;
/** Superuser database access for fixtures (never for the behaviour under test). */
export function db(): pg.Pool {
  return (pool ??= new pg.Pool({ connectionString: stackEnv.dbUrl, max: 4 }));
}

export interface RtUser {
  id: string;
  token: string;
}

/** Signs an access token as Auth would: sub, role authenticated, aud, exp (seconds from now). */
export function tokenFor(id: string, expiresInSeconds = 3600, extra: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { sub: id, role: "authenticated", aud: "authenticated", iat: now, exp: now + expiresInSeconds, ...extra },
    stackEnv.jwtSecret,
  );
}

/** Inserts a fresh auth.users row (the profile trigger runs) and signs its token. */
export async function newRtUser(): Promise<RtUser> {
  const id = randomUUID();
  const tag = id.replaceAll("-", "").slice(0, 12);
  await db().query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, '', now(),
             '{"provider":"email","providers":["email"]}', jsonb_build_object('username', $3::text, 'display_name', $3::text), now(), now())`,
    [id, `rt_${tag}@example.test`, `rt_${tag}`],
  );
  return { id, token: await tokenFor(id) };
}

const clients: SupabaseClient[] = [];
/** An official client; with `token`, Realtime uses it as the access token. Closed after each test. */
export async function client(opts: ClientOptions & { token?: string } = {}): Promise<SupabaseClient> {
  const c = makeClient(opts);
  clients.push(c);
  if (opts.token) await c.realtime.setAuth(opts.token);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) {
    await c.removeAllChannels().catch(() => undefined);
    c.realtime.disconnect();
  }
});
afterAll(async () => {
  await pool?.end();
  pool = undefined;
});

export interface SubscribeOutcome {
  status: string;
  error?: Error;
}

/** Subscribes and resolves with the first terminal status (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT, CLOSED). */
export function subscribe(ch: RealtimeChannel): Promise<SubscribeOutcome> {
  return new Promise((resolve) => {
    ch.subscribe((status, error) => resolve({ status, error }));
  });
}

/** Subscribes and fails unless the channel reaches SUBSCRIBED. */
export async function joined(ch: RealtimeChannel): Promise<RealtimeChannel> {
  const out = await subscribe(ch);
  if (out.status !== "SUBSCRIBED") throw new Error(`expected SUBSCRIBED, got ${out.status}: ${out.error?.message}`);
  return ch;
}

/** Collects values pushed to it and lets a test await the next one matching a predicate. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<{ pred: (t: T) => boolean; resolve: (t: T) => void }> = [];

  push = (t: T): void => {
    this.items.push(t);
    for (const w of [...this.waiters]) {
      if (w.pred(t)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(t);
      }
    }
  };

  /** Resolves with the first item (already received or future) matching `pred`. */
  next(pred: (t: T) => boolean = () => true): Promise<T> {
    const have = this.items.find(pred);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}

/** A unique topic for one test. */
export const topic = (prefix = "rt-test"): string => `${prefix}:${randomUUID()}`;

/**
 * Test-only policies on realtime.messages for topics `rt-test:*`: a row in rt_test.grants lets a user
 * read and/or write one extension on one topic. Topics `rt-broken:*` have a policy that fails with an SQL
 * error (P0001) instead of answering. Idempotent and safe with parallel test files.
 */
export async function installTopicPolicies(): Promise<void> {
  await installFixture(
    db(),
    "rt_test_fixture",
    `
      create schema if not exists rt_test;
      comment on schema rt_test is 'Realtime tests only: per-topic grants behind the rt-test:* policies.';
      create table if not exists rt_test.grants (
        topic text not null, user_id uuid not null, extension text not null,
        can_read boolean not null default true, can_write boolean not null default true,
        primary key (topic, user_id, extension));
      comment on table rt_test.grants is 'Realtime tests only: who may read/write which extension of which rt-test topic.';
      grant usage on schema rt_test to authenticated, anon;
      grant select on rt_test.grants to authenticated, anon;
      create or replace function rt_test.broken_policy(topic text) returns boolean language plpgsql as $f$
        begin
          if topic like 'rt-broken:%' then raise exception 'rt-test policy broken on purpose for %', topic; end if;
          return false;
        end $f$;
      comment on function rt_test.broken_policy(text) is 'Realtime tests only: the policy of rt-broken:* topics, which fails with an SQL error.';
      grant execute on function rt_test.broken_policy(text) to authenticated, anon;
      do $p$ begin
        if not exists (select 1 from pg_policies where schemaname = 'realtime' and tablename = 'messages' and policyname = 'rt_test_broken_read') then
          create policy rt_test_broken_read on realtime.messages for select to authenticated using (rt_test.broken_policy(realtime.topic()));
          create policy rt_test_broken_write on realtime.messages for insert to authenticated with check (rt_test.broken_policy(realtime.topic()));
        end if;
      end $p$;
      do $p$ begin
        if not exists (select 1 from pg_policies where schemaname = 'realtime' and tablename = 'messages' and policyname = 'rt_test_read') then
          create policy rt_test_read on realtime.messages for select to authenticated using (
            realtime.topic() like 'rt-test:%' and exists (select 1 from rt_test.grants g
              where g.topic = realtime.topic() and g.user_id = (select auth.uid()) and g.extension = realtime.messages.extension and g.can_read));
          create policy rt_test_write on realtime.messages for insert to authenticated with check (
            realtime.topic() like 'rt-test:%' and exists (select 1 from rt_test.grants g
              where g.topic = realtime.topic() and g.user_id = (select auth.uid()) and g.extension = realtime.messages.extension and g.can_write));
        end if;
      end $p$;`,
  );
}

/** Grants a user read/write on a test topic for the given extensions. */
export async function grant(
  topicName: string,
  userId: string,
  opts: { extensions?: string[]; read?: boolean; write?: boolean } = {},
): Promise<void> {
  for (const ext of opts.extensions ?? ["broadcast", "presence"]) {
    await db().query(
      `insert into rt_test.grants (topic, user_id, extension, can_read, can_write) values ($1, $2, $3, $4, $5)
       on conflict (topic, user_id, extension) do update set can_read = excluded.can_read, can_write = excluded.can_write`,
      [topicName, userId, ext, opts.read ?? true, opts.write ?? true],
    );
  }
}

export async function revoke(topicName: string, userId: string): Promise<void> {
  await db().query(`delete from rt_test.grants where topic = $1 and user_id = $2`, [topicName, userId]);
}

/**
 * What `inbox` received before the first item matching `isSentinel`, once that has arrived: how a test proves
 * that something did NOT arrive — it sends a sentinel after it, on a path that delivers in order, and waits
 * for the sentinel (never a fixed delay).
 */
export async function beforeSentinel<T>(inbox: Inbox<T>, isSentinel: (t: T) => boolean): Promise<T[]> {
  const sentinel = await inbox.next(isSentinel);
  return inbox.items.slice(0, inbox.items.indexOf(sentinel));
}

/**
 * Sends a database broadcast on `topicName` (`realtime.send`, the way database events are sent), to be awaited
 * as a sentinel: it reaches subscribers after every broadcast committed before it. Returns its id.
 */
export async function sendSentinel(topicName: string, isPrivate = true): Promise<string> {
  const id = randomUUID();
  await db().query("select realtime.send(jsonb_build_object('sentinel', $1::text), 'sentinel', $2, $3)", [
    id,
    topicName,
    isPrivate,
  ]);
  return id;
}

/** Matches the broadcast of sentinel `id`. */
export const isSentinel =
  (id: string) =>
  (m: { event?: string; payload?: unknown }): boolean =>
    m.event === "sentinel" && (m.payload as { sentinel?: unknown } | undefined)?.sentinel === id;
