-- Profiles: one per auth user, the directory people pick whom to message from.

create table parley.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text not null,
  display_name text not null,
  avatar_url text,
  last_seen_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_username_check check (username ~ '^[A-Za-z0-9_][A-Za-z0-9_.]{2,31}$'),
  constraint profiles_display_name_check check (char_length(display_name) between 1 and 64),
  constraint profiles_avatar_url_check check (char_length(avatar_url) <= 2048)
);
comment on table parley.profiles is 'One public profile per user, created automatically when the auth user is created.';
comment on column parley.profiles.username is 'Unique handle, 3-32 of [A-Za-z0-9_.], compared case-insensitively.';
comment on column parley.profiles.last_seen_at is 'Set by the client (or the realtime presence layer) when the user was last active.';
alter table parley.profiles enable row level security;
revoke all on table parley.profiles from public, anon, authenticated;
grant select on table parley.profiles to authenticated;
grant update (username, display_name, avatar_url, last_seen_at) on table parley.profiles to authenticated;
grant all on table parley.profiles to service_role;

-- Usernames are unique whatever their case: "Alice" and "alice" are one handle.
create unique index profiles_username_lower_key on parley.profiles (lower(username));

-- The people the caller shares a conversation with (themselves included). Definer so the profiles
-- policy can read memberships without re-entering their RLS; plpgsql because conversation_members is
-- defined after this file. Only restricted anonymous callers ever reach it (see the policy).
create or replace function parley_internal.my_contact_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
rows 100
as $$
begin
  return query
    select distinct them.user_id
      from parley.conversation_members me
      join parley.conversation_members them on them.conversation_id = me.conversation_id
     where me.user_id = (select auth.uid());
end;
$$;
comment on function parley_internal.my_contact_ids() is 'User ids of everyone who shares a conversation with auth.uid(); used by the profiles policy.';
revoke execute on function parley_internal.my_contact_ids() from public, anon;
grant execute on function parley_internal.my_contact_ids() to authenticated, service_role;

-- Any signed-in user can look anyone up (to start a direct conversation, render senders). An anonymous
-- sign-in held to "invited_only" (parley.settings) sees only itself and the people it shares a
-- conversation with: the public key alone must not open the directory. The first arm is one init plan,
-- so registered users never pay for the second.
create policy profiles_select_authenticated on parley.profiles
  for select to authenticated
  using (
    not (select parley_internal.anonymous_restricted())
    or id = (select auth.uid())
    or id in (select parley_internal.my_contact_ids()));
comment on policy profiles_select_authenticated on parley.profiles is 'Signed-in users read all profiles; restricted anonymous users only their contacts''.';

-- A user edits only their own row; the with check stops moving the row to another id.
create policy profiles_update_own on parley.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));
comment on policy profiles_update_own on parley.profiles is 'Users update only their own profile.';

-- Validates and normalises a profile before it is written: stable codes instead of raw check violations.
create or replace function parley_internal.check_profile()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  new.username := btrim(new.username);
  new.display_name := btrim(new.display_name);
  if new.username is null or new.username !~ '^[A-Za-z0-9_][A-Za-z0-9_.]{2,31}$' then
    raise exception 'username "%" is invalid: use 3-32 letters, digits, "_" or "."', new.username
      using errcode = '22023', hint = 'username_invalid';
  end if;
  if new.display_name is null or char_length(new.display_name) not between 1 and 64 then
    raise exception 'display_name must be 1-64 characters (got %)', coalesce(char_length(new.display_name), 0)
      using errcode = '22023', hint = 'display_name_invalid';
  end if;
  if char_length(new.avatar_url) > 2048 then
    raise exception 'avatar_url is % characters; the limit is 2048', char_length(new.avatar_url)
      using errcode = '22023', hint = 'avatar_url_too_long';
  end if;
  if (tg_op = 'INSERT' or lower(new.username) <> lower(old.username))
     and exists (select 1 from parley.profiles p where lower(p.username) = lower(new.username) and p.id <> new.id) then
    raise exception 'username "%" is already taken', new.username
      using errcode = '23505', hint = 'username_taken';
  end if;
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  return new;
end;
$$;
comment on function parley_internal.check_profile() is 'Trigger: validates username, display name and avatar with stable error codes.';
revoke execute on function parley_internal.check_profile() from public, anon, authenticated, service_role;

