-- Purpose: the `private` schema for Parley's internals (security definer helpers, trigger functions,
-- limits) — a schema PostgREST does not expose, so nothing here is an API endpoint.
-- Objects: schema private; default privileges for functions created in it.
-- Security: EXECUTE is revoked from PUBLIC function by function; each function grants execute explicitly, right
-- under its definition, so the grant surface reads like a list. USAGE goes to the API roles only so
-- that RLS policies (evaluated as the caller) can call the predicate helpers they are granted.

create schema if not exists private;
comment on schema private is 'Parley internals: definer helpers, trigger functions and limits. Not exposed by the API.';

revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- Postgres cannot revoke PUBLIC's default EXECUTE per schema (per-schema default privileges only add),
-- so every function below and in later migrations revokes explicitly right under its definition, and
-- supabase/tests/messaging/definer_audit.test.sql checks that nothing in private is left executable
-- by PUBLIC or anon.

-- Every RPC raises through this when nobody is signed in: one message, one code.
create or replace function private.require_user()
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
comment on function private.require_user() is 'The caller''s user id (auth.uid()), or 42501 not_authenticated.';
revoke execute on function private.require_user() from public, anon;
grant execute on function private.require_user() to authenticated, service_role;
