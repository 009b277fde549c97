-- Purpose: find people by the start of their username, to start a direct conversation or add them to a
--   group. Until now a client could only read a profile by id, or scan profiles with an unindexed
--   `ilike` (a sequential scan per keystroke).
-- Objects: index profiles_username_lower_pattern_idx; function public.search_profiles(text, integer).
-- Security: security invoker; signed-in users already read every profile (policy
--   profiles_select_authenticated), so the function shows nothing new. anon cannot execute it.

-- lower(username) in byte order: a prefix is one range of it, whatever the database's collation.
create index profiles_username_lower_pattern_idx on public.profiles (lower(username) text_pattern_ops);
comment on index public.profiles_username_lower_pattern_idx is
  'Prefix search on usernames (search_profiles): a range scan in byte order.';

-- Profiles whose username starts with `prefix` (ignoring case), in username order; an exact match is
-- first because a name sorts before every longer name it starts.
create or replace function public.search_profiles(prefix text, max_count integer default 20)
returns table (id uuid, username text, display_name text, avatar_url text, last_seen_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_prefix text := lower(btrim(search_profiles.prefix));
  v_page_max integer := (private.limits() ->> 'page_max')::int;
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
      from public.profiles p
     where lower(p.username) operator(pg_catalog.~>=~) v_prefix
       and lower(p.username) operator(pg_catalog.~<~) (v_prefix || '~')
     order by lower(p.username) using operator(pg_catalog.~<~)
     limit search_profiles.max_count;
end;
$$;
comment on function public.search_profiles(text, integer) is
  'People whose username starts with prefix (case-insensitive), exact match first, at most max_count (1-200, default 20).';
revoke execute on function public.search_profiles(text, integer) from public, anon;
grant execute on function public.search_profiles(text, integer) to authenticated, service_role;
