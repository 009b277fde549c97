// Official supabase-js clients for tests: anonymous, service role, and fresh signed-up users.
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { stackEnv } from "./env.ts";

export interface ClientOptions {
  /** Key sent as `apikey` (default: the legacy anon key). */
  key?: string;
  /** Realtime protocol version (default: the client's own, 2.0.0). */
  vsn?: "1.0.0" | "2.0.0";
  /** The WebSocket constructor realtime-js uses (default: `ws`'s). */
  transport?: typeof WebSocket;
  /** How long realtime-js waits for a reply (a channel join) before TIMED_OUT (default: its own, 10 s). */
  realtimeTimeoutMs?: number;
}

/** A supabase-js client on the stack with no session persistence (Node has no storage). */
export function makeClient(opts: ClientOptions = {}): SupabaseClient {
  return createClient(stackEnv.url, opts.key ?? stackEnv.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // Node 20 has no global WebSocket: hand realtime-js the `ws` implementation.
    realtime: {
      transport: (opts.transport ?? WebSocket) as unknown as typeof globalThis.WebSocket,
      ...(opts.vsn ? { vsn: opts.vsn } : {}),
      ...(opts.realtimeTimeoutMs ? { timeout: opts.realtimeTimeoutMs } : {}),
    },
  });
}

export const anonClient = (): SupabaseClient => makeClient();

export const serviceClient = (): SupabaseClient => makeClient({ key: stackEnv.serviceRoleKey });

export interface TestUser {
  id: string;
  email: string;
  password: string;
  username: string;
  client: SupabaseClient;
  accessToken: string;
}

/** Signs up a brand-new user through Auth and returns a client signed in as them. */
export async function newUser(
  opts: { username?: string; displayName?: string } & Pick<ClientOptions, "transport" | "realtimeTimeoutMs"> = {},
): Promise<TestUser> {
  const tag = randomUUID().replaceAll("-", "").slice(0, 12);
  const username = opts.username ?? `u_${tag}`;
  const email = `${username}@example.test`;
  const password = `pw-${tag}-Secret1`;
  const client = makeClient({ transport: opts.transport, realtimeTimeoutMs: opts.realtimeTimeoutMs });
  const { data, error } = await client.auth.signUp({
    email,
    password,
    options: { data: { username, display_name: opts.displayName ?? `User ${tag}` } },
  });
  if (error || !data.session || !data.user)
    throw new Error(`newUser: sign-up failed: ${error?.message ?? "no session returned"}`);
  await client.realtime.setAuth(data.session.access_token);
  return { id: data.user.id, email, password, username, client, accessToken: data.session.access_token };
}

/** Another device of an existing user: a new client signed in with their password. */
export async function anotherDevice(user: Pick<TestUser, "email" | "password">): Promise<SupabaseClient> {
  const client = makeClient();
  const { data, error } = await client.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error || !data.session)
    throw new Error(`anotherDevice: sign-in failed: ${error?.message ?? "no session returned"}`);
  await client.realtime.setAuth(data.session.access_token);
  return client;
}