-- Runs before every write so bad input is refused with a Parley code, not a bare check violation.
create trigger profiles_check_before_write
  before insert or update on parley.profiles
  for each row execute function parley_internal.check_profile();

-- Makes the profile of an auth user from their user metadata (username / user_name, display_name /
-- full_name / name, avatar_url). Never fails: an unusable or taken username falls back to one derived
-- from the user id. Shared by the sign-up trigger and the install-time backfill below.
create or replace function parley_internal.create_profile(user_id uuid, user_meta jsonb)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_meta jsonb := coalesce(create_profile.user_meta, '{}'::jsonb);
  v_username text := btrim(coalesce(v_meta ->> 'username', v_meta ->> 'user_name', ''));
  v_hex text := replace(create_profile.user_id::text, '-', '');
  v_display text;
begin
  if v_username !~ '^[A-Za-z0-9_][A-Za-z0-9_.]{2,31}$'
     or exists (select 1 from parley.profiles p where lower(p.username) = lower(v_username)) then
    -- The id's last digits: random in both v4 and time-ordered v7 ids (whose first digits are a clock).
    v_username := 'user_' || right(v_hex, 12);
    if exists (select 1 from parley.profiles p where lower(p.username) = v_username) then
      v_username := 'user_' || right(v_hex, 27);
    end if;
  end if;
  v_display := left(btrim(coalesce(nullif(btrim(v_meta ->> 'display_name'), ''), nullif(btrim(v_meta ->> 'full_name'), ''),
                                   nullif(btrim(v_meta ->> 'name'), ''), v_username)), 64);
  insert into parley.profiles (id, username, display_name, avatar_url)
  values (create_profile.user_id, v_username, v_display, left(nullif(v_meta ->> 'avatar_url', ''), 2048));
end;
$$;
comment on function parley_internal.create_profile(uuid, jsonb) is 'Creates the parley.profiles row of an auth user from their metadata (sign-up trigger and install backfill).';
revoke execute on function parley_internal.create_profile(uuid, jsonb) from public, anon, authenticated, service_role;

-- Does the user have a profile? Restores a missing one from auth.users first: an account made while
-- the sign-up trigger could not run (a restore or bulk import with triggers off, or the profile row
-- deleted by hand) is still a user, and writing rows for them must never fail on a foreign key.
-- False only when no such auth user exists. Runs inside the definer RPCs that create memberships.
create or replace function parley_internal.ensure_profile(user_id uuid)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_meta jsonb;
begin
  if ensure_profile.user_id is null then
    return false;
  end if;
  if exists (select 1 from parley.profiles p where p.id = ensure_profile.user_id) then
    return true;
  end if;
  select u.raw_user_meta_data into v_meta from auth.users u where u.id = ensure_profile.user_id;
  if not found then
    return false;
  end if;
  perform parley_internal.create_profile(ensure_profile.user_id, v_meta);
  return true;
end;
$$;
comment on function parley_internal.ensure_profile(uuid) is 'True when the user has a profile, restoring a missing one from auth.users; false when there is no such user.';
revoke execute on function parley_internal.ensure_profile(uuid) from public, anon, authenticated, service_role;

