-- Invite links: an owner or admin of a group makes a link (a random code of 144 bits, stored only as its
-- SHA-256) with an expiry, a use limit and, optionally, approval by an owner or admin; whoever holds the
-- code joins with join_by_invite(code), or asks to join when approval is on. Links can be revoked. A
-- banned user cannot join through a link; joining respects the group size limit and the rate limits.
-- Security: owners and admins read their group's links (never the codes: only hashes are stored) and
-- join requests; a requester reads their own requests. Nobody writes the tables directly.
-- Security definer functions here (docs/safety.md § Invite links): parley_internal.create_invite_link,
--   revoke_invite_link, join_by_invite, answer_join_request — they write links, requests and other users'
--   memberships after checking the caller's role (or the code); each acts for auth.uid() only.
-- Events: member_joined system messages (with invited_by, the link's creator); join_requested to the
--   group's owners and admins on their user:<id>; join_request_answered to the requester.

create table parley.group_invite_links (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  code_hash bytea not null,
  created_by uuid references parley.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  max_uses integer,
  uses integer not null default 0,
  requires_approval boolean not null default false,
  revoked_at timestamptz,
  constraint group_invite_links_code_hash_key unique (code_hash),
  constraint group_invite_links_max_uses_check check (max_uses between 1 and 100000),
  constraint group_invite_links_uses_check check (uses >= 0 and (max_uses is null or uses <= max_uses))
);
comment on table parley.group_invite_links is 'Invite links of groups: the code''s SHA-256 (never the code), expiry, use limit and count, approval, revocation.';
comment on column parley.group_invite_links.code_hash is 'sha256 of the code handed out once by create_invite_link; join_by_invite looks the link up by it.';
alter table parley.group_invite_links enable row level security;
revoke all on table parley.group_invite_links from public, anon, authenticated;
grant select (id, conversation_id, created_by, created_at, expires_at, max_uses, uses, requires_approval, revoked_at)
  on table parley.group_invite_links to authenticated;
grant all on table parley.group_invite_links to service_role;

-- A group's links (the policy's lookup) and the cascade when a profile is deleted.
create index group_invite_links_conversation_id_idx on parley.group_invite_links (conversation_id);
create index group_invite_links_created_by_idx on parley.group_invite_links (created_by);

create policy group_invite_links_select_moderator on parley.group_invite_links
  for select to authenticated
  using (conversation_id in (select parley_internal.my_moderated_conversation_ids()));
comment on policy group_invite_links_select_moderator on parley.group_invite_links is 'A group''s owners and admins read its invite links (the codes are not stored).';

create table parley.group_join_requests (
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  user_id uuid not null references parley.profiles (id) on delete cascade,
  invite_link_id uuid references parley.group_invite_links (id) on delete set null,
  status text not null default 'pending',
  requested_at timestamptz not null default now(),
  answered_by uuid references parley.profiles (id) on delete set null,
  answered_at timestamptz,
  primary key (conversation_id, user_id),
  constraint group_join_requests_status_check check (status in ('pending', 'approved', 'declined'))
);
comment on table parley.group_join_requests is 'Requests to join a group through a link that needs approval: the queue its owners and admins answer.';
alter table parley.group_join_requests enable row level security;
revoke all on table parley.group_join_requests from public, anon, authenticated;
grant select on table parley.group_join_requests to authenticated;
grant all on table parley.group_join_requests to service_role;

-- The requester's own requests, and the cascades from links and profiles.
create index group_join_requests_user_id_idx on parley.group_join_requests (user_id);
create index group_join_requests_invite_link_id_idx on parley.group_join_requests (invite_link_id);
create index group_join_requests_answered_by_idx on parley.group_join_requests (answered_by);

create policy group_join_requests_select_own_or_moderator on parley.group_join_requests
  for select to authenticated
  using (user_id = (select auth.uid()) or conversation_id in (select parley_internal.my_moderated_conversation_ids()));
comment on policy group_join_requests_select_own_or_moderator on parley.group_join_requests is 'Requesters read their requests; a group''s owners and admins read its queue.';

