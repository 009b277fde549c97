-- Conversations (direct or group) and their members, with the membership predicates every other
-- policy uses, and the conversation operations: the direct conversation of a pair, mark read, the inbox.
-- Security definer functions here (see docs/messaging.md § Definer audit):
--   parley_internal.my_conversation_ids() — policy helper; reads conversation_members without re-entering its RLS.
--   parley_internal.is_member(uuid)       — predicate for RPCs, storage and realtime policies; same reason.
--   parley_internal.has_role(uuid, text[]) — role predicate for RPCs; same reason.
--   They only ever answer for auth.uid(), so granting them to authenticated reveals nothing new.
--   parley_internal.get_or_create_direct_conversation(uuid) — creates a conversation and both memberships.
--   parley_internal.mark_read(uuid, bigint) — moves the caller's cursor, bounded by last_seq.
--   parley_internal.list_conversations(...) — reads the inbox from one index without the RLS membership
--   hash, so its cost is flat. Each derives the caller from auth.uid(); none takes a user id to act as.
-- Security: members read their conversations and co-members; all writes go through RPCs except a
-- member's own muted_until / hidden_at. anon has no grants.

create table parley.conversations (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  direct_key text,
  title text,
  description text,
  avatar_url text,
  created_by uuid references parley.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_seq bigint not null default 0,
  last_message_at timestamptz,
  -- Added after the first release: new columns go last, so a migrated database has the same column order.
  slow_mode_seconds integer not null default 0,
  constraint conversations_kind_check check (kind in ('direct', 'group')),
  constraint conversations_direct_key_check check ((kind = 'direct') = (direct_key is not null)),
  constraint conversations_title_check check (
    (kind = 'direct' and title is null) or (kind = 'group' and char_length(title) between 1 and 100)),
  constraint conversations_description_check check (char_length(description) <= 1000),
  constraint conversations_avatar_url_check check (char_length(avatar_url) <= 2048),
  constraint conversations_last_seq_check check (last_seq >= 0),
  constraint conversations_slow_mode_seconds_check check (slow_mode_seconds between 0 and 21600)
);
comment on table parley.conversations is 'A direct (two people) or group conversation. Messages are numbered by seq within it.';
comment on column parley.conversations.direct_key is 'For direct conversations: "<smaller user id>:<larger user id>", unique, so a pair has one conversation.';
comment on column parley.conversations.last_seq is 'seq of the newest message (0 when empty). Unread = last_seq - member.last_read_seq.';
comment on column parley.conversations.last_message_at is 'When the newest message was sent (null when empty).';
comment on column parley.conversations.slow_mode_seconds is 'Slow mode: seconds a member waits between their messages (0 = off; owners and admins exempt). Set with set_slow_mode.';
alter table parley.conversations enable row level security;
revoke all on table parley.conversations from public, anon, authenticated;
grant select on table parley.conversations to authenticated;
grant all on table parley.conversations to service_role;

-- One direct conversation per pair of users, race-free (get_or_create relies on it).
create unique index conversations_direct_key_key on parley.conversations (direct_key);

-- Foreign key lookups when a profile is deleted.
create index conversations_created_by_idx on parley.conversations (created_by);

