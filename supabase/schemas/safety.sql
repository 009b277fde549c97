-- Safety: blocking, consent for group adds (invitations), reports, and group moderation (mute, ban).
-- Every rule is checked here, in the transaction of the write, so it holds for every client
-- (docs/safety.md). The checks that guard other domains' writes are helpers called from there:
-- get_or_create_direct_conversation and send_message (a block), add_members and create_group (bans,
-- blocks, invitations), start_call (a block), list_conversations (who I blocked).
-- Security definer functions here (docs/SECURITY.md § Definer functions). Each derives the caller from
-- auth.uid() and checks the caller's role itself; none takes a user id to act as:
--   parley_internal.my_moderated_conversation_ids() — policy helper: the groups where auth.uid() is owner or admin.
--   parley_internal.block_user(uuid), unblock_user(uuid) — also decline the blocked user's pending invitations.
--   parley_internal.list_invitations()              — the invitee may not read the group it invites them to.
--   parley_internal.accept_invitation(uuid), decline_invitation(uuid) — write the invitee's membership.
--   parley_internal.revoke_invitation(uuid)       — a group's owner or admin withdraws its invitation.
--   parley_internal.report_message(uuid, text, text), report_user(uuid, text, text) — write a row the
--                                                   reporter may only read, with a snapshot of the message.
--   parley_internal.resolve_report(uuid, text)      — a group's owner or admin closes a report on its content.
--   parley_internal.mute_member(uuid, uuid, timestamptz), ban_member(uuid, uuid), unban_member(uuid, uuid)
--                                                 — write other users' memberships after checking the role.
-- Invoker helpers (executable by nobody but their definer callers): is_blocked, check_contact,
--   sort_adds, invite_users, lock_invitation, check_moderation_target, check_report_fields; group_invitations_on
--   is in settings.sql.
-- Errors: 42501 user_blocked, user_banned, member_muted (details {"until": ...}), insufficient_role;
--   PT404 user_not_found (also what a blocked user hears), invitation_not_found, report_not_found;
--   22023 cannot_block_self, cannot_report_self, report_reason_invalid, report_details_too_long,
--   report_target_required, report_status_invalid, mute_until_invalid, cannot_moderate_self;
--   23505 invitation_answered; PT429 rate_limited (bucket report).

-- Blocks ----------------------------------------------------------------------------------------------

create table parley.blocks (
  blocker_id uuid not null references parley.profiles (id) on delete cascade,
  blocked_id uuid not null references parley.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (blocker_id, blocked_id),
  constraint blocks_not_self_check check (blocker_id <> blocked_id)
);
comment on table parley.blocks is 'Who blocked whom. A blocked user cannot open a direct conversation with, message directly, call or add the blocker; only the blocker sees the row.';
alter table parley.blocks enable row level security;
revoke all on table parley.blocks from public, anon, authenticated;
grant select on table parley.blocks to authenticated;
grant all on table parley.blocks to service_role;

-- "Has anyone blocked me?" from the blocked side (every direct send asks), and foreign key lookups.
create index blocks_blocked_id_idx on parley.blocks (blocked_id);

-- The blocker lists their own blocks (primary key starts with blocker_id); the blocked user never learns.
create policy blocks_select_own on parley.blocks
  for select to authenticated
  using (blocker_id = (select auth.uid()));
comment on policy blocks_select_own on parley.blocks is 'Users read the blocks they made, never the ones against them.';

-- Has blocker_id blocked blocked_id? One primary-key probe.
-- plpgsql, not sql: a sql function with `set search_path` is never inlined and re-plans its query on
-- every call (≈ 0.1 ms); plpgsql keeps the plan for the session. It runs twice in every direct send
-- (check_contact) and once per direct conversation of an inbox page (docs/performance.md).
create or replace function parley_internal.is_blocked(blocker_id uuid, blocked_id uuid)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return exists (select 1 from parley.blocks b
                  where b.blocker_id = is_blocked.blocker_id and b.blocked_id = is_blocked.blocked_id);
end;
$$;
comment on function parley_internal.is_blocked(uuid, uuid) is 'Internal: true when blocker_id has blocked blocked_id.';
revoke execute on function parley_internal.is_blocked(uuid, uuid) from public, anon, authenticated, service_role;

-- The refusal for reaching someone one-to-one (direct conversation, direct message, direct call, a group
-- add) across a block. Blocked by them: exactly what a missing user answers, so the block stays hidden.
-- Blocked by me: I know, and am told to unblock first.
create or replace function parley_internal.check_contact(user_id uuid, other_user_id uuid)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_blocked_by_them boolean;
  v_blocked_by_me boolean;
begin
  -- Both directions in one statement (two probes of blocks_pkey): every send to a direct conversation runs it.
  select coalesce(bool_or(b.blocker_id = check_contact.other_user_id), false),
         coalesce(bool_or(b.blocker_id = check_contact.user_id), false)
    into v_blocked_by_them, v_blocked_by_me
    from parley.blocks b
   where (b.blocker_id = check_contact.other_user_id and b.blocked_id = check_contact.user_id)
      or (b.blocker_id = check_contact.user_id and b.blocked_id = check_contact.other_user_id);
  if v_blocked_by_them then
    raise exception 'user % not found', check_contact.other_user_id
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  if v_blocked_by_me then
    raise exception 'you blocked user %; unblock them first', check_contact.other_user_id
      using errcode = '42501', hint = 'user_blocked';
  end if;
end;
$$;
comment on function parley_internal.check_contact(uuid, uuid) is 'Internal: raises PT404 user_not_found when other_user_id blocked user_id, 42501 user_blocked when user_id blocked them.';
revoke execute on function parley_internal.check_contact(uuid, uuid) from public, anon, authenticated, service_role;

create or replace function parley_internal.block_user(user_id uuid)
returns parley.blocks
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.blocks;
  v_declined uuid[];
