// Shared pieces of the Auth suite: the base URL from stackEnv, fresh credentials, raw fetch helpers.
import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import { makeClient } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";

/** The /auth/v1 base URL of the stack under test (a local stack or a real `supabase start`). */
export const authUrl = (): string => `${stackEnv.url}/auth/v1`;

/** A supabase-js client with no persistence and no auto-refresh, so each test drives the session itself. */
export function client(key: string = stackEnv.anonKey): SupabaseClient {
  return makeClient({ key });
}

/** A unique email and a password that meets the default policy. */
export function credentials(): { email: string; password: string } {
  const tag = randomUUID().replaceAll("-", "").slice(0, 12);
  return { email: `auth_${tag}@example.test`, password: `pw-${tag}-Secret1` };
}

/** Signs up a fresh user and returns the client holding their session. */
export async function signedUp(data: Record<string, unknown> = {}) {
  const c = client();
  const creds = credentials();
  const { data: res, error } = await c.auth.signUp({ ...creds, options: { data } });
  if (error || !res.session || !res.user) throw new Error(`sign-up failed: ${error?.message ?? "no session"}`);
  return { client: c, ...creds, session: res.session, user: res.user };
}

/** A raw request to /auth/v1 with the anon key, as auth-js sends it (API version 2024-01-01) unless told otherwise. */
export async function authFetch(
  path: string,
  init: { method?: string; body?: unknown; token?: string; apiVersion?: string | null; key?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    apikey: init.key ?? stackEnv.anonKey,
    authorization: `Bearer ${init.token ?? init.key ?? stackEnv.anonKey}`,
    "content-type": "application/json;charset=UTF-8",
  };
  if (init.apiVersion !== null) headers["x-supabase-api-version"] = init.apiVersion ?? "2024-01-01";
  return fetch(`${authUrl()}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
}

/** Decodes a JWT payload without verifying it. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}