-- A code's lookup key.
create or replace function parley_internal.invite_code_hash(code text)
returns bytea
language sql
immutable
security invoker
set search_path = ''
as $$
  select sha256(convert_to(invite_code_hash.code, 'UTF8'));
$$;
comment on function parley_internal.invite_code_hash(text) is 'SHA-256 of an invite code (what group_invite_links stores).';
revoke execute on function parley_internal.invite_code_hash(text) from public, anon, authenticated, service_role;

-- Makes a link for a group the caller owns or administers and hands out its code, once.
create or replace function parley_internal.create_invite_link(
  group_id uuid, expires_in_seconds integer, max_uses integer, requires_approval boolean)
returns table (id uuid, code text, expires_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(create_invite_link.group_id, v_user_id);
  v_code text := translate(encode(extensions.gen_random_bytes(18), 'base64'), '+/', '-_');
  v_link parley.group_invite_links;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may make invite links for group %', create_invite_link.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if create_invite_link.expires_in_seconds is not null and create_invite_link.expires_in_seconds not between 60 and 31536000 then
    raise exception 'expires_in_seconds must be between 60 and 31536000 (a year), or null for never (got %)', create_invite_link.expires_in_seconds
      using errcode = '22023', hint = 'invite_expiry_invalid';
  end if;
  if create_invite_link.max_uses is not null and create_invite_link.max_uses not between 1 and 100000 then
    raise exception 'max_uses must be between 1 and 100000, or null for no limit (got %)', create_invite_link.max_uses
      using errcode = '22023', hint = 'invite_max_uses_invalid';
  end if;
  perform parley_internal.take_token(v_user_id, 'invite', 1);
  insert into parley.group_invite_links (conversation_id, code_hash, created_by, expires_at, max_uses, requires_approval)
  values (create_invite_link.group_id, parley_internal.invite_code_hash(v_code), v_user_id,
          now() + make_interval(secs => create_invite_link.expires_in_seconds), create_invite_link.max_uses,
          coalesce(create_invite_link.requires_approval, false))
  returning * into v_link;
  return query select v_link.id, v_code, v_link.expires_at;
end;
$$;
comment on function parley_internal.create_invite_link(uuid, integer, integer, boolean) is 'Implements parley.create_invite_link.';
revoke execute on function parley_internal.create_invite_link(uuid, integer, integer, boolean) from public, anon;
grant execute on function parley_internal.create_invite_link(uuid, integer, integer, boolean) to authenticated;

create or replace function parley.create_invite_link(
  group_id uuid, expires_in_seconds integer default 604800, max_uses integer default null, requires_approval boolean default false)
returns table (id uuid, code text, expires_at timestamptz)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.create_invite_link(create_invite_link.group_id, create_invite_link.expires_in_seconds,
      create_invite_link.max_uses, create_invite_link.requires_approval);
end;
$$;
comment on function parley.create_invite_link(uuid, integer, integer, boolean) is
  'Owner or admin: an invite link for a group, valid expires_in_seconds (60 s to a year, default 7 days; null = never), at most max_uses joins (null = no limit), optionally needing approval. Answers {id, code, expires_at}: the code once (144 random bits; only its hash is kept). 403 insufficient_role, 400 invite_expiry_invalid / invite_max_uses_invalid, 429 rate_limited.';
revoke execute on function parley.create_invite_link(uuid, integer, integer, boolean) from public, anon;
grant execute on function parley.create_invite_link(uuid, integer, integer, boolean) to authenticated;

create or replace function parley_internal.revoke_invite_link(invite_link_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_link parley.group_invite_links;
begin
  select * into v_link from parley.group_invite_links l where l.id = revoke_invite_link.invite_link_id;
  if not found or not parley_internal.has_role(v_link.conversation_id, array['owner', 'admin']) then
    raise exception 'invite link % not found', revoke_invite_link.invite_link_id using errcode = 'PT404', hint = 'invite_not_found';
  end if;
  update parley.group_invite_links l set revoked_at = coalesce(l.revoked_at, now()) where l.id = v_link.id;
end;
$$;
comment on function parley_internal.revoke_invite_link(uuid) is 'Implements parley.revoke_invite_link.';
revoke execute on function parley_internal.revoke_invite_link(uuid) from public, anon;
grant execute on function parley_internal.revoke_invite_link(uuid) to authenticated;

create or replace function parley.revoke_invite_link(invite_link_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.revoke_invite_link(revoke_invite_link.invite_link_id);
end;
$$;
comment on function parley.revoke_invite_link(uuid) is 'Owner or admin: the link stops working at once. Idempotent. 404 invite_not_found.';
revoke execute on function parley.revoke_invite_link(uuid) from public, anon;
grant execute on function parley.revoke_invite_link(uuid) to authenticated;

-- Joins (or asks to join) through a code. Already a member: answers joined, changes nothing. The link's
-- row lock counts uses exactly under concurrency.
create or replace function parley_internal.join_by_invite(code text)
returns table (conversation_id uuid, status text)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user_id uuid := parley_internal.require_user();
  v_link parley.group_invite_links;
  v_request parley.group_join_requests;
begin
  select * into v_link from parley.group_invite_links l
   where l.code_hash = parley_internal.invite_code_hash(coalesce(join_by_invite.code, ''));
  if not found then
    raise exception 'no invite link has this code' using errcode = 'PT404', hint = 'invite_not_found';
  end if;
  -- The group's row lock first (as adds, removals, bans and approvals take it), then the link's: the
  -- size limit and the use count hold under concurrency.
  perform 1 from parley.conversations c where c.id = v_link.conversation_id for update;
  select * into v_link from parley.group_invite_links l where l.id = v_link.id for update;
  if exists (select 1 from parley.conversation_members m where m.conversation_id = v_link.conversation_id and m.user_id = v_user_id) then
    return query select v_link.conversation_id, 'joined'::text;
    return;
  end if;
  if v_link.revoked_at is not null then
    raise exception 'this invite link was revoked' using errcode = '22023', hint = 'invite_revoked';
  end if;
  if v_link.expires_at is not null and v_link.expires_at <= now() then
    raise exception 'this invite link expired at %', v_link.expires_at using errcode = '22023', hint = 'invite_expired';
  end if;
  if v_link.max_uses is not null and v_link.uses >= v_link.max_uses then
    raise exception 'this invite link has been used its % times', v_link.max_uses using errcode = '22023', hint = 'invite_used_up';
  end if;
  if exists (select 1 from parley.group_bans b where b.conversation_id = v_link.conversation_id and b.user_id = v_user_id) then
    raise exception 'you are banned from this group' using errcode = '42501', hint = 'user_banned';
  end if;
  perform parley_internal.require_own_profile(v_user_id);
  perform parley_internal.take_token(v_user_id, 'invite', 1);
  if v_link.requires_approval then
    insert into parley.group_join_requests as r (conversation_id, user_id, invite_link_id)
    values (v_link.conversation_id, v_user_id, v_link.id)
    on conflict on constraint group_join_requests_pkey do update
      set status = 'pending', invite_link_id = excluded.invite_link_id, requested_at = now(), answered_by = null, answered_at = null
      where r.status <> 'pending'
    returning * into v_request;
    if found then
      perform parley_internal.send_user_events('join_requested',
        array(select m.user_id from parley.conversation_members m
               where m.conversation_id = v_link.conversation_id and m.role in ('owner', 'admin')),
        array(select jsonb_build_object('conversation_id', v_link.conversation_id, 'user_id', v_user_id, 'invite_link_id', v_link.id)
                from parley.conversation_members m
               where m.conversation_id = v_link.conversation_id and m.role in ('owner', 'admin')));
    end if;
    return query select v_link.conversation_id, 'pending'::text;
    return;
  end if;
  perform parley_internal.admit_member(v_link.conversation_id, v_user_id, v_link.created_by);
  update parley.group_invite_links l set uses = l.uses + 1 where l.id = v_link.id;
  return query select v_link.conversation_id, 'joined'::text;
end;
$$;
comment on function parley_internal.join_by_invite(text) is 'Implements parley.join_by_invite.';
revoke execute on function parley_internal.join_by_invite(text) from public, anon;
grant execute on function parley_internal.join_by_invite(text) to authenticated;

create or replace function parley.join_by_invite(code text)
returns table (conversation_id uuid, status text)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.join_by_invite(join_by_invite.code);
end;
$$;
comment on function parley.join_by_invite(text) is
  'Join a group with an invite link''s code: {conversation_id, status: joined | pending (the link needs approval; the owners and admins hear join_requested)}. A member asking again gets joined. 404 invite_not_found, 400 invite_revoked / invite_expired / invite_used_up / too_many_members, 403 user_banned, 429 rate_limited.';
revoke execute on function parley.join_by_invite(text) from public, anon;
grant execute on function parley.join_by_invite(text) to authenticated;

-- An owner or admin approves (or declines) a pending request; approving makes the membership.
create or replace function parley_internal.answer_join_request(group_id uuid, user_id uuid, approve boolean)
returns parley.group_join_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(answer_join_request.group_id, v_actor);
  v_request parley.group_join_requests;
  v_inviter uuid;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may answer requests to join group %', answer_join_request.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  select * into v_request from parley.group_join_requests r
   where r.conversation_id = answer_join_request.group_id and r.user_id = answer_join_request.user_id
   for update;
  if not found then
    raise exception 'no request of user % to join group %', answer_join_request.user_id, answer_join_request.group_id
      using errcode = 'PT404', hint = 'join_request_not_found';
  end if;
  if v_request.status <> 'pending' then
    return v_request; -- answered already: answering again changes nothing
  end if;
  if answer_join_request.approve then
    select l.created_by into v_inviter from parley.group_invite_links l where l.id = v_request.invite_link_id;
    perform parley_internal.admit_member(answer_join_request.group_id, answer_join_request.user_id, coalesce(v_inviter, v_actor));
    update parley.group_invite_links l set uses = least(l.uses + 1, coalesce(l.max_uses, l.uses + 1)) where l.id = v_request.invite_link_id;
  end if;
  update parley.group_join_requests r
     set status = case when answer_join_request.approve then 'approved' else 'declined' end, answered_by = v_actor, answered_at = now()
   where r.conversation_id = v_request.conversation_id and r.user_id = v_request.user_id
  returning * into v_request;
  perform parley_internal.send_user_events('join_request_answered', array[v_request.user_id],
    array[jsonb_build_object('conversation_id', v_request.conversation_id, 'status', v_request.status)]);
  return v_request;
end;
$$;
comment on function parley_internal.answer_join_request(uuid, uuid, boolean) is 'Implements parley.approve_join_request / parley.decline_join_request.';
revoke execute on function parley_internal.answer_join_request(uuid, uuid, boolean) from public, anon;
grant execute on function parley_internal.answer_join_request(uuid, uuid, boolean) to authenticated;

create or replace function parley.approve_join_request(group_id uuid, user_id uuid)
returns parley.group_join_requests
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.group_join_requests;
begin
  select * into v_row from parley_internal.answer_join_request(approve_join_request.group_id, approve_join_request.user_id, true);
  return v_row;
end;
$$;
comment on function parley.approve_join_request(uuid, uuid) is 'Owner or admin: the requester becomes a member (member_joined). Idempotent. 404 join_request_not_found, 403 user_banned, 400 too_many_members.';
revoke execute on function parley.approve_join_request(uuid, uuid) from public, anon;
grant execute on function parley.approve_join_request(uuid, uuid) to authenticated;

create or replace function parley.decline_join_request(group_id uuid, user_id uuid)
returns parley.group_join_requests
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.group_join_requests;
begin
  select * into v_row from parley_internal.answer_join_request(decline_join_request.group_id, decline_join_request.user_id, false);
  return v_row;
end;
$$;
comment on function parley.decline_join_request(uuid, uuid) is 'Owner or admin: refuse a request to join; the requester hears join_request_answered. Idempotent.';
revoke execute on function parley.decline_join_request(uuid, uuid) from public, anon;
grant execute on function parley.decline_join_request(uuid, uuid) to authenticated;
