// Official supabase-js clients for Parley's suites: the local stack's test clients, and Parley's schema on them.
import type { SupabaseClient } from "@supabase/supabase-js";

export {
  anonClient,
  anotherDevice,
  makeClient,
  newUser,
  serviceClient,
  type ClientOptions,
  type TestUser,
} from "@parley/local-supabase/testing";

/** The schema PostgREST exposes Parley's tables and RPCs in (never `public`). */
export const PARLEY_SCHEMA = "parley";
/** Parley's tables and RPCs on a client whose default schema is `public`: `client.schema("parley")`. */
export const parleyOf = (client: SupabaseClient) => client.schema(PARLEY_SCHEMA);
