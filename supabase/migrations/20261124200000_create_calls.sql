-- Purpose: calls and their participants — the state of every audio/video call, kept by Postgres.
-- Objects: tables public.calls, public.call_participants, private.livekit_events; their indexes, RLS
--   and policies; helpers private.my_call_ids(), private.can_join_call(uuid),
--   private.can_join_call_topic(text).
-- Security definer functions created here (listed in docs/calls.md § Definer audit):
--   private.my_call_ids()            — policy helper; reads call_participants without re-entering its RLS.
--   private.can_join_call(uuid)      — predicate for the realtime `call:<id>` topic policy; same reason.
--   private.can_join_call_topic(text)— the same from a topic string, false for anything malformed.
--   They only ever answer for auth.uid(), so granting them to authenticated reveals nothing new.
-- Security: members of a conversation read its calls; a participant reads the calls they were in and
-- everyone's participation in them. Nobody writes these tables directly: every change goes through the
-- call RPCs (next migration), which keep the invariants. anon has no grants.
-- Invariants held by indexes here: one live (ringing/active) call per conversation; one live
-- (ringing/joined) participation per user, so two calls can never ring or hold the same person.

create table public.calls (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  kind text not null,
  media text not null,
  status text not null default 'ringing',
  initiated_by uuid references public.profiles (id) on delete set null,
  room_name text not null,
  max_participants integer not null,
  created_at timestamptz not null default now(),
  answered_at timestamptz,
  ended_at timestamptz,
  end_reason text,
  updated_at timestamptz not null default now(),
  constraint calls_kind_check check (kind in ('direct', 'group')),
  constraint calls_media_check check (media in ('audio', 'video')),
  constraint calls_status_check check (status in ('ringing', 'active', 'ended', 'missed', 'declined', 'cancelled', 'busy')),
  constraint calls_max_participants_check check (
    (kind = 'direct' and max_participants = 2) or (kind = 'group' and max_participants between 2 and 50)),
  -- A call is live exactly while it has no end time; it was answered exactly when it is active or ended.
  constraint calls_ended_at_check check ((status in ('ringing', 'active')) = (ended_at is null)),
  constraint calls_answered_at_check check ((status in ('active', 'ended')) = (answered_at is not null)),
  constraint calls_end_reason_check check (
    (ended_at is null and end_reason is null) or
    (ended_at is not null and end_reason in ('hung_up', 'everyone_left', 'ended_for_all', 'no_answer',
                                             'declined', 'busy', 'cancelled', 'room_finished'))),
  constraint calls_room_name_key unique (room_name)
);
comment on table public.calls is 'One audio or video call in a conversation: ringing → active → ended, or missed / declined / cancelled / busy.';
comment on column public.calls.kind is 'direct or group, copied from the conversation when the call starts.';
comment on column public.calls.status is 'ringing (nobody answered yet), active (answered), or the final ended / missed / declined / cancelled / busy.';
comment on column public.calls.room_name is 'The LiveKit room of this call (call-token grants this room only).';
comment on column public.calls.max_participants is 'How many may be in the call at once: 2 for direct calls, 50 for groups.';
comment on column public.calls.answered_at is 'When the first callee accepted (null while ringing or when never answered).';
comment on column public.calls.end_reason is 'Why it ended: hung_up, everyone_left, ended_for_all, no_answer, declined, busy, cancelled, room_finished.';

-- The invariant "one live call per conversation"; start_call relies on it under concurrency.
create unique index calls_conversation_id_live_key on public.calls (conversation_id)
  where status in ('ringing', 'active');
-- A conversation's call list, newest first (the calls tab of a chat).
create index calls_conversation_id_created_at_idx on public.calls (conversation_id, created_at desc);
-- The ring-timeout sweep reads only ringing calls, oldest first.
create index calls_ringing_created_at_idx on public.calls (created_at) where status = 'ringing';
-- Foreign key lookups when a profile is deleted.
create index calls_initiated_by_idx on public.calls (initiated_by);

