// The supabase-js client every SDK module takes, and Parley's schema on it.
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "./database.types.ts";

/** The Postgres schema PostgREST exposes Parley's tables and RPCs in. */
export const PARLEY_SCHEMA = "parley";

type Typed = SupabaseClient<Database, typeof PARLEY_SCHEMA>;

/**
 * Parley's tables and RPCs, typed: `supabase.schema("parley")`. Every `.rpc()` / `.from()` of the SDK
 * goes through it, so the client's own default schema (`public` unless `db.schema` says otherwise) never matters.
 */
export type ParleyRest = ReturnType<Typed["schema"]>;

/**
 * What the SDK needs of a supabase-js client: Parley's schema for data, and the root client's Auth,
 * Storage, Functions and Realtime channels. Any `createClient(url, key)` fits — untyped,
 * `createClient<Database>(url, key)`, with `{ db: { schema: "parley" } }`, or typed with an app's own
 * Database that also contains Parley's `parley` schema.
 */
export interface ParleyClient {
  schema(schema: typeof PARLEY_SCHEMA): ParleyRest;
  readonly auth: Typed["auth"];
  readonly storage: Typed["storage"];
  readonly functions: Typed["functions"];
  channel: Typed["channel"];
  removeChannel: Typed["removeChannel"];
}

/** Parley's schema on a client, whatever schema the client itself defaults to. */
export const parleySchema = (db: ParleyClient): ParleyRest => db.schema(PARLEY_SCHEMA);