begin
  if block_user.user_id is null or not parley_internal.ensure_profile(block_user.user_id) then
    raise exception 'user % not found', block_user.user_id
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  if block_user.user_id = v_user_id then
    raise exception 'you cannot block yourself'
      using errcode = '22023', hint = 'cannot_block_self';
  end if;
  perform parley_internal.require_own_profile(v_user_id);
  insert into parley.blocks (blocker_id, blocked_id)
  values (v_user_id, block_user.user_id)
  on conflict on constraint blocks_pkey do nothing
  returning * into v_row;
  if not found then
    -- A repeated block: the first row, nothing else happens again.
    select * into v_row from parley.blocks b where b.blocker_id = v_user_id and b.blocked_id = block_user.user_id;
    return v_row;
  end if;
  -- Their pending invitations to me end as declined (they learn nothing: a decline looks the same).
  with declined as (
    update parley.group_invitations i set status = 'declined', responded_at = now()
     where i.invitee_id = v_user_id and i.inviter_id = block_user.user_id and i.status = 'pending'
    returning i.id
  )
  select coalesce(array_agg(d.id), '{}') into v_declined from declined d;
  -- And mine to them are withdrawn: while the block stands neither side brings the other into a group.
  update parley.group_invitations i set status = 'revoked', responded_at = now()
   where i.invitee_id = block_user.user_id and i.inviter_id = v_user_id and i.status = 'pending';
  perform parley_internal.send_user_events('block_changed', array[v_user_id],
    array[jsonb_build_object('user_id', block_user.user_id, 'blocked', true, 'declined_invitation_ids', to_jsonb(v_declined))]);
  return v_row;
end;
$$;
comment on function parley_internal.block_user(uuid) is 'Implementation of parley.block_user (definer: declines the blocked user''s invitations to the caller).';
revoke execute on function parley_internal.block_user(uuid) from public, anon;
grant execute on function parley_internal.block_user(uuid) to authenticated, service_role;

create or replace function parley.block_user(user_id uuid)
returns parley.blocks
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.blocks;
begin
  select * into v_row from parley_internal.block_user(block_user.user_id);
  return v_row;
end;
$$;
comment on function parley.block_user(uuid) is 'Block a user: they can no longer open a direct conversation with you, message you directly, call you or add you to groups; their pending invitations to you are declined, yours to them revoked. Repeating it is a no-op.';
revoke execute on function parley.block_user(uuid) from public, anon;
grant execute on function parley.block_user(uuid) to authenticated, service_role;

