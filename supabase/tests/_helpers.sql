-- pgTAP helpers shared by every test file: make users the way Auth does, and act as them the way
-- PostgREST and Realtime do (role + request.jwt.claims, transaction-local). Loaded once per test run.
create schema if not exists tests;
comment on schema tests is 'pgTAP helpers; exists only in local test databases.';
grant usage on schema tests to anon, authenticated, service_role;

-- A user row as Auth writes it (the profile trigger on auth.users fires); returns the id.
create or replace function tests.create_user(user_id uuid, username text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                          raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', user_id, 'authenticated', 'authenticated',
          username || '@example.test', '', now(),
          jsonb_build_object('provider', 'email', 'providers', jsonb_build_array('email')),
          jsonb_build_object('username', username, 'display_name', initcap(username)),
          now(), now());
  return user_id;
end
$$;
comment on function tests.create_user(uuid, text) is 'Inserts an auth.users row (email <username>@example.test) so the profile trigger runs.';

-- The user's email, readable whoever the test is currently acting as (auth.users is closed to the API roles).
create or replace function tests.user_email(user_id uuid) returns text
language sql
stable
security definer
set search_path = ''
as $$
  select u.email::text from auth.users as u where u.id = user_id
$$;
comment on function tests.user_email(uuid) is 'Email of a test user, for building claims while acting as another role.';