create table parley.conversation_members (
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  user_id uuid not null references parley.profiles (id) on delete cascade,
  role text not null default 'member',
  joined_at timestamptz not null default now(),
  last_read_seq bigint not null default 0,
  last_delivered_seq bigint not null default 0,
  muted_until timestamptz,
  hidden_at timestamptz,
  last_activity_at timestamptz not null default now(),
  last_activity_second timestamptz
    generated always as (date_bin('1 second', last_activity_at, timestamptz '2000-01-01 00:00:00+00')) stored not null,
  last_sent_at timestamptz,
  mention_count integer not null default 0,
  read_only_until timestamptz,
  primary key (conversation_id, user_id),
  constraint conversation_members_role_check check (role in ('owner', 'admin', 'member')),
  constraint conversation_members_last_read_seq_check check (last_read_seq >= 0),
  constraint conversation_members_last_delivered_seq_check check (last_delivered_seq >= 0)
)
-- Room on each page for the new versions of its member rows, so the per-message updates stay HOT.
with (fillfactor = 80);
comment on table parley.conversation_members is 'Who is in a conversation, their role, read cursor and inbox settings.';
comment on column parley.conversation_members.last_read_seq is 'The member''s read cursor: the highest seq they have read (see mark_read).';
comment on column parley.conversation_members.last_delivered_seq is 'The member''s delivered cursor: the highest seq one of their devices received (mark_delivered; mark_read moves it too). Read by co-members through list_receipts.';
comment on column parley.conversation_members.muted_until is 'Notifications muted until this time (null: not muted). Set by the member.';
comment on column parley.conversation_members.hidden_at is 'Hidden from the member''s inbox since this time; a new message unhides it. Set by the member.';
comment on column parley.conversation_members.last_activity_at is 'Inbox order key: when the conversation last had activity, copied to every member so the inbox reads one index.';
comment on column parley.conversation_members.mention_count is 'Unread mentions of the member here (above last_read_seq), kept by the mention trigger and mark_read (mentions.sql); counted even when muted.';
comment on column parley.conversation_members.read_only_until is 'Muted by a group owner or admin: the member may read but not send until this time (null: not muted). Set with mute_member.';
comment on column parley.conversation_members.last_sent_at is 'When the member last sent a message here (slow mode measures from it).';
comment on column parley.conversation_members.last_activity_second is
  'last_activity_at truncated to the second: the inbox index key, so that sends within the same second update members in place (HOT).';
alter table parley.conversation_members enable row level security;
revoke all on table parley.conversation_members from public, anon, authenticated;
-- Co-members see who is in the conversation, with which role, since when, whether a moderator muted
-- them, and the conversation's activity time (the same on every member's row); nothing of a member's
-- own state: read and delivered cursors (a member may hide read receipts, receipts.sql), mute, hide,
-- unread mentions, when they last sent. A member reads their own through list_conversations and
-- membership_updated, and others' cursors through list_receipts, which applies each member's
-- read-receipt setting. Rows are still filtered by the policy below.
grant select (conversation_id, user_id, role, joined_at, read_only_until, last_activity_at)
  on table parley.conversation_members to authenticated;
grant update (muted_until, hidden_at) on table parley.conversation_members to authenticated;
grant all on table parley.conversation_members to service_role;

-- The inbox: my memberships newest activity first, read top-N from one index (flat in how many
-- conversations I have); also serves every policy's "user_id = auth.uid()" lookups. It keys on the
-- second of the last activity, not the instant: every message moves last_activity_at for every member,
-- and with the instant indexed each of those updates was non-HOT (a new entry in this index and the
-- primary key, per member, per message; dead entries piled up faster than autovacuum and sends slowed
-- by a quarter within seconds, docs/performance.md). Within a second the updates now change no indexed
-- column and stay HOT; the page sorts each second's few rows by last_activity_at (an incremental sort).
create index conversation_members_user_id_activity_idx
  on parley.conversation_members (user_id, last_activity_second desc, conversation_id desc);
comment on index parley.conversation_members_user_id_activity_idx is
  'The inbox: a user''s conversations second by second, newest first (the page sorts each second by last_activity_at).';

-- The ids of the conversations the caller belongs to. Definer so that policies on
-- conversation_members can use it without recursing into their own RLS. plpgsql rather than sql:
-- its plan is cached per session (a definer sql function is re-planned on every call, ~4x slower).
create or replace function parley_internal.my_conversation_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
rows 100
as $$
begin
  return query
    select m.conversation_id
      from parley.conversation_members m
     where m.user_id = (select auth.uid());
end;
$$;
comment on function parley_internal.my_conversation_ids() is 'Conversation ids of auth.uid(); used by RLS policies.';
revoke execute on function parley_internal.my_conversation_ids() from public, anon;
grant execute on function parley_internal.my_conversation_ids() to authenticated, service_role;

-- Is the caller a member of this conversation?
create or replace function parley_internal.is_member(conversation_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from parley.conversation_members m
     where m.conversation_id = is_member.conversation_id and m.user_id = (select auth.uid()));
