-- Group operations — create, get, update, delete, add/remove members, change a role, leave,
-- list members — with system messages recording membership changes.
-- Security definer functions here (see docs/messaging.md § Definer audit). Each derives the
-- caller from auth.uid() and checks the caller's role itself:
--   parley_internal.create_group(...)                 — inserts the conversation and other users' memberships.
--   parley_internal.update_group(uuid, text, text, text) — members cannot write conversations directly.
--   parley_internal.delete_group(uuid)                — same.
--   parley_internal.add_members(uuid, uuid[])         — writes other users' membership rows.
--   parley_internal.remove_member(uuid, uuid)         — same.
--   parley_internal.set_member_role(uuid, uuid, text) — same.
--   parley_internal.leave_group(uuid)                 — deletes the caller's membership (the trigger below does the rest).
--   parley_internal.keep_group_owner()                — trigger: when an owner's membership goes (leaving, or the
--                                               user's account deleted by the Auth server's role), hands
--                                               ownership over or deletes the emptied group.
-- Internal helpers (invoker, no grants): parley_internal.lock_group, parley_internal.check_group_fields,
--   parley_internal.post_system_message.
-- Invariant kept by every function here: a group always has exactly one owner, and at most
-- group_max_members members.

create or replace function parley_internal.lock_group(group_id uuid, user_id uuid)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_kind text;
  v_role text;
begin
  select c.kind into v_kind from parley.conversations c where c.id = lock_group.group_id for update;
  if found then
    select m.role into v_role from parley.conversation_members m
     where m.conversation_id = lock_group.group_id and m.user_id = lock_group.user_id;
  end if;
  if v_role is null then
    raise exception 'conversation % not found', lock_group.group_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if v_kind <> 'group' then
    raise exception 'conversation % is a direct conversation, not a group', lock_group.group_id
      using errcode = '22023', hint = 'not_a_group';
  end if;
  return v_role;
end;
$$;
comment on function parley_internal.lock_group(uuid, uuid) is 'Internal: locks a group and returns the user''s role in it.';
revoke execute on function parley_internal.lock_group(uuid, uuid) from public, anon, authenticated, service_role;

-- Title, description and avatar rules shared by create_group and update_group.
create or replace function parley_internal.check_group_fields(title text, description text, avatar_url text)
returns void
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  v_limits jsonb := parley_internal.limits();
begin
  if title is null or btrim(title) = '' then
    raise exception 'title is required'
      using errcode = '22023', hint = 'title_required';
  end if;
  if char_length(title) > (v_limits ->> 'title_max_chars')::int then
    raise exception 'title is % characters; the limit is %', char_length(title), v_limits ->> 'title_max_chars'
      using errcode = '22023', hint = 'title_too_long';
  end if;
  if char_length(description) > (v_limits ->> 'description_max_chars')::int then
    raise exception 'description is % characters; the limit is %', char_length(description), v_limits ->> 'description_max_chars'
      using errcode = '22023', hint = 'description_too_long';
  end if;
  if char_length(avatar_url) > (v_limits ->> 'avatar_url_max_chars')::int then
    raise exception 'avatar_url is % characters; the limit is %', char_length(avatar_url), v_limits ->> 'avatar_url_max_chars'
      using errcode = '22023', hint = 'avatar_url_too_long';
  end if;
end;
$$;
comment on function parley_internal.check_group_fields(text, text, text) is 'Internal: validates group title, description and avatar_url.';
revoke execute on function parley_internal.check_group_fields(text, text, text) from public, anon, authenticated, service_role;

-- Writes a kind=system message: metadata {"event": ..., "actor_id": ..., ...data}.
create or replace function parley_internal.post_system_message(conversation_id uuid, actor_id uuid, event text, data jsonb)
returns parley.messages
language sql
security invoker
set search_path = ''
as $$
  select * from parley_internal.append_message(post_system_message.conversation_id, post_system_message.actor_id, 'system', null, null,
    jsonb_build_object('event', post_system_message.event, 'actor_id', post_system_message.actor_id)
      || coalesce(post_system_message.data, '{}'::jsonb),
    null, null);