create or replace function parley_internal.unblock_user(user_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
begin
  delete from parley.blocks b where b.blocker_id = v_user_id and b.blocked_id = unblock_user.user_id;
  if not found then
    return false;
  end if;
  perform parley_internal.send_user_events('block_changed', array[v_user_id],
    array[jsonb_build_object('user_id', unblock_user.user_id, 'blocked', false)]);
  return true;
end;
$$;
comment on function parley_internal.unblock_user(uuid) is 'Implementation of parley.unblock_user (definer: tells the caller''s other devices).';
revoke execute on function parley_internal.unblock_user(uuid) from public, anon;
grant execute on function parley_internal.unblock_user(uuid) to authenticated, service_role;

create or replace function parley.unblock_user(user_id uuid)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.unblock_user(unblock_user.user_id);
end;
$$;
comment on function parley.unblock_user(uuid) is 'Lift your block of a user. Returns false when there was none (repeating it is a no-op).';
revoke execute on function parley.unblock_user(uuid) from public, anon;
grant execute on function parley.unblock_user(uuid) to authenticated, service_role;

create or replace function parley.list_blocked_users()
returns table (user_id uuid, username text, display_name text, avatar_url text, blocked_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select b.blocked_id, p.username, p.display_name, p.avatar_url, b.created_at
    from parley.blocks b join parley.profiles p on p.id = b.blocked_id
   where b.blocker_id = (select auth.uid())
   order by b.created_at desc, b.blocked_id;
$$;
comment on function parley.list_blocked_users() is 'The users you blocked, newest first, with their profiles (clients hide their messages in shared groups).';
revoke execute on function parley.list_blocked_users() from public, anon;
grant execute on function parley.list_blocked_users() to authenticated, service_role;

-- Moderation: who moderates which group ----------------------------------------------------------------

-- The groups where the caller is owner or admin (only groups have those roles). Definer so the policies
-- on invitations, bans and reports read memberships without re-entering their RLS.
create or replace function parley_internal.my_moderated_conversation_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
rows 10
as $$
begin
  return query
    select m.conversation_id
      from parley.conversation_members m
     where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin');
end;
$$;
comment on function parley_internal.my_moderated_conversation_ids() is 'Conversation ids where auth.uid() is owner or admin; used by RLS policies.';
revoke execute on function parley_internal.my_moderated_conversation_ids() from public, anon;
grant execute on function parley_internal.my_moderated_conversation_ids() to authenticated, service_role;

-- Invitations (consent for group adds) ------------------------------------------------------------------

create table parley.group_invitations (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  invitee_id uuid not null references parley.profiles (id) on delete cascade,
  inviter_id uuid references parley.profiles (id) on delete set null,
  status text not null default 'pending',
  created_at timestamptz not null default now(),
  responded_at timestamptz,
  constraint group_invitations_status_check check (status in ('pending', 'accepted', 'declined', 'revoked'))
);
comment on table parley.group_invitations is 'An invitation to a group, made when an owner or admin adds someone who shares no conversation with them; the invitee accepts (becoming a member) or declines.';
comment on column parley.group_invitations.status is 'pending, accepted, declined (also when the invitee blocks the inviter), revoked (by an owner or admin, a ban, or the inviter blocking the invitee).';
alter table parley.group_invitations enable row level security;
revoke all on table parley.group_invitations from public, anon, authenticated;
grant select on table parley.group_invitations to authenticated;
grant all on table parley.group_invitations to service_role;

-- One invitation per group and invitee: a re-invite reopens it instead of piling up rows.
create unique index group_invitations_conversation_id_invitee_id_key on parley.group_invitations (conversation_id, invitee_id);
-- The invitee's pending invitations (list_invitations, the policy's first arm).
create index group_invitations_invitee_id_status_idx on parley.group_invitations (invitee_id, status);
-- Foreign key lookups, and block_user declining one inviter's invitations.
create index group_invitations_inviter_id_idx on parley.group_invitations (inviter_id);

-- The invitee reads their invitations; a group's owners and admins read the group's.
create policy group_invitations_select_invitee_or_moderator on parley.group_invitations
  for select to authenticated
  using (invitee_id = (select auth.uid())
         or conversation_id in (select parley_internal.my_moderated_conversation_ids()));
comment on policy group_invitations_select_invitee_or_moderator on parley.group_invitations is 'Invitees read their invitations; group owners and admins read their group''s.';

-- Bans --------------------------------------------------------------------------------------------------

create table parley.group_bans (
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  user_id uuid not null references parley.profiles (id) on delete cascade,
  banned_by uuid references parley.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (conversation_id, user_id)
);
comment on table parley.group_bans is 'Users banned from a group: removed, and refused as members or invitees until unbanned.';
alter table parley.group_bans enable row level security;
revoke all on table parley.group_bans from public, anon, authenticated;
grant select on table parley.group_bans to authenticated;
grant all on table parley.group_bans to service_role;

-- Foreign key lookups when a profile is deleted.
create index group_bans_user_id_idx on parley.group_bans (user_id);
create index group_bans_banned_by_idx on parley.group_bans (banned_by);

-- A group's owners and admins read its bans (the primary key starts with conversation_id).
create policy group_bans_select_moderator on parley.group_bans
  for select to authenticated
  using (conversation_id in (select parley_internal.my_moderated_conversation_ids()));
comment on policy group_bans_select_moderator on parley.group_bans is 'Group owners and admins read the group''s bans.';

-- The users an owner or admin adds to a group (group_id null: the group create_group is making), sorted
-- into those who join at once (they share a conversation with the adder, or group_invitations is off)
-- and those who get an invitation. Refuses, before anything is written: a missing user or one who
-- blocked the adder (404 user_not_found), one the adder blocked (user_blocked), a banned one (user_banned).
create or replace function parley_internal.sort_adds(
  group_id uuid, actor_id uuid, user_ids uuid[], out members uuid[], out invitees uuid[])
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_banned uuid;
  v_missing uuid;
  v_user uuid;
  v_invite boolean := parley_internal.group_invitations_on();
  v_contacts uuid[] := '{}';
begin
  select u into v_missing from unnest(sort_adds.user_ids) u where not parley_internal.ensure_profile(u) limit 1;
  if v_missing is not null then
    raise exception 'user % not found', v_missing
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  foreach v_user in array sort_adds.user_ids loop
    perform parley_internal.check_contact(sort_adds.actor_id, v_user);
  end loop;
  select b.user_id into v_banned from parley.group_bans b
   where b.conversation_id = sort_adds.group_id and b.user_id = any (sort_adds.user_ids) limit 1;
  if v_banned is not null then
    raise exception 'user % is banned from group %; unban them first', v_banned, sort_adds.group_id
      using errcode = '42501', hint = 'user_banned';
  end if;
  -- The contacts among them: each one's memberships from the inbox index, then one primary-key probe
  -- for the adder in each (the cost follows the added users' conversations, not the adder's).
  if v_invite then
    v_contacts := array(
      select distinct y.user_id from parley.conversation_members y
       where y.user_id = any (sort_adds.user_ids)
         and exists (select 1 from parley.conversation_members x
                      where x.conversation_id = y.conversation_id and x.user_id = sort_adds.actor_id));
  end if;
  select coalesce(array_agg(u order by u) filter (where not v_invite or u = any (v_contacts)), '{}'),
         coalesce(array_agg(u order by u) filter (where v_invite and not (u = any (v_contacts))), '{}')
    into sort_adds.members, sort_adds.invitees
    from unnest(sort_adds.user_ids) u;
end;
$$;
comment on function parley_internal.sort_adds(uuid, uuid, uuid[]) is 'Internal: checks users being added to a group (missing, blocked, banned) and sorts them into direct members and invitees.';
revoke execute on function parley_internal.sort_adds(uuid, uuid, uuid[]) from public, anon, authenticated, service_role;

-- Opens (or reopens, after a decline) the invitations, tells each invitee on user:<id>, and records a
-- members_invited system message. Users already invited and pending are left as they are.
create or replace function parley_internal.invite_users(group_id uuid, actor_id uuid, user_ids uuid[])
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_conversation parley.conversations;
  v_inviter jsonb;
  v_rows parley.group_invitations[];
begin
  if coalesce(cardinality(invite_users.user_ids), 0) = 0 then
    return 0;
  end if;
  with opened as (
    insert into parley.group_invitations as i (conversation_id, invitee_id, inviter_id)
    select invite_users.group_id, u, invite_users.actor_id from unnest(invite_users.user_ids) u
    on conflict (conversation_id, invitee_id) do update
       set status = 'pending', inviter_id = excluded.inviter_id, created_at = now(), responded_at = null
     where i.status <> 'pending'
    returning i.*
  )
  select coalesce(array_agg(o order by o.invitee_id), '{}') into v_rows from opened o;
  if cardinality(v_rows) = 0 then
    return 0;
  end if;
  select * into v_conversation from parley.conversations c where c.id = invite_users.group_id;
  select jsonb_build_object('id', p.id, 'username', p.username, 'display_name', p.display_name, 'avatar_url', p.avatar_url)
    into v_inviter from parley.profiles p where p.id = invite_users.actor_id;
  perform parley_internal.send_user_events('invitation_received',
    array(select r.invitee_id from unnest(v_rows) r order by r.invitee_id),
    array(select jsonb_build_object('invitation', jsonb_build_object(
                   'id', r.id, 'conversation_id', r.conversation_id, 'title', v_conversation.title,
                   'description', v_conversation.description, 'avatar_url', v_conversation.avatar_url,
                   'inviter', v_inviter, 'created_at', r.created_at))
            from unnest(v_rows) r order by r.invitee_id));
  perform parley_internal.post_system_message(invite_users.group_id, invite_users.actor_id, 'members_invited',
    jsonb_build_object('user_ids', (select jsonb_agg(r.invitee_id order by r.invitee_id) from unnest(v_rows) r)));
  return cardinality(v_rows);
end;
$$;
comment on function parley_internal.invite_users(uuid, uuid, uuid[]) is 'Internal: opens group invitations, sends invitation_received to each invitee and a members_invited system message.';
revoke execute on function parley_internal.invite_users(uuid, uuid, uuid[]) from public, anon, authenticated, service_role;

-- The caller's pending invitations with what they need to decide: the group's look and who invited them.
create or replace function parley_internal.list_invitations()
returns table (id uuid, conversation_id uuid, title text, description text, avatar_url text,
               member_count bigint, inviter jsonb, created_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
begin
  return query
    select i.id, i.conversation_id, c.title, c.description, c.avatar_url,
           (select count(*) from parley.conversation_members m where m.conversation_id = c.id),
           (select jsonb_build_object('id', p.id, 'username', p.username, 'display_name', p.display_name, 'avatar_url', p.avatar_url)
              from parley.profiles p where p.id = i.inviter_id),
           i.created_at
      from parley.group_invitations i join parley.conversations c on c.id = i.conversation_id
     where i.invitee_id = v_user_id and i.status = 'pending'
     order by i.created_at desc, i.id;
end;
$$;
comment on function parley_internal.list_invitations() is 'Implementation of parley.list_invitations (definer: the invitee may not read the group yet).';
revoke execute on function parley_internal.list_invitations() from public, anon;
grant execute on function parley_internal.list_invitations() to authenticated, service_role;

create or replace function parley.list_invitations()
returns table (id uuid, conversation_id uuid, title text, description text, avatar_url text,
               member_count bigint, inviter jsonb, created_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.list_invitations();
end;
$$;
comment on function parley.list_invitations() is 'Your pending group invitations, newest first: the group''s title, description, avatar and size, and who invited you.';
revoke execute on function parley.list_invitations() from public, anon;
grant execute on function parley.list_invitations() to authenticated, service_role;

-- The caller's invitation, locked; 404 for anyone else's.
create or replace function parley_internal.lock_invitation(invitation_id uuid, user_id uuid)
returns parley.group_invitations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.group_invitations;
begin
  select * into v_row from parley.group_invitations i
   where i.id = lock_invitation.invitation_id and i.invitee_id = lock_invitation.user_id
     for update;
  if not found then
    raise exception 'invitation % not found', lock_invitation.invitation_id
      using errcode = 'PT404', hint = 'invitation_not_found';
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.lock_invitation(uuid, uuid) is 'Internal: locks the user''s invitation, or raises PT404 invitation_not_found.';
revoke execute on function parley_internal.lock_invitation(uuid, uuid) from public, anon, authenticated, service_role;

-- Makes someone a member of a group they were let into (an accepted invitation, an invite link, an
-- approved request): refused when banned (403 user_banned) or when the group is full (400
-- too_many_members); a member_joined system message names who let them in. The caller holds the
-- group's row lock. Runs inside the definer RPCs only.
create or replace function parley_internal.admit_member(group_id uuid, user_id uuid, invited_by uuid)
returns parley.conversation_members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_max int := (parley_internal.limits() ->> 'group_max_members')::int;
  v_count int;
  v_row parley.conversation_members;
begin
  if exists (select 1 from parley.group_bans b where b.conversation_id = admit_member.group_id and b.user_id = admit_member.user_id) then
    raise exception 'user % is banned from group %', admit_member.user_id, admit_member.group_id
      using errcode = '42501', hint = 'user_banned';
  end if;
  if not parley_internal.ensure_profile(admit_member.user_id) then
    raise exception 'user % not found', admit_member.user_id using errcode = 'PT404', hint = 'user_not_found';
  end if;
  select count(*) into v_count from parley.conversation_members m where m.conversation_id = admit_member.group_id;
  if v_count + 1 > v_max then
    raise exception 'a group holds at most % members (it has %)', v_max, v_count
      using errcode = '22023', hint = 'too_many_members';
  end if;
  insert into parley.conversation_members (conversation_id, user_id, role, joined_at)
  values (admit_member.group_id, admit_member.user_id, 'member', now());
  perform parley_internal.post_system_message(admit_member.group_id, admit_member.user_id, 'member_joined',
    jsonb_build_object('invited_by', admit_member.invited_by));
  select * into v_row from parley.conversation_members m
   where m.conversation_id = admit_member.group_id and m.user_id = admit_member.user_id;
  return v_row;
end;
$$;
comment on function parley_internal.admit_member(uuid, uuid, uuid) is 'Internal: a new member let in by invitation, link or approval (ban and size checks, member_joined).';
revoke execute on function parley_internal.admit_member(uuid, uuid, uuid) from public, anon, authenticated, service_role;

create or replace function parley_internal.accept_invitation(invitation_id uuid)
returns parley.conversation_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_invitation parley.group_invitations := parley_internal.lock_invitation(accept_invitation.invitation_id, v_user_id);
  v_row parley.conversation_members;
begin
  -- The group's row lock orders this against adds, removals and bans of the same group.
  perform 1 from parley.conversations c where c.id = v_invitation.conversation_id for update;
  select * into v_row from parley.conversation_members m
   where m.conversation_id = v_invitation.conversation_id and m.user_id = v_user_id;
  if v_invitation.status = 'accepted' and found then
    -- A retried accept: the membership it made.
    return v_row;
  end if;
  if v_invitation.status <> 'pending' then
    raise exception 'invitation % was already answered (%)', accept_invitation.invitation_id, v_invitation.status
      using errcode = '23505', hint = 'invitation_answered';
  end if;
  perform parley_internal.require_own_profile(v_user_id);
  update parley.group_invitations i set status = 'accepted', responded_at = now() where i.id = v_invitation.id;
  if v_row.user_id is null then
    v_row := parley_internal.admit_member(v_invitation.conversation_id, v_user_id, v_invitation.inviter_id);
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.accept_invitation(uuid) is 'Implementation of parley.accept_invitation (definer: writes the invitee''s membership).';
revoke execute on function parley_internal.accept_invitation(uuid) from public, anon;
grant execute on function parley_internal.accept_invitation(uuid) to authenticated, service_role;

create or replace function parley.accept_invitation(invitation_id uuid)
returns parley.conversation_members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversation_members;
begin
  select * into v_row from parley_internal.accept_invitation(accept_invitation.invitation_id);
  return v_row;
end;
$$;
comment on function parley.accept_invitation(uuid) is 'Accept a group invitation: you become a member (a member_joined system message). A retry returns the same membership.';
revoke execute on function parley.accept_invitation(uuid) from public, anon;
grant execute on function parley.accept_invitation(uuid) to authenticated, service_role;

create or replace function parley_internal.decline_invitation(invitation_id uuid)
returns parley.group_invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.group_invitations := parley_internal.lock_invitation(decline_invitation.invitation_id, v_user_id);
begin
  if v_row.status = 'pending' then
    update parley.group_invitations i set status = 'declined', responded_at = now()
     where i.id = v_row.id
    returning * into v_row;
  elsif v_row.status = 'accepted' then
    raise exception 'invitation % was already accepted; use leave_group', decline_invitation.invitation_id
      using errcode = '23505', hint = 'invitation_answered';
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.decline_invitation(uuid) is 'Implementation of parley.decline_invitation (definer: the invitee may only read invitations).';
revoke execute on function parley_internal.decline_invitation(uuid) from public, anon;
grant execute on function parley_internal.decline_invitation(uuid) to authenticated, service_role;

create or replace function parley.decline_invitation(invitation_id uuid)
returns parley.group_invitations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.group_invitations;
begin
  select * into v_row from parley_internal.decline_invitation(decline_invitation.invitation_id);
  return v_row;
end;
$$;
comment on function parley.decline_invitation(uuid) is 'Decline a group invitation (nothing is posted in the group). Repeating it is a no-op; the group may invite you again, or block the inviter.';
revoke execute on function parley.decline_invitation(uuid) from public, anon;
grant execute on function parley.decline_invitation(uuid) to authenticated, service_role;

-- An owner or admin takes back an invitation their group sent (a mistake, a change of mind). The row
-- stays, revoked, as the record; the invitee's list no longer shows it.
create or replace function parley_internal.revoke_invitation(invitation_id uuid)
returns parley.group_invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.group_invitations;
begin
  select i.* into v_row from parley.group_invitations i
   where i.id = revoke_invitation.invitation_id
     and exists (select 1 from parley.conversation_members m
                  where m.conversation_id = i.conversation_id and m.user_id = v_user_id and m.role in ('owner', 'admin'))
     for update of i;
  if not found then
    raise exception 'invitation % not found', revoke_invitation.invitation_id
      using errcode = 'PT404', hint = 'invitation_not_found';
  end if;
  if v_row.status = 'pending' then
    update parley.group_invitations i set status = 'revoked', responded_at = now()
     where i.id = v_row.id
    returning * into v_row;
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.revoke_invitation(uuid) is 'Implementation of parley.revoke_invitation (definer: moderators may only read invitations).';
revoke execute on function parley_internal.revoke_invitation(uuid) from public, anon;
grant execute on function parley_internal.revoke_invitation(uuid) to authenticated, service_role;

create or replace function parley.revoke_invitation(invitation_id uuid)
returns parley.group_invitations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.group_invitations;
begin
  select * into v_row from parley_internal.revoke_invitation(revoke_invitation.invitation_id);
  return v_row;
end;
$$;
comment on function parley.revoke_invitation(uuid) is 'Take back a pending invitation of your group (owner or admin). An answered invitation stays as it was.';
revoke execute on function parley.revoke_invitation(uuid) from public, anon;
grant execute on function parley.revoke_invitation(uuid) to authenticated, service_role;

-- Mute and ban -------------------------------------------------------------------------------------------

-- Whom a moderator may act on: a member below them (the owner on admins and members, an admin on
-- members), never themselves. Returns the target's role, null when they are not a member.
create or replace function parley_internal.check_moderation_target(group_id uuid, actor_role text, actor_id uuid, user_id uuid)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_target_role text;
begin
  if check_moderation_target.actor_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may moderate group %', check_moderation_target.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if check_moderation_target.user_id is null or check_moderation_target.user_id = check_moderation_target.actor_id then
    raise exception 'you cannot mute or ban yourself (got user %)', check_moderation_target.user_id
      using errcode = '22023', hint = 'cannot_moderate_self';
  end if;
  select m.role into v_target_role from parley.conversation_members m
   where m.conversation_id = check_moderation_target.group_id and m.user_id = check_moderation_target.user_id;
  if v_target_role = 'owner' or (v_target_role = 'admin' and check_moderation_target.actor_role <> 'owner') then
    raise exception 'a % cannot mute or ban the group''s %', check_moderation_target.actor_role, v_target_role
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  return v_target_role;
end;
$$;
comment on function parley_internal.check_moderation_target(uuid, text, uuid, uuid) is 'Internal: refuses moderating oneself or someone of equal or higher rank; returns the target''s role (null: not a member).';
revoke execute on function parley_internal.check_moderation_target(uuid, text, uuid, uuid) from public, anon, authenticated, service_role;

create or replace function parley_internal.mute_member(group_id uuid, user_id uuid, until timestamptz)
returns parley.conversation_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(mute_member.group_id, v_user_id);
  v_target_role text := parley_internal.check_moderation_target(mute_member.group_id, v_role, v_user_id, mute_member.user_id);
  v_row parley.conversation_members;
begin
  if v_target_role is null then
    raise exception 'user % is not a member of group %', mute_member.user_id, mute_member.group_id
      using errcode = 'PT404', hint = 'member_not_found';
  end if;
  if mute_member.until is not null and mute_member.until <= now() then
    raise exception 'until must be in the future (got %); null lifts the mute', mute_member.until
      using errcode = '22023', hint = 'mute_until_invalid';
  end if;
  update parley.conversation_members m set read_only_until = mute_member.until
   where m.conversation_id = mute_member.group_id and m.user_id = mute_member.user_id
     and m.read_only_until is distinct from mute_member.until
  returning * into v_row;
  if found then
    perform parley_internal.post_system_message(mute_member.group_id, v_user_id,
      case when mute_member.until is null then 'member_unmuted' else 'member_muted' end,
      jsonb_build_object('user_id', mute_member.user_id, 'until', mute_member.until));
  end if;
  select * into v_row from parley.conversation_members m
   where m.conversation_id = mute_member.group_id and m.user_id = mute_member.user_id;
  return v_row;
end;
$$;
comment on function parley_internal.mute_member(uuid, uuid, timestamptz) is 'Implementation of parley.mute_member (definer: writes another user''s membership).';
revoke execute on function parley_internal.mute_member(uuid, uuid, timestamptz) from public, anon;
grant execute on function parley_internal.mute_member(uuid, uuid, timestamptz) to authenticated, service_role;

create or replace function parley.mute_member(group_id uuid, user_id uuid, until timestamptz)
returns parley.conversation_members
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversation_members;
begin
  select * into v_row from parley_internal.mute_member(mute_member.group_id, mute_member.user_id, mute_member.until);
  return v_row;
end;
$$;
comment on function parley.mute_member(uuid, uuid, timestamptz) is 'Make a member read-only until a time (owner: admins and members; admin: members); null lifts it. Posts member_muted / member_unmuted.';
revoke execute on function parley.mute_member(uuid, uuid, timestamptz) from public, anon;
grant execute on function parley.mute_member(uuid, uuid, timestamptz) to authenticated, service_role;

create or replace function parley_internal.ban_member(group_id uuid, user_id uuid)
returns parley.group_bans
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(ban_member.group_id, v_user_id);
  v_target_role text := parley_internal.check_moderation_target(ban_member.group_id, v_role, v_user_id, ban_member.user_id);
  v_row parley.group_bans;
begin
  if not parley_internal.ensure_profile(ban_member.user_id) then
    raise exception 'user % not found', ban_member.user_id
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  insert into parley.group_bans (conversation_id, user_id, banned_by)
  values (ban_member.group_id, ban_member.user_id, v_user_id)
  on conflict on constraint group_bans_pkey do nothing
  returning * into v_row;
  if not found then
    -- A repeated ban: the first one stands, nothing is posted again.
    select * into v_row from parley.group_bans b where b.conversation_id = ban_member.group_id and b.user_id = ban_member.user_id;
    return v_row;
  end if;
  update parley.group_invitations i set status = 'revoked', responded_at = now()
   where i.conversation_id = ban_member.group_id and i.invitee_id = ban_member.user_id and i.status = 'pending';
  if v_target_role is not null then
    delete from parley.conversation_members m where m.conversation_id = ban_member.group_id and m.user_id = ban_member.user_id;
  end if;
  perform parley_internal.post_system_message(ban_member.group_id, v_user_id, 'member_banned',
    jsonb_build_object('user_id', ban_member.user_id));
  return v_row;
end;
$$;
comment on function parley_internal.ban_member(uuid, uuid) is 'Implementation of parley.ban_member (definer: removes another user''s membership and invitation).';
revoke execute on function parley_internal.ban_member(uuid, uuid) from public, anon;
grant execute on function parley_internal.ban_member(uuid, uuid) to authenticated, service_role;

create or replace function parley.ban_member(group_id uuid, user_id uuid)
returns parley.group_bans
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.group_bans;
begin
  select * into v_row from parley_internal.ban_member(ban_member.group_id, ban_member.user_id);
  return v_row;
end;
$$;
comment on function parley.ban_member(uuid, uuid) is 'Ban a user from a group (owner or admin, not the owner or, for an admin, another admin): removes them, revokes their invitation, refuses re-adds until unban_member. Posts member_banned.';
revoke execute on function parley.ban_member(uuid, uuid) from public, anon;
grant execute on function parley.ban_member(uuid, uuid) to authenticated, service_role;

create or replace function parley_internal.unban_member(group_id uuid, user_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(unban_member.group_id, v_user_id);
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may unban in group %', unban_member.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  delete from parley.group_bans b where b.conversation_id = unban_member.group_id and b.user_id = unban_member.user_id;
  if not found then
    return false;
  end if;
  perform parley_internal.post_system_message(unban_member.group_id, v_user_id, 'member_unbanned',
    jsonb_build_object('user_id', unban_member.user_id));
  return true;
end;
$$;
comment on function parley_internal.unban_member(uuid, uuid) is 'Implementation of parley.unban_member (definer: members cannot write bans).';
revoke execute on function parley_internal.unban_member(uuid, uuid) from public, anon;
grant execute on function parley_internal.unban_member(uuid, uuid) to authenticated, service_role;

create or replace function parley.unban_member(group_id uuid, user_id uuid)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.unban_member(unban_member.group_id, unban_member.user_id);
end;
$$;
comment on function parley.unban_member(uuid, uuid) is 'Lift a ban (owner or admin): the user may be added or invited again. Returns false when there was none. Posts member_unbanned.';
revoke execute on function parley.unban_member(uuid, uuid) from public, anon;
grant execute on function parley.unban_member(uuid, uuid) to authenticated, service_role;

-- Reports -------------------------------------------------------------------------------------------

create table parley.reports (
  id uuid primary key default gen_random_uuid(),
  reporter_id uuid references parley.profiles (id) on delete set null,
  reported_user_id uuid references parley.profiles (id) on delete set null,
  message_id uuid references parley.messages (id) on delete set null,
  conversation_id uuid references parley.conversations (id) on delete set null,
  reason text not null,
  details text,
  message_snapshot jsonb,
  status text not null default 'open',
  resolved_by uuid references parley.profiles (id) on delete set null,
  resolved_at timestamptz,
  created_at timestamptz not null default now(),
  constraint reports_reason_check check (reason in ('spam', 'harassment', 'hate', 'violence', 'sexual_content', 'self_harm', 'impersonation', 'other')),
  constraint reports_details_check check (char_length(details) <= 1000),
  constraint reports_status_check check (status in ('open', 'resolved', 'dismissed'))
);
comment on table parley.reports is 'A report of a message or a user. Reports on group content reach the group''s owners and admins; the service role reads all.';
comment on column parley.reports.conversation_id is 'The reported message''s conversation (null for a user report): its owners and admins read the report when it is a group.';
comment on column parley.reports.message_snapshot is 'The message as it was when reported (kind, body, attachment, metadata, created_at), kept if it is edited or deleted.';
comment on column parley.reports.status is 'open, resolved or dismissed (resolve_report, or the service role).';
alter table parley.reports enable row level security;
revoke all on table parley.reports from public, anon, authenticated;
grant select on table parley.reports to authenticated;
grant all on table parley.reports to service_role;

-- A retried report is the first one: one open report per reporter and message, and per reporter and user.
create unique index reports_reporter_id_message_id_key on parley.reports (reporter_id, message_id)
  where status = 'open' and message_id is not null;
create unique index reports_reporter_id_reported_user_id_key on parley.reports (reporter_id, reported_user_id)
  where status = 'open' and message_id is null;
-- The moderators' queue: a group's reports, newest first (also the policy's second arm).
create index reports_conversation_id_created_at_idx on parley.reports (conversation_id, created_at desc);
-- The reporter's own reports (the policy's first arm), and foreign key lookups.
create index reports_reporter_id_idx on parley.reports (reporter_id);
create index reports_reported_user_id_idx on parley.reports (reported_user_id);
create index reports_message_id_idx on parley.reports (message_id);
create index reports_resolved_by_idx on parley.reports (resolved_by);

-- Reporters follow their own reports; a group's owners and admins work through reports on its content.
-- A direct conversation has no moderators (nobody is owner or admin there): the service role only.
create policy reports_select_reporter_or_moderator on parley.reports
  for select to authenticated
  using (reporter_id = (select auth.uid())
         or conversation_id in (select parley_internal.my_moderated_conversation_ids()));
comment on policy reports_select_reporter_or_moderator on parley.reports is 'Reporters read their reports; group owners and admins read reports on their group''s messages.';

create or replace function parley_internal.check_report_fields(reason text, details text)
returns void
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  if check_report_fields.reason is null or check_report_fields.reason not in
      ('spam', 'harassment', 'hate', 'violence', 'sexual_content', 'self_harm', 'impersonation', 'other') then
    raise exception 'reason "%" is not one of spam, harassment, hate, violence, sexual_content, self_harm, impersonation, other', check_report_fields.reason
      using errcode = '22023', hint = 'report_reason_invalid';
  end if;
  if char_length(check_report_fields.details) > 1000 then
    raise exception 'details is % characters; the limit is 1000', char_length(check_report_fields.details)
      using errcode = '22023', hint = 'report_details_too_long';
  end if;
end;
$$;
comment on function parley_internal.check_report_fields(text, text) is 'Internal: validates a report''s reason (the fixed list) and details (at most 1000 characters).';
revoke execute on function parley_internal.check_report_fields(text, text) from public, anon, authenticated, service_role;

create or replace function parley_internal.report_message(message_id uuid, reason text, details text)
returns parley.reports
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
-- The arbiter of the insert names the column message_id, also a parameter: columns win where a name is
-- bare (every parameter use is qualified, report_message.<name>).
declare
  v_user_id uuid := parley_internal.require_user();
  v_message parley.messages;
  v_kind text;
  v_row parley.reports;
begin
  perform parley_internal.check_report_fields(report_message.reason, report_message.details);
  select x.* into v_message from parley.messages x
   where x.id = report_message.message_id
     and exists (select 1 from parley.conversation_members m where m.conversation_id = x.conversation_id and m.user_id = v_user_id);
  if not found then
    raise exception 'message % not found', report_message.message_id
      using errcode = 'PT404', hint = 'message_not_found';
  end if;
  if v_message.sender_id = v_user_id then
    raise exception 'you cannot report your own message'
      using errcode = '22023', hint = 'cannot_report_self';
  end if;
  perform parley_internal.require_own_profile(v_user_id);
  select * into v_row from parley.reports r
   where r.reporter_id = v_user_id and r.message_id = report_message.message_id and r.status = 'open';
  if found then
    return v_row;
  end if;
  perform parley_internal.take_token(v_user_id, 'report', 1);
  insert into parley.reports (reporter_id, reported_user_id, message_id, conversation_id, reason, details, message_snapshot)
  values (v_user_id, v_message.sender_id, v_message.id, v_message.conversation_id, report_message.reason,
          nullif(btrim(report_message.details), ''),
          jsonb_build_object('kind', v_message.kind, 'body', v_message.body, 'attachment', v_message.attachment,
                             'metadata', v_message.metadata, 'created_at', v_message.created_at,
                             'edited_at', v_message.edited_at, 'deleted_at', v_message.deleted_at))
  on conflict (reporter_id, message_id) where status = 'open' and message_id is not null do nothing
  returning * into v_row;
  if not found then
    select * into v_row from parley.reports r
     where r.reporter_id = v_user_id and r.message_id = report_message.message_id and r.status = 'open';
    return v_row;
  end if;
  select c.kind into v_kind from parley.conversations c where c.id = v_message.conversation_id;
  if v_kind = 'group' then
    -- The group's owners and admins learn of it on their own user:<id> topics.
    perform parley_internal.send_user_events('report_created', u.ids,
        array_fill(jsonb_build_object('report_id', v_row.id, 'conversation_id', v_row.conversation_id,
                                      'message_id', v_row.message_id, 'reason', v_row.reason), array[cardinality(u.ids)]))
      from (select array_agg(m.user_id order by m.user_id) as ids from parley.conversation_members m
             where m.conversation_id = v_message.conversation_id and m.role in ('owner', 'admin')) u
     where u.ids is not null;
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.report_message(uuid, text, text) is 'Implementation of parley.report_message (definer: writes a report with a snapshot the reporter may only read).';
revoke execute on function parley_internal.report_message(uuid, text, text) from public, anon;
grant execute on function parley_internal.report_message(uuid, text, text) to authenticated, service_role;

create or replace function parley.report_message(message_id uuid, reason text, details text default null)
returns parley.reports
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.reports;
begin
  select * into v_row from parley_internal.report_message(report_message.message_id, report_message.reason, report_message.details);
  return v_row;
end;
$$;
comment on function parley.report_message(uuid, text, text) is 'Report a message of a conversation you belong to (reason from the fixed list, details up to 1000 characters). Group reports reach its owners and admins. A repeat returns your open report.';
revoke execute on function parley.report_message(uuid, text, text) from public, anon;
grant execute on function parley.report_message(uuid, text, text) to authenticated, service_role;

create or replace function parley_internal.report_user(user_id uuid, reason text, details text)
returns parley.reports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.reports;
begin
  perform parley_internal.check_report_fields(report_user.reason, report_user.details);
  if report_user.user_id is null or not parley_internal.ensure_profile(report_user.user_id) then
    raise exception 'user % not found', report_user.user_id
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  if report_user.user_id = v_user_id then
    raise exception 'you cannot report yourself'
      using errcode = '22023', hint = 'cannot_report_self';
  end if;
  perform parley_internal.require_own_profile(v_user_id);
  select * into v_row from parley.reports r
   where r.reporter_id = v_user_id and r.reported_user_id = report_user.user_id and r.message_id is null and r.status = 'open';
  if found then
    return v_row;
  end if;
  perform parley_internal.take_token(v_user_id, 'report', 1);
  insert into parley.reports (reporter_id, reported_user_id, reason, details)
  values (v_user_id, report_user.user_id, report_user.reason, nullif(btrim(report_user.details), ''))
  on conflict (reporter_id, reported_user_id) where status = 'open' and message_id is null do nothing
  returning * into v_row;
  if not found then
    select * into v_row from parley.reports r
     where r.reporter_id = v_user_id and r.reported_user_id = report_user.user_id and r.message_id is null and r.status = 'open';
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.report_user(uuid, text, text) is 'Implementation of parley.report_user (definer: writes a report the reporter may only read).';
revoke execute on function parley_internal.report_user(uuid, text, text) from public, anon;
grant execute on function parley_internal.report_user(uuid, text, text) to authenticated, service_role;

create or replace function parley.report_user(user_id uuid, reason text, details text default null)
returns parley.reports
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.reports;
begin
  select * into v_row from parley_internal.report_user(report_user.user_id, report_user.reason, report_user.details);
  return v_row;
end;
$$;
comment on function parley.report_user(uuid, text, text) is 'Report a user (reason from the fixed list, details up to 1000 characters); read by the service role. A repeat returns your open report.';
revoke execute on function parley.report_user(uuid, text, text) from public, anon;
grant execute on function parley.report_user(uuid, text, text) to authenticated, service_role;

create or replace function parley_internal.resolve_report(report_id uuid, status text)
returns parley.reports
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.reports;
begin
  if resolve_report.status is null or resolve_report.status not in ('resolved', 'dismissed') then
    raise exception 'status "%" is not one of resolved, dismissed', resolve_report.status
      using errcode = '22023', hint = 'report_status_invalid';
  end if;
  select r.* into v_row from parley.reports r
   where r.id = resolve_report.report_id
     and r.conversation_id in (select m.conversation_id from parley.conversation_members m
                                where m.user_id = v_user_id and m.role in ('owner', 'admin'))
     for update of r;
  if not found then
    raise exception 'report % not found', resolve_report.report_id
      using errcode = 'PT404', hint = 'report_not_found';
  end if;
  if v_row.status = 'open' then
    update parley.reports r set status = resolve_report.status, resolved_by = v_user_id, resolved_at = now()
     where r.id = v_row.id
    returning * into v_row;
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.resolve_report(uuid, text) is 'Implementation of parley.resolve_report (definer: moderators may only read reports).';
revoke execute on function parley_internal.resolve_report(uuid, text) from public, anon;
grant execute on function parley_internal.resolve_report(uuid, text) to authenticated, service_role;

create or replace function parley.resolve_report(report_id uuid, status text default 'resolved')
returns parley.reports
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.reports;
begin
  select * into v_row from parley_internal.resolve_report(resolve_report.report_id, resolve_report.status);
  return v_row;
end;
$$;
comment on function parley.resolve_report(uuid, text) is 'Close a report on your group''s content (owner or admin) as resolved or dismissed; records who and when. A closed report stays as it was.';
revoke execute on function parley.resolve_report(uuid, text) from public, anon;
grant execute on function parley.resolve_report(uuid, text) to authenticated, service_role;
