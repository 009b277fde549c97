-- Purpose: public.profiles, one row per auth.users row, made by a trigger on sign-up.
-- Objects: table public.profiles; index profiles_username_lower_key; policies; trigger functions
--   private.handle_new_user (on auth.users) and private.check_profile (on profiles).
-- Security definer functions created here (see docs/messaging.md § Definer audit):
--   private.handle_new_user() — trigger on auth.users; must insert a profile whatever role GoTrue uses.
-- Security: every signed-in user may read every profile (a directory to start conversations from);
-- a user may update only their own username, display name, avatar and last seen. anon has no grants.

create table public.profiles (
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
comment on table public.profiles is 'One public profile per user, created automatically when the auth user is created.';
comment on column public.profiles.username is 'Unique handle, 3-32 of [A-Za-z0-9_.], compared case-insensitively.';
comment on column public.profiles.last_seen_at is 'Set by the client (or the realtime presence layer) when the user was last active.';

-- Usernames are unique whatever their case: "Alice" and "alice" are one handle.
create unique index profiles_username_lower_key on public.profiles (lower(username));

alter table public.profiles enable row level security;

-- Any signed-in user can look anyone up (to start a direct conversation, render senders).
create policy profiles_select_authenticated on public.profiles
  for select to authenticated
  using (true);
comment on policy profiles_select_authenticated on public.profiles is 'Signed-in users read all profiles.';

-- A user edits only their own row; the with check stops moving the row to another id.
create policy profiles_update_own on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));
comment on policy profiles_update_own on public.profiles is 'Users update only their own profile.';

-- Validates and normalises a profile before it is written: stable codes instead of raw check violations.
create or replace function private.check_profile()
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
     and exists (select 1 from public.profiles p where lower(p.username) = lower(new.username) and p.id <> new.id) then
    raise exception 'username "%" is already taken', new.username
      using errcode = '23505', hint = 'username_taken';
  end if;
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  return new;
end;
$$;
comment on function private.check_profile() is 'Trigger: validates username, display name and avatar with stable error codes.';
revoke execute on function private.check_profile() from public, anon, authenticated, service_role;

-- Runs before every write so bad input is refused with a Parley code, not a bare check violation.
create trigger profiles_check_before_write
  before insert or update on public.profiles
  for each row execute function private.check_profile();

-- Makes the profile for a new auth user. Definer: GoTrue inserts as supabase_auth_admin, which has no
-- rights on public.profiles. Never fails a sign-up: an unusable or taken username falls back to one
-- derived from the user id.
create or replace function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  v_username text := btrim(coalesce(v_meta ->> 'username', v_meta ->> 'user_name', ''));
  v_hex text := replace(new.id::text, '-', '');
  v_display text;
begin
  if v_username !~ '^[A-Za-z0-9_][A-Za-z0-9_.]{2,31}$'
     or exists (select 1 from public.profiles p where lower(p.username) = lower(v_username)) then
    v_username := 'user_' || left(v_hex, 12);
    if exists (select 1 from public.profiles p where lower(p.username) = v_username) then
      v_username := 'user_' || left(v_hex, 27);
    end if;
  end if;
  v_display := left(btrim(coalesce(nullif(btrim(v_meta ->> 'display_name'), ''), nullif(btrim(v_meta ->> 'full_name'), ''),
                                   nullif(btrim(v_meta ->> 'name'), ''), v_username)), 64);
  insert into public.profiles (id, username, display_name, avatar_url)
  values (new.id, v_username, v_display, left(nullif(v_meta ->> 'avatar_url', ''), 2048));
  return new;
end;
$$;
comment on function private.handle_new_user() is 'Trigger on auth.users: creates the matching public.profiles row.';
revoke execute on function private.handle_new_user() from public, anon, authenticated, service_role;

-- One profile per auth user, made in the sign-up transaction.
create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_user();

revoke all on table public.profiles from public, anon, authenticated;
grant select on table public.profiles to authenticated;
grant update (username, display_name, avatar_url, last_seen_at) on table public.profiles to authenticated;
grant all on table public.profiles to service_role;