-- Act as a signed-in user for the rest of the transaction, exactly as PostgREST sets it up; with
-- is_anonymous, as an anonymous sign-in (GoTrue's is_anonymous claim).
create or replace function tests.authenticate_as(user_id uuid, is_anonymous boolean default false) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_email text;
  v_claims jsonb;
begin
  v_email := tests.user_email(user_id);
  v_claims := jsonb_build_object(
    'sub', user_id, 'role', 'authenticated', 'aud', 'authenticated', 'email', v_email,
    'aal', 'aal1', 'is_anonymous', authenticate_as.is_anonymous,
    'app_metadata', jsonb_build_object('provider', case when authenticate_as.is_anonymous then 'anonymous' else 'email' end),
    'user_metadata', '{}'::jsonb,
    'exp', extract(epoch from now() + interval '1 hour')::bigint);
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', v_claims::text, true);
  perform set_config('request.jwt.claim.sub', user_id::text, true);
  perform set_config('request.jwt.claim.role', 'authenticated', true);
end
$$;
comment on function tests.authenticate_as(uuid, boolean) is 'role authenticated + request.jwt.claims of that user (anonymous or not), transaction-local.';

create or replace function tests.authenticate_as_service_role() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', 'service_role', true);
end
$$;
comment on function tests.authenticate_as_service_role() is 'Acts as the service key (bypasses RLS).';

create or replace function tests.authenticate_as_anon() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', 'anon', true);
end
$$;
comment on function tests.authenticate_as_anon() is 'Acts as a request with only the anon key.';

create or replace function tests.clear_authentication() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('role', 'postgres', true);
  perform set_config('request.jwt.claims', '', true);
  perform set_config('request.jwt.claim.sub', '', true);
  perform set_config('request.jwt.claim.role', '', true);
end
$$;
comment on function tests.clear_authentication() is 'Back to the postgres role with no claims.';

-- What running sql as the current role raises: '<sqlstate> <hint>' ('-' when there is no hint), or
-- 'no error'. Tests compare it with the stable code and Parley hint a refusal must carry.
create or replace function tests.error_of(sql text) returns text
language plpgsql
-- The names a test's sql leaves unqualified resolve as they would for the API roles.
set search_path = parley, public, extensions
as $$
declare
  v_state text;
  v_hint text;
begin
  execute sql;
  return 'no error';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_hint = pg_exception_hint;
  return v_state || ' ' || coalesce(nullif(v_hint, ''), '-');
end
$$;
comment on function tests.error_of(text) is 'Runs sql as the current role; returns ''<sqlstate> <hint or ->'' of what it raised, or ''no error''.';

-- The first column of the first row of sql run as the current role, as text (null when no row).
create or replace function tests.value_of(sql text) returns text
language plpgsql
-- The names a test's sql leaves unqualified resolve as they would for the API roles.
set search_path = parley, public, extensions
as $$
declare
  v text;
begin
  execute sql into v;
  return v;
end
$$;
comment on function tests.value_of(text) is 'Runs sql as the current role; returns the first column of its first row as text.';

-- How many rows sql (an insert, update or delete) touched when run as the current role; RLS that hides
-- rows shows here as 0.
create or replace function tests.rows_affected(sql text) returns bigint
language plpgsql
-- The names a test's sql leaves unqualified resolve as they would for the API roles.
set search_path = parley, public, extensions
as $$
declare
  v bigint;
begin
  execute sql;
  get diagnostics v = row_count;
  return v;
end
$$;
comment on function tests.rows_affected(text) is 'Runs sql as the current role; returns its row count.';

-- The EXPLAIN text of sql as the current role (with its RLS policies), for plan-shape assertions.
create or replace function tests.plan_of(sql text) returns text
language plpgsql
-- The names a test's sql leaves unqualified resolve as they would for the API roles.
set search_path = parley, public, extensions
as $$
declare
  v text := '';
  r record;
begin
  for r in execute 'explain ' || sql loop
    v := v || r."QUERY PLAN" || E'\n';
  end loop;
  return v;
end
$$;
comment on function tests.plan_of(text) is 'EXPLAIN of sql as the current role, one text with a line per plan line.';

-- What a repeated operation ("blocking again", "accepting twice") must leave as it was: the rows sql selects
-- (select their ctid too: it moves on any update, even one that writes the same values) and how many
-- realtime events this test has sent, as one text. Read as the test's owner, whoever the test acts as.
create or replace function tests.state_of(sql text) returns text
language plpgsql
security definer
-- The names a test's sql leaves unqualified resolve as they would for the API roles.
set search_path = parley, public, extensions
as $$
declare
  v text;
begin
  execute format('select string_agg(r::text, '','' order by r::text) from (%s) r', sql) into v;
  return coalesce(v, '(no rows)') || ' events ' || (select count(*) from realtime.messages);
end
$$;
comment on function tests.state_of(text) is 'The rows sql selects and the count of realtime events sent so far, as text: equal before and after = nothing changed.';

-- Realtime events a test's writes sent. take() moves the realtime.messages rows this transaction can see
-- (its own: every test file runs in its own transaction) into the session's temp table `taken`, made on
-- first use and emptied first; returns how many it moved. Tests then read `taken` or use ev().
create or replace function tests.take() returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v bigint;
begin
  create temp table if not exists taken (id uuid, topic text, event text, payload jsonb, private boolean, extension text);
  delete from pg_temp.taken;
  with d as (delete from realtime.messages m returning m.id, m.topic, m.event, m.payload, m.private, m.extension)
  insert into pg_temp.taken select * from d;
  get diagnostics v = row_count;
  return v;
end
$$;
comment on function tests.take() is 'Moves the realtime.messages rows sent so far into the temp table taken (emptied first); returns how many.';

-- The payload (without its event id) of the one taken event with that topic and event name; null when
-- there is none, an error when there are several (a member who got an event twice must fail the test).
create or replace function tests.ev(topic text, event text) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v jsonb[];
begin
  select array_agg(t.payload - 'id') into v from pg_temp.taken t where t.topic = ev.topic and t.event = ev.event;
  if coalesce(cardinality(v), 0) > 1 then
    raise exception 'tests.ev: % % events on %, expected at most one', cardinality(v), ev.event, ev.topic;
  end if;
  return v[1];
end
$$;
comment on function tests.ev(text, text) is 'Payload (minus id) of the one taken event of that topic and name; null if none, an error if several.';

grant execute on all functions in schema tests to anon, authenticated, service_role;