end;
$$;
comment on function parley_internal.is_member(uuid) is 'True when auth.uid() is a member of the conversation.';
revoke execute on function parley_internal.is_member(uuid) from public, anon;
grant execute on function parley_internal.is_member(uuid) to authenticated, service_role;

-- Does the caller hold one of these roles in this conversation?
create or replace function parley_internal.has_role(conversation_id uuid, roles text[])
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from parley.conversation_members m
     where m.conversation_id = has_role.conversation_id and m.user_id = (select auth.uid())
       and m.role = any (has_role.roles));
end;
$$;
comment on function parley_internal.has_role(uuid, text[]) is 'True when auth.uid() is a member of the conversation with one of the given roles.';
revoke execute on function parley_internal.has_role(uuid, text[]) from public, anon;
grant execute on function parley_internal.has_role(uuid, text[]) to authenticated, service_role;

-- Members see their conversations: one probe of conversation_members_pkey per row read.
create policy conversations_select_member on parley.conversations
  for select to authenticated
  using ((select true from parley.conversation_members m
           where m.conversation_id = conversations.id
             and m.user_id = (select auth.uid())));
comment on policy conversations_select_member on parley.conversations is 'Members read their conversations (one primary-key probe per row read).';

-- My own rows first (the inbox never needs the membership hash); then co-members of my conversations.
create policy conversation_members_select_member on parley.conversation_members
  for select to authenticated
  using (user_id = (select auth.uid()) or conversation_id in (select parley_internal.my_conversation_ids()));
comment on policy conversation_members_select_member on parley.conversation_members is 'Members read the member list of their conversations.';

-- A member edits only their own row, and column grants limit that to muted_until and hidden_at.
create policy conversation_members_update_own on parley.conversation_members
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
comment on policy conversation_members_update_own on parley.conversation_members is 'Members set their own muted_until and hidden_at.';

create or replace function parley_internal.get_or_create_direct_conversation(other_user_id uuid)
returns parley.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_key text;
  v_row parley.conversations;
begin
  if other_user_id is null or not parley_internal.ensure_profile(other_user_id) then
    raise exception 'user % not found', other_user_id
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  if other_user_id = v_user_id then
    raise exception 'a direct conversation needs another user (got your own id %)', other_user_id
      using errcode = '22023', hint = 'cannot_message_self';
  end if;
  -- Someone who blocked the caller is, to the caller, a missing user: even the existing conversation
  -- (safety.sql). The blocker still opens it (to read it back); starting one they must unblock first.
  if parley_internal.is_blocked(other_user_id, v_user_id) then
    raise exception 'user % not found', other_user_id
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  v_key := least(v_user_id, other_user_id)::text || ':' || greatest(v_user_id, other_user_id)::text;
  -- An existing conversation is returned to anyone in it; only starting one is closed to restricted
  -- anonymous users (someone else must message them first).
  select * into v_row from parley.conversations c where c.direct_key = v_key;
  if found then
    return v_row;
  end if;
  perform parley_internal.check_contact(v_user_id, other_user_id);
  perform parley_internal.refuse_anonymous('start a direct conversation');
  perform parley_internal.require_own_profile(v_user_id);
  insert into parley.conversations (kind, direct_key, created_by)
  values ('direct', v_key, v_user_id)
  on conflict (direct_key) do nothing
  returning * into v_row;
  if found then
    -- Only a conversation with someone new takes a token (the anti-spam limit); the raise undoes the insert.
    perform parley_internal.take_token(v_user_id, 'new_direct', 1);
    insert into parley.conversation_members (conversation_id, user_id, role)
    values (v_row.id, v_user_id, 'member'), (v_row.id, other_user_id, 'member');
    return v_row;
  end if;
  select * into v_row from parley.conversations c where c.direct_key = v_key;
  return v_row;
end;
$$;
comment on function parley_internal.get_or_create_direct_conversation(uuid) is 'Implementation of parley.get_or_create_direct_conversation (definer: creates the conversation and both memberships).';
revoke execute on function parley_internal.get_or_create_direct_conversation(uuid) from public, anon;
grant execute on function parley_internal.get_or_create_direct_conversation(uuid) to authenticated, service_role;