create table public.call_participants (
  call_id uuid not null references public.calls (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  state text not null,
  invited_at timestamptz not null default now(),
  joined_at timestamptz,
  left_at timestamptz,
  connected_at timestamptz,
  state_changed_at timestamptz not null default now(),
  primary key (call_id, user_id),
  constraint call_participants_state_check check (state in ('ringing', 'joined', 'left', 'declined', 'missed', 'busy'))
);
comment on table public.call_participants is 'Everyone a call rang or holds, with their state; one row per user, whatever their devices.';
comment on column public.call_participants.state is 'ringing, joined (accepted / in the call), left, declined, missed (never answered), busy (was in another call).';
comment on column public.call_participants.joined_at is 'When they first accepted or joined (null if they never did).';
comment on column public.call_participants.left_at is 'When they last left.';
comment on column public.call_participants.connected_at is 'When LiveKit last reported them in the room (webhook), null when not connected.';
comment on column public.call_participants.state_changed_at is 'Time of the last state change; LiveKit events older than this are stale and ignored.';

-- The invariant "one live call per user": a second call cannot ring or hold someone already ringing
-- or joined elsewhere. start_call inserts with on conflict on this index to detect busy atomically.
create unique index call_participants_user_id_live_key on public.call_participants (user_id)
  where state in ('ringing', 'joined');
-- My call history, newest first, and every "user_id = auth.uid()" policy lookup.
create index call_participants_user_id_invited_at_idx on public.call_participants (user_id, invited_at desc);
-- The ring-timeout sweep reads only ringing participants, oldest first.
create index call_participants_ringing_invited_at_idx on public.call_participants (invited_at) where state = 'ringing';

-- Every LiveKit webhook event Parley received, by LiveKit's event id, so a redelivery changes nothing.
create table private.livekit_events (
  event_id text primary key,
  event text not null,
  room_name text not null,
  participant_identity text,
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  call_id uuid references public.calls (id) on delete set null,
  result text not null default 'received',
  constraint livekit_events_event_id_check check (char_length(event_id) between 1 and 200),
  constraint livekit_events_result_check check (result in ('received', 'applied', 'ignored', 'stale'))
);
comment on table private.livekit_events is 'LiveKit webhook events already received (idempotency log) and what they did.';
-- Foreign key lookups when a call is deleted.
create index livekit_events_call_id_idx on private.livekit_events (call_id);

alter table public.calls enable row level security;
alter table public.call_participants enable row level security;
alter table private.livekit_events enable row level security;

-- The ids of the calls the caller was rung into or held. Definer so policies on call_participants
-- can use it without recursing into their own RLS.
create or replace function private.my_call_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
rows 100
as $$
  select p.call_id from public.call_participants p where p.user_id = (select auth.uid());
$$;
comment on function private.my_call_ids() is 'Call ids auth.uid() participates in (any state); used by RLS policies.';
revoke execute on function private.my_call_ids() from public, anon;
grant execute on function private.my_call_ids() to authenticated, service_role;

-- May the caller join the realtime topic call:<id>? Participants only (any state: a declined member of
-- a group call may still join later). H8's realtime.messages policies call this for `call:` topics.
create or replace function private.can_join_call(call_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.call_participants p
    where p.call_id = can_join_call.call_id and p.user_id = (select auth.uid()));
$$;
comment on function private.can_join_call(uuid) is 'True when auth.uid() is a participant of the call (realtime call:<id> topic).';
revoke execute on function private.can_join_call(uuid) from public, anon;
grant execute on function private.can_join_call(uuid) to authenticated, service_role;

-- The same from a topic string: 'call:<uuid>' → can_join_call(uuid); anything else is false, never an error.
create or replace function private.can_join_call_topic(topic text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if topic is null or topic !~* '^call:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  return private.can_join_call(substr(topic, 6)::uuid);
end;
$$;
comment on function private.can_join_call_topic(text) is 'True when topic is call:<id> and auth.uid() is a participant of that call.';
revoke execute on function private.can_join_call_topic(text) from public, anon;
grant execute on function private.can_join_call_topic(text) to authenticated, service_role;

-- Members see their conversations' calls; participants see the calls they were in even after leaving.
create policy calls_select_member_or_participant on public.calls
  for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()) or id in (select private.my_call_ids()));
comment on policy calls_select_member_or_participant on public.calls is 'Members read the calls of their conversations; participants read their calls.';

-- My own rows first; then everyone's rows in calls I was in or that belong to my conversations.
create policy call_participants_select_visible on public.call_participants
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or call_id in (select private.my_call_ids())
    or call_id in (select c.id from public.calls c where c.conversation_id in (select private.my_conversation_ids())));
comment on policy call_participants_select_visible on public.call_participants is 'Participants and conversation members read who is in a call.';

revoke all on table public.calls from public, anon, authenticated;
grant select on table public.calls to authenticated;
grant all on table public.calls to service_role;

revoke all on table public.call_participants from public, anon, authenticated;
grant select on table public.call_participants to authenticated;
grant all on table public.call_participants to service_role;

revoke all on table private.livekit_events from public, anon, authenticated;
grant select on table private.livekit_events to service_role;