-- The caller's own profile before rows are written for them: restored when missing; a token that
-- outlived its account (deleted, the JWT not yet expired) is refused with a code, not a foreign key error.
create or replace function parley_internal.require_own_profile(user_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if not parley_internal.ensure_profile(require_own_profile.user_id) then
    raise exception 'your account % no longer exists; sign in again', require_own_profile.user_id
      using errcode = '42501', hint = 'account_not_found';
  end if;
end;
$$;
comment on function parley_internal.require_own_profile(uuid) is 'Ensures the caller''s profile exists (restoring it), else 42501 account_not_found.';
revoke execute on function parley_internal.require_own_profile(uuid) from public, anon, authenticated, service_role;

-- Makes the profile for a new auth user. Definer: GoTrue inserts as supabase_auth_admin, which has no
-- rights on parley.profiles.
create or replace function parley_internal.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform parley_internal.create_profile(new.id, new.raw_user_meta_data);
  return new;
end;
$$;
comment on function parley_internal.handle_new_user() is 'Trigger on auth.users: creates the matching parley.profiles row.';
revoke execute on function parley_internal.handle_new_user() from public, anon, authenticated, service_role;

-- One profile per auth user, made in the sign-up transaction. The name is Parley's own: apps commonly
-- have an on_auth_user_created trigger of their own on auth.users, and both run.
create trigger parley_on_auth_user_created
  after insert on auth.users
  for each row execute function parley_internal.handle_new_user();

-- Users who signed up before Parley was installed get their profile at install, oldest first (one
-- statement per user, so each sees the names taken before it). A no-op on a fresh project and when
-- applied again. Data, not schema: `supabase db diff` does not capture it, so the migration that
-- installs Parley carries the same block.
do $$
declare
  v_user record;
begin
  for v_user in
    select u.id, u.raw_user_meta_data from auth.users u
     where not exists (select 1 from parley.profiles p where p.id = u.id)
     order by u.created_at, u.id
  loop
    perform parley_internal.create_profile(v_user.id, v_user.raw_user_meta_data);
  end loop;
end;
$$;

-- lower(username) in byte order: a prefix is one range of it, whatever the database's collation.
create index profiles_username_lower_pattern_idx on parley.profiles (lower(username) text_pattern_ops);
comment on index parley.profiles_username_lower_pattern_idx is
  'Prefix search on usernames (search_profiles): a range scan in byte order.';

-- Profiles whose username starts with `prefix` (ignoring case), in username order; an exact match is
-- first because a name sorts before every longer name it starts.
create or replace function parley.search_profiles(prefix text, max_count integer default 20)
returns table (id uuid, username text, display_name text, avatar_url text, last_seen_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_prefix text := lower(btrim(search_profiles.prefix));
  v_page_max integer := (parley_internal.limits() ->> 'page_max')::int;
begin
  if search_profiles.max_count is null or search_profiles.max_count < 1 or search_profiles.max_count > v_page_max then
    raise exception 'max_count must be between 1 and % (got %)', v_page_max, search_profiles.max_count
      using errcode = '22023', hint = 'invalid_page_size';
  end if;
  if v_prefix is null or v_prefix !~ '^[a-z0-9_.]{1,32}$' then
    raise exception 'prefix "%" cannot start a username: use 1-32 letters, digits, "_" or "."', search_profiles.prefix
      using errcode = '22023', hint = 'prefix_invalid';
  end if;
  -- Usernames use only [A-Za-z0-9_.], all below '~' in byte order: [prefix, prefix || '~') is
  -- exactly the names that start with prefix, and it is a range of the pattern index.
  return query
    select p.id, p.username, p.display_name, p.avatar_url, p.last_seen_at
      from parley.profiles p
     where lower(p.username) operator(pg_catalog.~>=~) v_prefix
       and lower(p.username) operator(pg_catalog.~<~) (v_prefix || '~')
     order by lower(p.username) using operator(pg_catalog.~<~)
     limit search_profiles.max_count;
end;
$$;
comment on function parley.search_profiles(text, integer) is
  'People whose username starts with prefix (case-insensitive), exact match first, at most max_count (1-200, default 20).';
revoke execute on function parley.search_profiles(text, integer) from public, anon;
grant execute on function parley.search_profiles(text, integer) to authenticated, service_role;
