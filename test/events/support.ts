// Helpers for the Parley realtime event suites: signed-up users (official client), their private channels, cleanup.
import { randomUUID } from "node:crypto";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { afterEach } from "vitest";
import { makeClient, newUser, parleyOf, type TestUser } from "../support/clients.ts";
import {
  beforeSentinel,
  Inbox,
  isSentinel,
  joined,
  newRtUser,
  sendSentinel,
  subscribe,
  tokenFor,
  type SubscribeOutcome,
} from "@parley/local-supabase/testing/realtime";
import { acquaint } from "../support/contacts.ts";

export interface Broadcast {
  event: string;
  payload: Record<string, unknown>;
  meta?: { id?: string };
}

const users: TestUser[] = [];
/** A user signed up through /auth/v1; its client is signed in and its Realtime token set. Disconnected after each test. */
export async function user(): Promise<TestUser> {
  const u = await newUser();
  users.push(u);
  return u;
}

afterEach(async () => {
  for (const u of users.splice(0)) {
    await u.client.removeAllChannels().catch(() => undefined);
    u.client.realtime.disconnect();
  }
});

export interface Listening {
  channel: RealtimeChannel;
  events: Inbox<Broadcast>;
}

/** A private channel of `u` on `topic` collecting every broadcast; not yet subscribed. */
export function listen(u: TestUser, topic: string, config: Record<string, unknown> = {}): Listening {
  const channel = u.client.channel(topic, { config: { private: true, ...config } });
  const events = new Inbox<Broadcast>();
  channel.on("broadcast", { event: "*" }, (m) => events.push(m as unknown as Broadcast));
  // realtime-js enables presence for a channel only when something listens to it.
  if (config.presence) channel.on("presence", { event: "sync" }, () => undefined);
  return { channel, events };
}

/**
 * Joins `topic` as `u` and waits until the database broadcast stream is up for it, so that any write
 * committed afterwards is certainly delivered (Realtime keeps no queue).
 */
export async function live(u: TestUser, topic: string, config: Record<string, unknown> = {}): Promise<Listening> {
  const broadcast = { ...(config.broadcast as Record<string, unknown> | undefined), replication_ready: true };
  const l = listen(u, topic, { ...config, broadcast });
  const system = new Inbox<Record<string, unknown>>();
  l.channel.on("system", {}, (p: Record<string, unknown>) => system.push(p));
  await joined(l.channel);
  await system.next((p) => p.message === "Replication connection established");
  return l;
}

/** Subscribes and answers the terminal status (and error) without throwing. */
export const trySubscribe = (ch: RealtimeChannel): Promise<SubscribeOutcome> => subscribe(ch);

/** Calls a Parley RPC (schema parley) as the user and returns its data, throwing on error. */
export async function rpc<T>(u: TestUser, fn: string, args: Record<string, unknown>): Promise<T> {
  const { data, error } = await parleyOf(u.client).rpc(fn, args);
  if (error) throw new Error(`${fn}: ${error.message}`);
  return data as T;
}

export const byEvent =
  (event: string) =>
  (m: Broadcast): boolean =>
    m.event === event;

/** `count` users made directly in the database (no Auth round trip): fillers to grow a group past the fan-out bound. */
export async function fillers(count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, async () => (await newRtUser()).id));
}

/** The inbox fan-out bound (parley_internal.realtime_limits): above it a group's events go to conversation:<id>:events. */
export const INBOX_FANOUT_MAX = 100;

/** A group of `owner` with `members` and enough fillers to be above the fan-out bound. */
export async function largeGroup(owner: TestUser, members: TestUser[], title = "Large group"): Promise<{ id: string }> {
  const extra = await fillers(INBOX_FANOUT_MAX + 1 - members.length);
  await acquaint(owner, [...members, ...extra]);
  return rpc<{ id: string }>(owner, "create_group", { title, member_ids: [...members.map((m) => m.id), ...extra] });
}

/** A fresh access token for `u` (a later `iat`), as a token refresh would hand Realtime. */
export const refreshedToken = (u: TestUser): Promise<string> => tokenFor(u.id, 3600, { session_id: randomUUID() });

/**
 * Everything `l` received before a sentinel sent now on its topic as a database broadcast (the path and
 * commit order of Parley's own events): to prove that something did not arrive, call it after the writes
 * that must not reach `l`, never wait a fixed delay.
 */
export async function receivedBeforeSentinel(l: Listening): Promise<Broadcast[]> {
  return beforeSentinel(l.events, isSentinel(await sendSentinel(l.channel.subTopic)));
}

/** Another client signed in as `u` (a second device), disconnected after the test like the others. */
export async function secondDevice(u: TestUser): Promise<TestUser> {
  const client = makeClient();
  const { data, error } = await client.auth.signInWithPassword({ email: u.email, password: u.password });
  if (error || !data.session) throw new Error(`secondDevice: sign-in failed: ${error?.message ?? "no session"}`);
  await client.realtime.setAuth(data.session.access_token);
  const device = { ...u, client, accessToken: data.session.access_token };
  users.push(device);
  return device;
}
