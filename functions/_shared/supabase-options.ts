// The options every supabase-js client the functions create shares: Parley's API schema and no session.

/** Parley's exposed API schema: every table and RPC the functions reach lives there, not in `public`. */
export const PARLEY_SCHEMA = "parley";

/**
 * Server-side clients act for one request: nothing to persist, refresh or read from a URL, and every
 * `.rpc()` / `.from()` addressed to Parley's schema (PostgREST's Content-Profile / Accept-Profile).
 */
export const serverClientOptions = {
  db: { schema: PARLEY_SCHEMA },
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
} as const;