create or replace function parley.get_or_create_direct_conversation(other_user_id uuid)
returns parley.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversations;
begin
  select * into v_row from parley_internal.get_or_create_direct_conversation(get_or_create_direct_conversation.other_user_id);
  return v_row;
end;
$$;
comment on function parley.get_or_create_direct_conversation(uuid) is 'The direct conversation between you and another user; created (with both as members) on first use.';
revoke execute on function parley.get_or_create_direct_conversation(uuid) from public, anon;
grant execute on function parley.get_or_create_direct_conversation(uuid) to authenticated, service_role;

create or replace function parley_internal.check_cursor_seq(conversation_id uuid, seq bigint, last_seq bigint)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if check_cursor_seq.last_seq is null then
    raise exception 'conversation % not found', check_cursor_seq.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if check_cursor_seq.seq is not null and (check_cursor_seq.seq < 0 or check_cursor_seq.seq > check_cursor_seq.last_seq) then
    raise exception 'seq % is outside 0..% for conversation %', check_cursor_seq.seq, check_cursor_seq.last_seq, check_cursor_seq.conversation_id
      using errcode = '22023', hint = 'seq_out_of_range';
  end if;
end;
$$;
comment on function parley_internal.check_cursor_seq(uuid, bigint, bigint) is 'The refusals shared by mark_read and mark_delivered: last_seq null (the caller is not a member) is 404 conversation_not_found; a seq outside 0..last_seq is 22023 seq_out_of_range.';
revoke execute on function parley_internal.check_cursor_seq(uuid, bigint, bigint) from public, anon, authenticated;

create or replace function parley_internal.mark_read(conversation_id uuid, seq bigint)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_last bigint;
  v_cursor bigint;
begin
  select c.last_seq into v_last
    from parley.conversations c
    join parley.conversation_members m on m.conversation_id = c.id and m.user_id = v_user_id
   where c.id = mark_read.conversation_id;
  perform parley_internal.check_cursor_seq(mark_read.conversation_id, mark_read.seq, v_last);
  -- Mentions at or below the new cursor are read: the count keeps only those above it.
  update parley.conversation_members m
     set last_read_seq = greatest(m.last_read_seq, coalesce(mark_read.seq, v_last)),
         -- What a device read, it received.
         last_delivered_seq = greatest(m.last_delivered_seq, m.last_read_seq, coalesce(mark_read.seq, v_last)),
         mention_count = case when m.mention_count = 0 then 0 else
           (select count(*) from parley.message_mentions x
             where x.user_id = v_user_id and x.conversation_id = mark_read.conversation_id
               and x.seq > greatest(m.last_read_seq, coalesce(mark_read.seq, v_last))) end
   where m.conversation_id = mark_read.conversation_id and m.user_id = v_user_id
  returning m.last_read_seq into v_cursor;
  return v_cursor;
end;
$$;
comment on function parley_internal.mark_read(uuid, bigint) is 'Implementation of parley.mark_read (definer: last_read_seq is not client-writable).';
revoke execute on function parley_internal.mark_read(uuid, bigint) from public, anon;
grant execute on function parley_internal.mark_read(uuid, bigint) to authenticated, service_role;

-- Parley's API RPCs are thin invoker wrappers in plpgsql, which keeps their plans for the session: as
-- `language sql` with `search_path` set (never inlined) each call parsed and planned its one statement,
-- ≈ 35 µs a call, as much as the whole inbox page of a user with one conversation. A wrapper returning
-- a table row selects into a row variable and returns that, as the sql form did: an implementation
-- that returns no row then answers a row of nulls, not null.
create or replace function parley.mark_read(conversation_id uuid, seq bigint default null)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.mark_read(mark_read.conversation_id, mark_read.seq);
end;
$$;
comment on function parley.mark_read(uuid, bigint) is 'Mark a conversation read up to seq (default: its last message); it is delivered up to there too. Returns your read cursor; it never moves back.';
revoke execute on function parley.mark_read(uuid, bigint) from public, anon;
grant execute on function parley.mark_read(uuid, bigint) to authenticated, service_role;