$$;
comment on function parley_internal.post_system_message(uuid, uuid, text, jsonb) is 'Internal: records a membership or group change as a system message.';
revoke execute on function parley_internal.post_system_message(uuid, uuid, text, jsonb) from public, anon, authenticated, service_role;

create or replace function parley_internal.create_group(title text, description text, member_ids uuid[], avatar_url text)
returns parley.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_max int := (parley_internal.limits() ->> 'group_max_members')::int;
  v_others uuid[];
  v_sorted record;
  v_row parley.conversations;
begin
  perform parley_internal.check_group_fields(create_group.title, create_group.description, create_group.avatar_url);
  select coalesce(array_agg(distinct u), '{}') into v_others
    from unnest(coalesce(create_group.member_ids, '{}')) u where u is not null and u <> v_user_id;
  if cardinality(v_others) + 1 > v_max then
    raise exception 'a group holds at most % members (asked for %)', v_max, cardinality(v_others) + 1
      using errcode = '22023', hint = 'too_many_members';
  end if;
  perform parley_internal.refuse_anonymous('create a group');
  perform parley_internal.require_own_profile(v_user_id);
  -- Missing or blocking users are refused; strangers to the caller get an invitation (safety.sql).
  select * into v_sorted from parley_internal.sort_adds(null, v_user_id, v_others);
  -- One group_create token, and one add_member token per other member (create_group is also a way to add people).
  perform parley_internal.take_token(v_user_id, 'create_group', 1);
  perform parley_internal.take_token(v_user_id, 'add_member', cardinality(v_others));
  insert into parley.conversations (kind, title, description, avatar_url, created_by)
  values ('group', btrim(create_group.title), nullif(create_group.description, ''), nullif(create_group.avatar_url, ''), v_user_id)
  returning * into v_row;
  insert into parley.conversation_members (conversation_id, user_id, role, joined_at)
  values (v_row.id, v_user_id, 'owner', now());
  insert into parley.conversation_members (conversation_id, user_id, role, joined_at)
  select v_row.id, u, 'member', now() from unnest(v_sorted.members) u;
  perform parley_internal.post_system_message(v_row.id, v_user_id, 'group_created', jsonb_build_object('member_ids', to_jsonb(v_sorted.members)));
  perform parley_internal.invite_users(v_row.id, v_user_id, v_sorted.invitees);
  select * into v_row from parley.conversations c where c.id = v_row.id;
  return v_row;
end;
$$;
comment on function parley_internal.create_group(text, text, uuid[], text) is 'Implementation of parley.create_group (definer: inserts other users'' memberships).';
revoke execute on function parley_internal.create_group(text, text, uuid[], text) from public, anon;
grant execute on function parley_internal.create_group(text, text, uuid[], text) to authenticated, service_role;

create or replace function parley.create_group(
  title text, description text default null, member_ids uuid[] default '{}', avatar_url text default null)
returns parley.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversations;
begin
  select * into v_row from parley_internal.create_group(create_group.title, create_group.description, create_group.member_ids, create_group.avatar_url);
  return v_row;
end;
$$;
comment on function parley.create_group(text, text, uuid[], text) is 'Create a group: you become its owner; member_ids who share a conversation with you join, others get an invitation.';
revoke execute on function parley.create_group(text, text, uuid[], text) from public, anon;
grant execute on function parley.create_group(text, text, uuid[], text) to authenticated, service_role;

create or replace function parley.get_group(group_id uuid)
returns parley.conversations
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversations;
begin
  perform parley_internal.require_user();
  select * into v_row from parley.conversations c where c.id = get_group.group_id;
  if not found then
    raise exception 'conversation % not found', get_group.group_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if v_row.kind <> 'group' then
    raise exception 'conversation % is a direct conversation, not a group', get_group.group_id
      using errcode = '22023', hint = 'not_a_group';
  end if;
  return v_row;
