-- Parley's two schemas. Parley owns these and nothing else in a project (besides its bucket, its
-- trigger on auth.users and its policies on realtime.messages / storage.objects), so it installs beside
-- an app's own public and private schemas without touching them.
--
-- Functions get EXECUTE for PUBLIC by default and Postgres cannot take that away per schema (per-schema
-- default privileges only add), so every function revokes it right under its definition and grants
-- execute explicitly: the grant surface reads like a list. supabase/tests/messaging/definer_audit.test.sql
-- checks that nothing is left executable by PUBLIC or anon.

-- The API: tables, RPCs. Exposed by PostgREST (config.toml [api] schemas; a hosted project's API settings).
create schema if not exists parley;
comment on schema parley is 'Parley''s API: messaging and calls tables and RPCs, under row-level security. Exposed by the Data API.';
revoke all on schema parley from public;
-- anon gets usage only so that its requests are refused per object (no table or function grants it anything).
grant usage on schema parley to anon, authenticated, service_role;

-- The internals: definer helpers, trigger functions, internal tables. Never exposed by the API; usage
-- goes to the API roles only so that RLS policies (evaluated as the caller) can call the predicate
-- helpers they are granted.
create schema if not exists parley_internal;
comment on schema parley_internal is 'Parley internals: definer helpers, trigger functions and limits. Not exposed by the API.';
revoke all on schema parley_internal from public;
grant usage on schema parley_internal to authenticated, service_role;

-- Every RPC raises through this when nobody is signed in: one message, one code.
create or replace function parley_internal.require_user()
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := auth.uid();
begin
  if v_user_id is null then
    raise exception 'not signed in: this operation needs an authenticated user'
      using errcode = '42501', hint = 'not_authenticated';
  end if;
  return v_user_id;
end;
$$;
comment on function parley_internal.require_user() is 'The caller''s user id (auth.uid()), or 42501 not_authenticated.';
revoke execute on function parley_internal.require_user() from public, anon;
grant execute on function parley_internal.require_user() to authenticated, service_role;
