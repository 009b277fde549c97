-- Supabase platform stand-in, part 0: the roles every Supabase database has.
-- Local databases only (never deployed). Idempotent: roles are cluster-wide, so each is created only if missing.
do $roles$
declare
  r record;
begin
  for r in
    select * from (values
      -- name,                       attributes
      ('anon',                       'nologin noinherit'),
      ('authenticated',              'nologin noinherit'),
      ('service_role',               'nologin noinherit bypassrls'),
      ('authenticator',              'login noinherit'),
      ('supabase_admin',             'login superuser createdb createrole replication bypassrls'),
      ('supabase_auth_admin',        'login noinherit'),
      ('supabase_storage_admin',     'login noinherit createrole'),
      ('supabase_realtime_admin',    'nologin noinherit'),
      ('supabase_functions_admin',   'login noinherit createrole noreplication'),
      ('dashboard_user',             'nologin createdb createrole replication'),
      ('pgbouncer',                  'login'),
      ('supabase_replication_admin', 'login replication'),
      ('supabase_read_only_user',    'login bypassrls')
    ) as t(name, attrs)
  loop
    if not exists (select 1 from pg_roles where rolname = r.name) then
      execute format('create role %I %s', r.name, r.attrs);
    end if;
  end loop;
end
$roles$;

-- Hosted made the API roles INHERIT in 2023; the stand-in matches the final state.
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;

-- Role-level settings as on hosted.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

-- PostgREST's login role switches into the three API roles; Realtime's role into the same.
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to supabase_realtime_admin;
grant authenticator to supabase_storage_admin;
grant pg_read_all_data to supabase_read_only_user;
-- The customer's role may switch into the API roles (it is the bootstrap superuser locally, so this
-- only matters when DATABASE_URL points at a server whose `postgres` is not a superuser).
grant anon, authenticated, service_role to postgres;