end;
$$;
comment on function parley.get_group(uuid) is 'Details of a group you belong to.';
revoke execute on function parley.get_group(uuid) from public, anon;
grant execute on function parley.get_group(uuid) to authenticated, service_role;

create or replace function parley_internal.update_group(group_id uuid, title text, description text, avatar_url text)
returns parley.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(update_group.group_id, v_user_id);
  v_old parley.conversations;
  v_row parley.conversations;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may update group %', update_group.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  select * into v_old from parley.conversations c where c.id = update_group.group_id;
  perform parley_internal.check_group_fields(coalesce(update_group.title, v_old.title), update_group.description, update_group.avatar_url);
  update parley.conversations c
     set title = coalesce(btrim(update_group.title), c.title),
         description = case when update_group.description is null then c.description else nullif(update_group.description, '') end,
         avatar_url = case when update_group.avatar_url is null then c.avatar_url else nullif(update_group.avatar_url, '') end,
         updated_at = now()
   where c.id = update_group.group_id
  returning * into v_row;
  perform parley_internal.post_system_message(v_row.id, v_user_id, 'group_updated', jsonb_build_object(
    'changed', to_jsonb(array_remove(array[
      case when v_row.title is distinct from v_old.title then 'title' end,
      case when v_row.description is distinct from v_old.description then 'description' end,
      case when v_row.avatar_url is distinct from v_old.avatar_url then 'avatar_url' end], null))));
  select * into v_row from parley.conversations c where c.id = update_group.group_id;
  return v_row;
end;
$$;
comment on function parley_internal.update_group(uuid, text, text, text) is 'Implementation of parley.update_group (definer: members cannot write conversations).';
revoke execute on function parley_internal.update_group(uuid, text, text, text) from public, anon;
grant execute on function parley_internal.update_group(uuid, text, text, text) to authenticated, service_role;

create or replace function parley.update_group(
  group_id uuid, title text default null, description text default null, avatar_url text default null)
returns parley.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversations;
begin
  select * into v_row from parley_internal.update_group(update_group.group_id, update_group.title, update_group.description, update_group.avatar_url);
  return v_row;
