-- Purpose: conversations (direct or group) and their members, with the membership predicates every
-- other policy uses.
-- Objects: tables public.conversations, public.conversation_members; their indexes and policies;
--   functions private.my_conversation_ids, private.is_member, private.has_role.
-- Security definer functions created here (see docs/messaging.md § Definer audit):
--   private.my_conversation_ids() — policy helper; reads conversation_members without re-entering its RLS.
--   private.is_member(uuid)       — predicate for RPCs, storage and realtime policies; same reason.
--   private.has_role(uuid, text[]) — role predicate for RPCs; same reason.
--   They only ever answer for auth.uid(), so granting them to authenticated reveals nothing new.
-- Security: members read their conversations and co-members; all writes go through RPCs except a
-- member's own muted_until / hidden_at. anon has no grants.

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  direct_key text,
  title text,
  description text,
  avatar_url text,
  created_by uuid references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_seq bigint not null default 0,
  last_message_at timestamptz,
  constraint conversations_kind_check check (kind in ('direct', 'group')),
  constraint conversations_direct_key_check check ((kind = 'direct') = (direct_key is not null)),
  constraint conversations_title_check check (
    (kind = 'direct' and title is null) or (kind = 'group' and char_length(title) between 1 and 100)),
  constraint conversations_description_check check (char_length(description) <= 1000),
  constraint conversations_avatar_url_check check (char_length(avatar_url) <= 2048),
  constraint conversations_last_seq_check check (last_seq >= 0)
);
comment on table public.conversations is 'A direct (two people) or group conversation. Messages are numbered by seq within it.';
comment on column public.conversations.direct_key is 'For direct conversations: "<smaller user id>:<larger user id>", unique, so a pair has one conversation.';
comment on column public.conversations.last_seq is 'seq of the newest message (0 when empty). Unread = last_seq - member.last_read_seq.';
comment on column public.conversations.last_message_at is 'When the newest message was sent (null when empty).';

-- One direct conversation per pair of users, race-free (get_or_create relies on it).
create unique index conversations_direct_key_key on public.conversations (direct_key);
-- Foreign key lookups when a profile is deleted.
create index conversations_created_by_idx on public.conversations (created_by);

create table public.conversation_members (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role text not null default 'member',
  joined_at timestamptz not null default now(),
  last_read_seq bigint not null default 0,
  muted_until timestamptz,
  hidden_at timestamptz,
  last_activity_at timestamptz not null default now(),
  primary key (conversation_id, user_id),
  constraint conversation_members_role_check check (role in ('owner', 'admin', 'member')),
  constraint conversation_members_last_read_seq_check check (last_read_seq >= 0)
);
comment on table public.conversation_members is 'Who is in a conversation, their role, read cursor and inbox settings.';
comment on column public.conversation_members.last_read_seq is 'The member''s read cursor: the highest seq they have read (see mark_read).';
comment on column public.conversation_members.muted_until is 'Notifications muted until this time (null: not muted). Set by the member.';
comment on column public.conversation_members.hidden_at is 'Hidden from the member''s inbox since this time; a new message unhides it. Set by the member.';
comment on column public.conversation_members.last_activity_at is 'Inbox order key: when the conversation last had activity, copied to every member so the inbox reads one index.';

-- The inbox: my memberships newest activity first, read top-N from one index (flat in how many
-- conversations I have). Also serves every policy's "user_id = auth.uid()" lookups.
create index conversation_members_user_id_activity_idx
  on public.conversation_members (user_id, last_activity_at desc, conversation_id desc);
-- Ownership hand-over picks the longest-standing admin/member of one conversation.
create index conversation_members_conversation_id_joined_at_idx
  on public.conversation_members (conversation_id, joined_at);

alter table public.conversations enable row level security;
alter table public.conversation_members enable row level security;

-- The ids of the conversations the caller belongs to. Definer so that policies on
-- conversation_members can use it without recursing into their own RLS. plpgsql rather than sql:
-- its plan is cached per session (a definer sql function is re-planned on every call, ~4x slower).
create or replace function private.my_conversation_ids()
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
      from public.conversation_members m
     where m.user_id = (select auth.uid());
end;
$$;
comment on function private.my_conversation_ids() is 'Conversation ids of auth.uid(); used by RLS policies.';
revoke execute on function private.my_conversation_ids() from public, anon;
grant execute on function private.my_conversation_ids() to authenticated, service_role;

-- Is the caller a member of this conversation?
create or replace function private.is_member(conversation_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.conversation_members m
     where m.conversation_id = is_member.conversation_id and m.user_id = (select auth.uid()));
end;
$$;
comment on function private.is_member(uuid) is 'True when auth.uid() is a member of the conversation.';
revoke execute on function private.is_member(uuid) from public, anon;
grant execute on function private.is_member(uuid) to authenticated, service_role;

-- Does the caller hold one of these roles in this conversation?
create or replace function private.has_role(conversation_id uuid, roles text[])
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.conversation_members m
     where m.conversation_id = has_role.conversation_id and m.user_id = (select auth.uid())
       and m.role = any (has_role.roles));
end;
$$;
comment on function private.has_role(uuid, text[]) is 'True when auth.uid() is a member of the conversation with one of the given roles.';
revoke execute on function private.has_role(uuid, text[]) from public, anon;
grant execute on function private.has_role(uuid, text[]) to authenticated, service_role;

-- Members see their conversations (one hashed lookup of my memberships per query).
create policy conversations_select_member on public.conversations
  for select to authenticated
  using (id in (select private.my_conversation_ids()));
comment on policy conversations_select_member on public.conversations is 'Members read their conversations.';

-- My own rows first (the inbox never needs the membership hash); then co-members of my conversations.
create policy conversation_members_select_member on public.conversation_members
  for select to authenticated
  using (user_id = (select auth.uid()) or conversation_id in (select private.my_conversation_ids()));
comment on policy conversation_members_select_member on public.conversation_members is 'Members read the member list of their conversations.';

-- A member edits only their own row, and column grants limit that to muted_until and hidden_at.
create policy conversation_members_update_own on public.conversation_members
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
comment on policy conversation_members_update_own on public.conversation_members is 'Members set their own muted_until and hidden_at.';

revoke all on table public.conversations from public, anon, authenticated;
grant select on table public.conversations to authenticated;
grant all on table public.conversations to service_role;

revoke all on table public.conversation_members from public, anon, authenticated;
grant select on table public.conversation_members to authenticated;
grant update (muted_until, hidden_at) on table public.conversation_members to authenticated;
grant all on table public.conversation_members to service_role;