-- The inbox page: conversations by latest activity, newest first, from the index second by second.
create or replace function parley_internal.list_conversations(
  max_count integer, before_activity_at timestamptz, before_id uuid, include_hidden boolean)
returns table (
  conversation_id uuid, kind text, title text, description text, avatar_url text, role text,
  joined_at timestamptz, last_seq bigint, last_read_seq bigint, unread_count bigint, mention_count integer,
  muted_until timestamptz, hidden_at timestamptz, last_activity_at timestamptz,
  last_message jsonb, other_user jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
begin
  perform parley_internal.check_page(list_conversations.max_count);
  if list_conversations.before_id is not null and list_conversations.before_activity_at is null then
    raise exception 'before_id needs before_activity_at (the cursor is the last row''s last_activity_at and conversation_id)'
      using errcode = '22023', hint = 'cursor_invalid';
  end if;
  return query
    select m.conversation_id, c.kind, c.title, c.description, c.avatar_url, m.role, m.joined_at,
           c.last_seq, m.last_read_seq, greatest(c.last_seq - m.last_read_seq, 0) as unread_count, m.mention_count,
           m.muted_until, m.hidden_at, m.last_activity_at,
           (select to_jsonb(x) from parley.messages x where x.conversation_id = c.id and x.seq = c.last_seq) as last_message,
           (select jsonb_build_object('id', p.id, 'username', p.username, 'display_name', p.display_name,
                                      'avatar_url', p.avatar_url, 'last_seen_at', p.last_seen_at,
                                      'blocked', parley_internal.is_blocked(v_user_id, p.id))
              from parley.conversation_members o join parley.profiles p on p.id = o.user_id
             where c.kind = 'direct' and o.conversation_id = c.id and o.user_id <> v_user_id
             limit 1) as other_user
      from parley.conversation_members m
      join parley.conversations c on c.id = m.conversation_id
     where m.user_id = v_user_id
       and (list_conversations.include_hidden or m.hidden_at is null)
       -- The cursor (last_activity_at, conversation_id), with the second in front: the second only
       -- grows with the instant, so this is the same condition, and the index can start at it.
       and (m.last_activity_second, m.last_activity_at, m.conversation_id)
           < (coalesce(date_bin('1 second', list_conversations.before_activity_at, timestamptz '2000-01-01 00:00:00+00'),
                       'infinity'::timestamptz),
              coalesce(list_conversations.before_activity_at, 'infinity'::timestamptz),
              coalesce(list_conversations.before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
     order by m.last_activity_second desc, m.last_activity_at desc, m.conversation_id desc
     limit list_conversations.max_count;
end;
$$;
comment on function parley_internal.list_conversations(integer, timestamptz, uuid, boolean) is 'Implementation of parley.list_conversations (definer: explicit user filter on one index instead of the RLS membership hash).';
revoke execute on function parley_internal.list_conversations(integer, timestamptz, uuid, boolean) from public, anon;
grant execute on function parley_internal.list_conversations(integer, timestamptz, uuid, boolean) to authenticated, service_role;

create or replace function parley.list_conversations(
  max_count integer default 50, before_activity_at timestamptz default null, before_id uuid default null,
  include_hidden boolean default false)
returns table (
  conversation_id uuid, kind text, title text, description text, avatar_url text, role text,
  joined_at timestamptz, last_seq bigint, last_read_seq bigint, unread_count bigint, mention_count integer,
  muted_until timestamptz, hidden_at timestamptz, last_activity_at timestamptz,
  last_message jsonb, other_user jsonb)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.list_conversations(list_conversations.max_count, list_conversations.before_activity_at,
                                             list_conversations.before_id, list_conversations.include_hidden);
end;
$$;
comment on function parley.list_conversations(integer, timestamptz, uuid, boolean) is 'Your inbox: conversations by latest activity with last message, unread count, unread mentions and (direct) the other person, with blocked = you blocked them. Page with the last row''s (last_activity_at, conversation_id).';
revoke execute on function parley.list_conversations(integer, timestamptz, uuid, boolean) from public, anon;
grant execute on function parley.list_conversations(integer, timestamptz, uuid, boolean) to authenticated, service_role;