end;
$$;
comment on function parley.update_group(uuid, text, text, text) is 'Change a group''s title, description or avatar (owner or admin). null keeps a field; '''' clears description/avatar.';
revoke execute on function parley.update_group(uuid, text, text, text) from public, anon;
grant execute on function parley.update_group(uuid, text, text, text) to authenticated, service_role;

create or replace function parley_internal.delete_group(group_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(delete_group.group_id, v_user_id);
begin
  if v_role <> 'owner' then
    raise exception 'only the owner may delete group %', delete_group.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  delete from parley.conversations c where c.id = delete_group.group_id;
end;
$$;
comment on function parley_internal.delete_group(uuid) is 'Implementation of parley.delete_group (definer: members cannot delete conversations).';
revoke execute on function parley_internal.delete_group(uuid) from public, anon;
grant execute on function parley_internal.delete_group(uuid) to authenticated, service_role;

create or replace function parley.delete_group(group_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.delete_group(delete_group.group_id);
end;
$$;
comment on function parley.delete_group(uuid) is 'Delete a group with its members and messages (owner only).';
revoke execute on function parley.delete_group(uuid) from public, anon;
grant execute on function parley.delete_group(uuid) to authenticated, service_role;

create or replace function parley_internal.add_members(group_id uuid, user_ids uuid[])
returns setof parley.conversation_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(add_members.group_id, v_user_id);
  v_max int := (parley_internal.limits() ->> 'group_max_members')::int;
  v_new uuid[];
  v_sorted record;
  v_count int;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may add members to group %', add_members.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  perform parley_internal.refuse_anonymous('add members to a group');
  -- The cheap limit first: a list longer than a group can hold is refused before any id is looked up.
  if cardinality(add_members.user_ids) > v_max then
    raise exception 'a group holds at most % members (asked to add %)', v_max, cardinality(add_members.user_ids)
      using errcode = '22023', hint = 'too_many_members';
  end if;
  select coalesce(array_agg(distinct u), '{}') into v_new
    from unnest(coalesce(add_members.user_ids, '{}')) u
   where u is not null
     and not exists (select 1 from parley.conversation_members m where m.conversation_id = add_members.group_id and m.user_id = u)
     -- A pending invitee is already asked: adding them again is a no-op too.
     and not exists (select 1 from parley.group_invitations i
                      where i.conversation_id = add_members.group_id and i.invitee_id = u and i.status = 'pending');
  -- Missing, blocking or banned users are refused; strangers to the caller get an invitation (safety.sql).
  select * into v_sorted from parley_internal.sort_adds(add_members.group_id, v_user_id, v_new);
  select count(*) into v_count from parley.conversation_members m where m.conversation_id = add_members.group_id;
  if v_count + cardinality(v_sorted.members) > v_max then
    raise exception 'a group holds at most % members (it has %, adding %)', v_max, v_count, cardinality(v_sorted.members)
      using errcode = '22023', hint = 'too_many_members';
  end if;
  if cardinality(v_new) = 0 then
    return;
  end if;
  -- One token per user actually added or invited (those already members cost nothing).
  perform parley_internal.take_token(v_user_id, 'add_member', cardinality(v_new));
  if cardinality(v_sorted.members) > 0 then
    return query
      insert into parley.conversation_members (conversation_id, user_id, role, joined_at)
      select add_members.group_id, u, 'member', now() from unnest(v_sorted.members) u
      returning *;
    perform parley_internal.post_system_message(add_members.group_id, v_user_id, 'members_added', jsonb_build_object('user_ids', to_jsonb(v_sorted.members)));
  end if;
  perform parley_internal.invite_users(add_members.group_id, v_user_id, v_sorted.invitees);
end;
$$;
comment on function parley_internal.add_members(uuid, uuid[]) is 'Implementation of parley.add_members (definer: writes other users'' memberships).';
revoke execute on function parley_internal.add_members(uuid, uuid[]) from public, anon;
grant execute on function parley_internal.add_members(uuid, uuid[]) to authenticated, service_role;

create or replace function parley.add_members(group_id uuid, user_ids uuid[])
returns setof parley.conversation_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.add_members(add_members.group_id, add_members.user_ids);
end;
$$;
comment on function parley.add_members(uuid, uuid[]) is 'Add users to a group (owner or admin): those who share a conversation with you join, others get an invitation (group_invitations). Existing members and pending invitees are skipped; returns the new memberships.';
revoke execute on function parley.add_members(uuid, uuid[]) from public, anon;
grant execute on function parley.add_members(uuid, uuid[]) to authenticated, service_role;

create or replace function parley_internal.remove_member(group_id uuid, user_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(remove_member.group_id, v_user_id);
  v_target_role text;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may remove members from group %', remove_member.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if remove_member.user_id = v_user_id then
    raise exception 'use leave_group to leave group %', remove_member.group_id
      using errcode = '22023', hint = 'cannot_remove_self';
  end if;
  select m.role into v_target_role from parley.conversation_members m
   where m.conversation_id = remove_member.group_id and m.user_id = remove_member.user_id;
  if v_target_role is null then
    raise exception 'user % is not a member of group %', remove_member.user_id, remove_member.group_id
      using errcode = 'PT404', hint = 'member_not_found';
  end if;
  if v_target_role = 'owner' then
    raise exception 'the owner of group % cannot be removed', remove_member.group_id
      using errcode = '42501', hint = 'cannot_remove_owner';
  end if;
  delete from parley.conversation_members m
   where m.conversation_id = remove_member.group_id and m.user_id = remove_member.user_id;
  perform parley_internal.post_system_message(remove_member.group_id, v_user_id, 'member_removed', jsonb_build_object('user_id', remove_member.user_id));
end;
$$;
comment on function parley_internal.remove_member(uuid, uuid) is 'Implementation of parley.remove_member (definer: deletes another user''s membership).';
revoke execute on function parley_internal.remove_member(uuid, uuid) from public, anon;
grant execute on function parley_internal.remove_member(uuid, uuid) to authenticated, service_role;

create or replace function parley.remove_member(group_id uuid, user_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.remove_member(remove_member.group_id, remove_member.user_id);
end;
$$;
comment on function parley.remove_member(uuid, uuid) is 'Remove a member from a group (owner or admin; the owner can never be removed).';
revoke execute on function parley.remove_member(uuid, uuid) from public, anon;
grant execute on function parley.remove_member(uuid, uuid) to authenticated, service_role;

create or replace function parley_internal.set_member_role(group_id uuid, user_id uuid, role text)
returns parley.conversation_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(set_member_role.group_id, v_user_id);
  v_row parley.conversation_members;
begin
  if v_role <> 'owner' then
    raise exception 'only the owner may change roles in group %', set_member_role.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if set_member_role.role is null or set_member_role.role not in ('owner', 'admin', 'member') then
    raise exception 'role "%" is not one of owner, admin, member', set_member_role.role
      using errcode = '22023', hint = 'invalid_role';
  end if;
  if set_member_role.user_id = v_user_id then
    raise exception 'the owner cannot change their own role; make another member owner instead'
      using errcode = '22023', hint = 'cannot_change_own_role';
  end if;
  if not exists (select 1 from parley.conversation_members m
                  where m.conversation_id = set_member_role.group_id and m.user_id = set_member_role.user_id) then
    raise exception 'user % is not a member of group %', set_member_role.user_id, set_member_role.group_id
      using errcode = 'PT404', hint = 'member_not_found';
  end if;
  -- Making someone owner hands ownership over: the old owner becomes an admin (one owner, always).
  if set_member_role.role = 'owner' then
    update parley.conversation_members m set role = 'admin'
     where m.conversation_id = set_member_role.group_id and m.user_id = v_user_id;
  end if;
  update parley.conversation_members m set role = set_member_role.role
   where m.conversation_id = set_member_role.group_id and m.user_id = set_member_role.user_id
  returning * into v_row;
  perform parley_internal.post_system_message(set_member_role.group_id, v_user_id, 'role_changed',
    jsonb_build_object('user_id', set_member_role.user_id, 'role', set_member_role.role));
  return v_row;
end;
$$;
comment on function parley_internal.set_member_role(uuid, uuid, text) is 'Implementation of parley.set_member_role (definer: writes another user''s membership).';
revoke execute on function parley_internal.set_member_role(uuid, uuid, text) from public, anon;
grant execute on function parley_internal.set_member_role(uuid, uuid, text) to authenticated, service_role;

create or replace function parley.set_member_role(group_id uuid, user_id uuid, role text)
returns parley.conversation_members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversation_members;
begin
  select * into v_row from parley_internal.set_member_role(set_member_role.group_id, set_member_role.user_id, set_member_role.role);
  return v_row;
end;
$$;
comment on function parley.set_member_role(uuid, uuid, text) is 'Set a member''s role to admin or member (owner only); role owner transfers ownership and makes you an admin.';
revoke execute on function parley.set_member_role(uuid, uuid, text) from public, anon;
grant execute on function parley.set_member_role(uuid, uuid, text) to authenticated, service_role;

-- A group always has an owner: when the owner's membership row goes (leave_group, or the account
-- deleted and the membership cascaded), the longest-standing admin, else member, becomes owner; a
-- group left with nobody is deleted. Definer: cascades from auth.users run as the Auth server's role.
create or replace function parley_internal.keep_group_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_successor uuid;
begin
  if not exists (select 1 from parley.conversations c where c.id = old.conversation_id and c.kind = 'group' for update)
     or exists (select 1 from parley.conversation_members m where m.conversation_id = old.conversation_id and m.role = 'owner') then
    return null;
  end if;
  select m.user_id into v_successor from parley.conversation_members m
   where m.conversation_id = old.conversation_id
   order by (m.role = 'admin') desc, m.joined_at, m.user_id
   limit 1;
  if v_successor is null then
    delete from parley.conversations c where c.id = old.conversation_id;
  else
    update parley.conversation_members m set role = 'owner'
     where m.conversation_id = old.conversation_id and m.user_id = v_successor;
  end if;
  return null;
end;
$$;
comment on function parley_internal.keep_group_owner() is 'Trigger: hands a group to its longest-standing admin/member when the owner goes; deletes an empty group.';
revoke execute on function parley_internal.keep_group_owner() from public, anon, authenticated, service_role;

-- Fires only for owner rows, after the delete, so a group is never left without an owner.
create trigger conversation_members_keep_owner
  after delete on parley.conversation_members
  for each row when (old.role = 'owner')
  execute function parley_internal.keep_group_owner();

create or replace function parley_internal.leave_group(group_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(leave_group.group_id, v_user_id);
  v_new_owner uuid;
begin
  -- conversation_members_keep_owner (below) promotes a successor or deletes the emptied group.
  delete from parley.conversation_members m
   where m.conversation_id = leave_group.group_id and m.user_id = v_user_id;
  if not exists (select 1 from parley.conversations c where c.id = leave_group.group_id) then
    return;
  end if;
  if v_role = 'owner' then
    select m.user_id into v_new_owner from parley.conversation_members m
     where m.conversation_id = leave_group.group_id and m.role = 'owner';
  end if;
  perform parley_internal.post_system_message(leave_group.group_id, v_user_id, 'member_left',
    case when v_new_owner is null then '{}'::jsonb else jsonb_build_object('new_owner_id', v_new_owner) end);
end;
$$;
comment on function parley_internal.leave_group(uuid) is 'Implementation of parley.leave_group (definer: may promote another member or delete the group).';
revoke execute on function parley_internal.leave_group(uuid) from public, anon;
grant execute on function parley_internal.leave_group(uuid) to authenticated, service_role;

create or replace function parley.leave_group(group_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.leave_group(leave_group.group_id);
end;
$$;
comment on function parley.leave_group(uuid) is 'Leave a group. An owner hands ownership to the longest-standing admin, else member; the last one out deletes the group.';
revoke execute on function parley.leave_group(uuid) from public, anon;
grant execute on function parley.leave_group(uuid) to authenticated, service_role;

create or replace function parley.list_members(conversation_id uuid)
returns table (user_id uuid, role text, joined_at timestamptz, last_read_seq bigint, username text,
               display_name text, avatar_url text, last_seen_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.require_user();
  if not parley_internal.is_member(list_members.conversation_id) then
    raise exception 'conversation % not found', list_members.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  return query
    -- Read cursors come from list_receipts, which applies each member's read-receipt setting.
    select m.user_id, m.role, m.joined_at, r.last_read_seq, p.username, p.display_name, p.avatar_url, p.last_seen_at
      from parley.conversation_members m join parley.profiles p on p.id = m.user_id
      left join parley_internal.list_receipts(list_members.conversation_id) r on r.user_id = m.user_id
     where m.conversation_id = list_members.conversation_id
     order by (m.role = 'owner') desc, (m.role = 'admin') desc, m.joined_at, m.user_id;
end;
$$;
comment on function parley.list_members(uuid) is 'Members of a conversation you belong to, owner first, with their profiles and read cursors (null for a member who hides read receipts).';
revoke execute on function parley.list_members(uuid) from public, anon;
grant execute on function parley.list_members(uuid) to authenticated, service_role;
