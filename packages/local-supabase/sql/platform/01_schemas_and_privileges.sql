-- Supabase platform stand-in, part 1: extensions schema, search_path, and the default privileges that
-- make everything in `public` reachable by the API roles at grant level (RLS is the only barrier).
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role, supabase_realtime_admin;
grant all on schema extensions to dashboard_user;

create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;

-- The search_path hosted gives role `postgres` (pgTAP tests rely on it to find pgTAP in `extensions`).
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_admin set search_path = "$user", public, auth, extensions;
do $db$
begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end
$db$;

-- Hosted databases run in UTC (realtime.messages partitions are per UTC day).
do $tz$
begin
  execute format('alter database %I set timezone = ''UTC''', current_database());
end
$tz$;

grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage, create on schema public to supabase_realtime_admin;

-- Default privileges in `public`, for objects created by `postgres` and by `supabase_admin`.
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant execute on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant execute on functions to postgres, anon, authenticated, service_role;

-- graphql_public is in the default `[api] schemas`; pg_graphql itself is off by default (2026 image).
create schema if not exists graphql_public authorization supabase_admin;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;

-- Realtime's publication for Postgres Changes: created empty; apps add tables to it.
do $pub$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$pub$;
