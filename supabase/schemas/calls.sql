-- Calls and their participants — the state of every audio/video call, kept by Postgres.
-- Security definer functions here (listed in docs/calls.md § Definer audit):
--   parley_internal.my_call_ids()            — policy helper; reads call_participants without re-entering its RLS.
--   parley_internal.can_join_call(uuid)      — predicate for the realtime `call:<id>` topic policy; same reason.
--   parley_internal.can_join_call_topic(text)— the same from a topic string, false for anything malformed.
--   They only ever answer for auth.uid(), so granting them to authenticated reveals nothing new.
-- Security: members of a conversation read its calls; a participant reads the calls they were in and
-- everyone's participation in them. Nobody writes these tables directly: every change goes through the
-- call RPCs, which keep the invariants. anon has no grants.
-- Invariants held by indexes here: one live (ringing/active) call per conversation; one live
-- (ringing/joined) participation per user, so two calls can never ring or hold the same person.
--
-- The call state machine — internal transitions, the lazy ring-timeout sweep, and the realtime
-- call events, all internal; the API RPCs follow.
-- Security definer functions here (listed in docs/calls.md § Definer audit):
--   parley_internal.sweep_calls() — turns expired ringing into missed for any call, from any caller's RPC or cron.
--   parley_internal.leave_live_call_on_member_removed() — trigger: a membership that ends leaves the live call.
--   Everything else here is invoker and executable by nobody but its owner: it runs only inside the
--   definer RPCs, with their rights.
-- Events: realtime.send from these functions, in the caller's transaction (private topics):
--   user:<id>  call_incoming (you are ringing, until ring_expires_at), call_state (your own state changed, for your other
--              devices), call_ended (the call is over, with your final state)
--   call:<id>  participant_joined / participant_left / participant_declined / participant_missed,
--              call_ended
--   Each payload is {"call": {...}, "participant": {...}} (participant absent on call:<id> call_ended).
--
-- The call API — start, accept, decline, leave, end, history, active call, the call-token
-- grant check — as thin parley invoker wrappers over parley_internal definer functions.
-- Security definer functions here (listed in docs/calls.md § Definer audit): every parley_internal.*
--   above except parley_internal.call_rows. Each acts for auth.uid() only, and writes other users' rows only to
--   ring them, end the call for them or mark them busy/missed — what the state machine requires.
-- Errors: 22023 → 400, 42501 → 403, PT404 → 404, 23505 → 409, with a stable code in hint:
--   invalid_media, call_id_required, conversation_id_required, conversation_not_found, no_one_to_call,
--   call_not_found, not_a_member, not_a_participant, not_accepted, not_allowed_to_end, already_answered,
--   already_in_call, call_over, call_full, not_authenticated; user_not_found / user_blocked for a direct call
--   across a block (safety.sql).
-- Membership: only current members of the conversation may be in its call. Leaving or being removed
-- from a group takes the user out of its live call (trigger conversation_members_leave_live_call), and
-- accept_call, the call-token grant, the call:<id> topic and LiveKit's participant_joined all refuse a
-- former member; get_call_evictions names who LiveKit should disconnect (the call-end function's
-- scope "removed" does it).
-- Starting a call where one is live never makes a second call: start_call joins the live one and
-- returns it (so two people calling each other at once end up in the same call).

create table parley.calls (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  kind text not null,
  media text not null,
  status text not null default 'ringing',
  initiated_by uuid references parley.profiles (id) on delete set null,
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
comment on table parley.calls is 'One audio or video call in a conversation: ringing → active → ended, or missed / declined / cancelled / busy.';
comment on column parley.calls.kind is 'direct or group, copied from the conversation when the call starts.';
comment on column parley.calls.status is 'ringing (nobody answered yet), active (answered), or the final ended / missed / declined / cancelled / busy.';
comment on column parley.calls.room_name is 'The LiveKit room of this call (call-token grants this room only).';
comment on column parley.calls.max_participants is 'How many may be in the call at once: 2 for direct calls, 50 for groups.';
comment on column parley.calls.answered_at is 'When the first callee accepted (null while ringing or when never answered).';
comment on column parley.calls.end_reason is 'Why it ended: hung_up, everyone_left, ended_for_all, no_answer, declined, busy, cancelled, room_finished.';
alter table parley.calls enable row level security;
revoke all on table parley.calls from public, anon, authenticated;
grant select on table parley.calls to authenticated;
grant all on table parley.calls to service_role;

-- The invariant "one live call per conversation"; start_call relies on it under concurrency.
create unique index calls_conversation_id_live_key on parley.calls (conversation_id)
  where status in ('ringing', 'active');

-- A conversation's call list, newest first (the calls tab of a chat).
create index calls_conversation_id_created_at_idx on parley.calls (conversation_id, created_at desc);

-- The ring-timeout sweep reads only ringing calls, oldest first.
create index calls_ringing_created_at_idx on parley.calls (created_at) where status = 'ringing';

-- Foreign key lookups when a profile is deleted.
create index calls_initiated_by_idx on parley.calls (initiated_by);

create table parley.call_participants (
  call_id uuid not null references parley.calls (id) on delete cascade,
  user_id uuid not null references parley.profiles (id) on delete cascade,
  state text not null,
  invited_at timestamptz not null default now(),
  joined_at timestamptz,
  left_at timestamptz,
  connected_at timestamptz,
  state_changed_at timestamptz not null default now(),
  primary key (call_id, user_id),
  constraint call_participants_state_check check (state in ('ringing', 'joined', 'left', 'declined', 'missed', 'busy'))
);
comment on table parley.call_participants is 'Everyone a call rang or holds, with their state; one row per user, whatever their devices.';
comment on column parley.call_participants.state is 'ringing, joined (accepted / in the call), left, declined, missed (never answered), busy (was in another call).';
comment on column parley.call_participants.joined_at is 'When they first accepted or joined (null if they never did).';
comment on column parley.call_participants.left_at is 'When they last left.';
comment on column parley.call_participants.connected_at is 'When LiveKit last reported them in the room (webhook), null when not connected.';
comment on column parley.call_participants.state_changed_at is 'Time of the last state change; LiveKit events older than this are stale and ignored.';
alter table parley.call_participants enable row level security;
revoke all on table parley.call_participants from public, anon, authenticated;
grant select on table parley.call_participants to authenticated;
grant all on table parley.call_participants to service_role;

-- The invariant "one live call per user": a second call cannot ring or hold someone already ringing
-- or joined elsewhere. start_call inserts with on conflict on this index to detect busy atomically.
create unique index call_participants_user_id_live_key on parley.call_participants (user_id)
  where state in ('ringing', 'joined');

-- My call history, newest first, and every "user_id = auth.uid()" policy lookup.
create index call_participants_user_id_invited_at_idx on parley.call_participants (user_id, invited_at desc);

-- The ring-timeout sweep reads only ringing participants, oldest first.
create index call_participants_ringing_invited_at_idx on parley.call_participants (invited_at) where state = 'ringing';

-- The ids of the calls the caller was rung into or held. Definer so policies on call_participants
-- can use it without recursing into their own RLS.
create or replace function parley_internal.my_call_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
rows 100
as $$
  select p.call_id from parley.call_participants p where p.user_id = (select auth.uid());
$$;
comment on function parley_internal.my_call_ids() is 'Call ids auth.uid() participates in (any state); used by RLS policies.';
revoke execute on function parley_internal.my_call_ids() from public, anon;
grant execute on function parley_internal.my_call_ids() to authenticated, service_role;

-- May the caller join the realtime topic call:<id>? Participants (any state: a declined member of
-- a group call may still join later) who are still members of the call's conversation: someone
-- removed from a group hears nothing more of its calls. The realtime.messages policies call this for
-- `call:` topics.
create or replace function parley_internal.can_join_call(call_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from parley.call_participants p
    join parley.calls c on c.id = p.call_id
    join parley.conversation_members m on m.conversation_id = c.conversation_id and m.user_id = p.user_id
    where p.call_id = can_join_call.call_id and p.user_id = (select auth.uid()));
$$;
comment on function parley_internal.can_join_call(uuid) is 'True when auth.uid() is a participant of the call and still a member of its conversation (realtime call:<id> topic).';
revoke execute on function parley_internal.can_join_call(uuid) from public, anon;
grant execute on function parley_internal.can_join_call(uuid) to authenticated, service_role;

-- The same from a topic string: 'call:<uuid>' → can_join_call(uuid); anything else is false, never an error.
create or replace function parley_internal.can_join_call_topic(topic text)
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
  return parley_internal.can_join_call(substr(topic, 6)::uuid);
end;
$$;
comment on function parley_internal.can_join_call_topic(text) is 'True when topic is call:<id> and auth.uid() is a participant of that call.';
revoke execute on function parley_internal.can_join_call_topic(text) from public, anon;
grant execute on function parley_internal.can_join_call_topic(text) to authenticated, service_role;

-- Members see their conversations' calls; participants see the calls they were in even after leaving.
create policy calls_select_member_or_participant on parley.calls
  for select to authenticated
  using (conversation_id in (select parley_internal.my_conversation_ids()) or id in (select parley_internal.my_call_ids()));
comment on policy calls_select_member_or_participant on parley.calls is 'Members read the calls of their conversations; participants read their calls.';

-- My own rows first; then everyone's rows in calls I was in or that belong to my conversations.
create policy call_participants_select_visible on parley.call_participants
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or call_id in (select parley_internal.my_call_ids())
    or call_id in (select c.id from parley.calls c where c.conversation_id in (select parley_internal.my_conversation_ids())));
comment on policy call_participants_select_visible on parley.call_participants is 'Participants and conversation members read who is in a call.';

-- How long a callee's phone rings before the call (or their invitation) counts as missed.
-- Change it here, then `npm run db:diff`.
create or replace function parley_internal.call_ring_timeout()
returns interval
language sql
immutable
security invoker
set search_path = ''
as $$
  select interval '45 seconds';
$$;
comment on function parley_internal.call_ring_timeout() is 'Ring timeout: an invitation not answered within this becomes missed (45 s).';
revoke execute on function parley_internal.call_ring_timeout() from public, anon;
grant execute on function parley_internal.call_ring_timeout() to authenticated, service_role;

-- The call as sent in events (the row's public columns).
create or replace function parley_internal.call_json(c parley.calls)
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'id', c.id, 'conversation_id', c.conversation_id, 'kind', c.kind, 'media', c.media,
    'status', c.status, 'initiated_by', c.initiated_by, 'room_name', c.room_name,
    'max_participants', c.max_participants, 'created_at', c.created_at, 'answered_at', c.answered_at,
    'ended_at', c.ended_at, 'end_reason', c.end_reason);
$$;
comment on function parley_internal.call_json(parley.calls) is 'A call as JSON for realtime payloads.';
revoke execute on function parley_internal.call_json(parley.calls) from public, anon, authenticated;

-- A participant as sent in events.
create or replace function parley_internal.participant_json(p parley.call_participants)
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'user_id', p.user_id, 'state', p.state, 'invited_at', p.invited_at, 'joined_at', p.joined_at,
    'left_at', p.left_at);
$$;
comment on function parley_internal.participant_json(parley.call_participants) is 'A call participant as JSON for realtime payloads.';
revoke execute on function parley_internal.participant_json(parley.call_participants) from public, anon, authenticated;

-- One private broadcast, in the current transaction (realtime.send never raises; it warns).
create or replace function parley_internal.emit_call_event(topic text, event text, payload jsonb)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform realtime.send(payload, event, topic, true);
end;
$$;
comment on function parley_internal.emit_call_event(text, text, jsonb) is 'Sends one private realtime broadcast for a call change.';
revoke execute on function parley_internal.emit_call_event(text, text, jsonb) from public, anon, authenticated;

-- Moves one participant to a state (inserting the row when a group member joins late) and tells
-- their devices (user:<id> call_state) and the call (call:<id> participant_<state>).
-- A user already live in another call makes the insert/update hit call_participants_user_id_live_key.
create or replace function parley_internal.set_participant_state(call_id uuid, user_id uuid, state text, at timestamptz)
returns parley.call_participants
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call parley.calls;
  v_row parley.call_participants;
begin
  -- A late joiner's row is dated to the call (invited_at = created_at), so history pages by call time.
  insert into parley.call_participants as p (call_id, user_id, state, invited_at, joined_at, left_at, state_changed_at)
  values (set_participant_state.call_id, set_participant_state.user_id, set_participant_state.state, (select c.created_at from parley.calls c where c.id = set_participant_state.call_id),
          case when set_participant_state.state = 'joined' then set_participant_state.at end, case when set_participant_state.state = 'left' then set_participant_state.at end, set_participant_state.at)
  on conflict on constraint call_participants_pkey do update set
    state = excluded.state,
    state_changed_at = excluded.state_changed_at,
    joined_at = case when excluded.state = 'joined' then coalesce(p.joined_at, excluded.state_changed_at) else p.joined_at end,
    left_at = case when excluded.state = 'left' then excluded.state_changed_at else p.left_at end,
    connected_at = case when excluded.state = 'joined' then p.connected_at end
  returning * into v_row;
  select * into v_call from parley.calls c where c.id = set_participant_state.call_id;
  perform parley_internal.emit_call_event('user:' || set_participant_state.user_id, 'call_state',
    jsonb_build_object('call', parley_internal.call_json(v_call), 'participant', parley_internal.participant_json(v_row)));
  perform parley_internal.emit_call_event('call:' || set_participant_state.call_id, 'participant_' || set_participant_state.state,
    jsonb_build_object('call', parley_internal.call_json(v_call), 'participant', parley_internal.participant_json(v_row)));
  return v_row;
end;
$$;
comment on function parley_internal.set_participant_state(uuid, uuid, text, timestamptz) is 'Sets a participant''s state and sends call_state / participant_<state> events.';
revoke execute on function parley_internal.set_participant_state(uuid, uuid, text, timestamptz) from public, anon, authenticated;

-- Ends a live call with a final status: joined participants have left, ringing ones missed it.
-- Everyone rung or in it hears call_ended on user:<id>; the call topic hears call_ended too.
create or replace function parley_internal.finish_call(call_id uuid, status text, reason text, at timestamptz)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call parley.calls;
  v_row parley.call_participants;
  v_at timestamptz;
begin
  select * into v_call from parley.calls c where c.id = finish_call.call_id;
  if v_call.status not in ('ringing', 'active') then
    return v_call;
  end if;
  -- Never before the call started or was answered, never in the future (webhook clocks differ).
  v_at := least(now(), greatest(finish_call.at, v_call.created_at, coalesce(v_call.answered_at, v_call.created_at)));
  update parley.calls c
  set status = finish_call.status, ended_at = v_at, end_reason = finish_call.reason, updated_at = now(),
      answered_at = case when finish_call.status = 'ended' then c.answered_at else null end
  where c.id = finish_call.call_id
  returning * into v_call;
  update parley.call_participants p
  set state = case p.state when 'joined' then 'left' else 'missed' end,
      left_at = case when p.state = 'joined' then v_at else p.left_at end,
      connected_at = null,
      state_changed_at = v_at
  where p.call_id = finish_call.call_id and p.state in ('ringing', 'joined');
  for v_row in select * from parley.call_participants p where p.call_id = finish_call.call_id order by p.user_id loop
    perform parley_internal.emit_call_event('user:' || v_row.user_id, 'call_ended',
      jsonb_build_object('call', parley_internal.call_json(v_call), 'participant', parley_internal.participant_json(v_row)));
  end loop;
  perform parley_internal.emit_call_event('call:' || finish_call.call_id, 'call_ended', jsonb_build_object('call', parley_internal.call_json(v_call)));
  return v_call;
end;
$$;
comment on function parley_internal.finish_call(uuid, text, text, timestamptz) is 'Ends a live call with a final status and reason; sends call_ended.';
revoke execute on function parley_internal.finish_call(uuid, text, text, timestamptz) from public, anon, authenticated;

-- After any participant change: does the call go on, and if not, how did it end?
--   ringing: nobody joined any more → cancelled; nobody still ringing → declined (all declined),
--            busy (all busy) or missed.
--   active:  nobody joined → ended (everyone_left); a direct call with fewer than two → ended (hung_up).
create or replace function parley_internal.settle_call(call_id uuid, at timestamptz)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call parley.calls;
  v_joined integer;
  v_ringing integer;
  v_invitees integer;
  v_declined integer;
  v_busy integer;
begin
  select * into v_call from parley.calls c where c.id = settle_call.call_id;
  if v_call.status not in ('ringing', 'active') then
    return v_call;
  end if;
  select count(*) filter (where p.state = 'joined'),
         count(*) filter (where p.state = 'ringing'),
         count(*) filter (where p.user_id is distinct from v_call.initiated_by),
         count(*) filter (where p.state = 'declined' and p.user_id is distinct from v_call.initiated_by),
         count(*) filter (where p.state = 'busy' and p.user_id is distinct from v_call.initiated_by)
  into v_joined, v_ringing, v_invitees, v_declined, v_busy
  from parley.call_participants p
  where p.call_id = settle_call.call_id;

  if v_call.status = 'ringing' then
    if v_joined = 0 then
      return parley_internal.finish_call(settle_call.call_id, 'cancelled', 'cancelled', settle_call.at);
    elsif v_ringing = 0 then
      if v_invitees > 0 and v_declined = v_invitees then
        return parley_internal.finish_call(settle_call.call_id, 'declined', 'declined', settle_call.at);
      elsif v_invitees > 0 and v_busy = v_invitees then
        return parley_internal.finish_call(settle_call.call_id, 'busy', 'busy', settle_call.at);
      end if;
      return parley_internal.finish_call(settle_call.call_id, 'missed', 'no_answer', settle_call.at);
    end if;
  elsif v_joined = 0 then
    return parley_internal.finish_call(settle_call.call_id, 'ended', 'everyone_left', settle_call.at);
  elsif v_call.kind = 'direct' and v_joined < 2 then
    return parley_internal.finish_call(settle_call.call_id, 'ended', 'hung_up', settle_call.at);
  end if;
  return v_call;
end;
$$;
comment on function parley_internal.settle_call(uuid, timestamptz) is 'Ends the call when its participants'' states say it is over.';
revoke execute on function parley_internal.settle_call(uuid, timestamptz) from public, anon, authenticated;

-- The ring timeout without a scheduler: every call RPC (and the webhook, and pg_cron when present)
-- first turns invitations older than the timeout into missed, at the moment they expired, and settles
-- those calls. Rows another transaction holds are skipped: that transaction is already changing them.
-- Definer: expiring someone else's call needs rights the caller does not have.
create or replace function parley_internal.sweep_calls()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_call_id uuid;
  v_user_id uuid;
  v_at timestamptz;
  v_last timestamptz;
  v_count integer := 0;
begin
  for v_call_id in
    select c.id from parley.calls c
    where c.status in ('ringing', 'active')
      and c.id in (select p.call_id from parley.call_participants p
                   where p.state = 'ringing' and p.invited_at <= now() - parley_internal.call_ring_timeout())
    order by c.id
    for update of c skip locked
  loop
    v_last := null;
    for v_user_id, v_at in
      select p.user_id, p.invited_at + parley_internal.call_ring_timeout()
      from parley.call_participants p
      where p.call_id = v_call_id and p.state = 'ringing' and p.invited_at <= now() - parley_internal.call_ring_timeout()
      order by p.user_id
    loop
      perform parley_internal.set_participant_state(v_call_id, v_user_id, 'missed', v_at);
      v_last := greatest(v_last, v_at);
    end loop;
    perform parley_internal.settle_call(v_call_id, coalesce(v_last, now()));
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;
comment on function parley_internal.sweep_calls() is 'Marks invitations past the ring timeout as missed and settles their calls; returns how many calls it touched.';
revoke execute on function parley_internal.sweep_calls() from public, anon;
grant execute on function parley_internal.sweep_calls() to authenticated, service_role;

create or replace function parley_internal.lock_call(call_id uuid, user_id uuid)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call parley.calls;
begin
  if lock_call.call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from parley.calls c where c.id = lock_call.call_id for update;
  if not found
     or not (exists (select 1 from parley.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = lock_call.user_id)
             or exists (select 1 from parley.call_participants p
                        where p.call_id = lock_call.call_id and p.user_id = lock_call.user_id)) then
    raise exception 'call % not found', lock_call.call_id using errcode = 'PT404', hint = 'call_not_found';
  end if;
  return v_call;
end;
$$;
comment on function parley_internal.lock_call(uuid, uuid) is 'Locks (for update) a call visible to the user, else 22023 call_id_required / PT404 call_not_found.';
revoke execute on function parley_internal.lock_call(uuid, uuid) from public, anon, authenticated;

-- Only a current member of the conversation may be in its call, however they got a participant row:
-- a member removed from a group keeps their history of its calls, never a way back into one.
create or replace function parley_internal.require_call_member(call_row parley.calls, user_id uuid)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if not exists (select 1 from parley.conversation_members m
                 where m.conversation_id = require_call_member.call_row.conversation_id
                   and m.user_id = require_call_member.user_id) then
    raise exception 'you are no longer a member of the conversation of call %', require_call_member.call_row.id
      using errcode = '42501', hint = 'not_a_member';
  end if;
end;
$$;
comment on function parley_internal.require_call_member(parley.calls, uuid) is 'Raises 42501 not_a_member unless the user is a current member of the call''s conversation.';
revoke execute on function parley_internal.require_call_member(parley.calls, uuid) from public, anon, authenticated;

-- Puts a user into a live call (accepting, joining a group call late, or rejoining), answering it
-- when it was still ringing. Refuses non-members (42501 not_a_member), over (23505 call_over), full
-- (23505 call_full) and users live in another call (23505 already_in_call).
create or replace function parley_internal.join_participant(call_row parley.calls, user_id uuid, at timestamptz)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_state text;
begin
  perform parley_internal.require_call_member(join_participant.call_row, join_participant.user_id);
  if join_participant.call_row.status not in ('ringing', 'active') then
    raise exception 'call % is over (status %)', join_participant.call_row.id, join_participant.call_row.status using errcode = '23505', hint = 'call_over';
  end if;
  select p.state into v_state from parley.call_participants p
  where p.call_id = join_participant.call_row.id and p.user_id = join_participant.user_id for update;
  if v_state = 'joined' then
    return;
  end if;
  if (select count(*) from parley.call_participants p where p.call_id = join_participant.call_row.id and p.state = 'joined') >= join_participant.call_row.max_participants then
    raise exception 'call % is full (% participants)', join_participant.call_row.id, join_participant.call_row.max_participants using errcode = '23505', hint = 'call_full';
  end if;
  if join_participant.call_row.status = 'ringing' then
    update parley.calls c set status = 'active', answered_at = join_participant.at, updated_at = now() where c.id = join_participant.call_row.id;
  end if;
  begin
    perform parley_internal.set_participant_state(join_participant.call_row.id, join_participant.user_id, 'joined', join_participant.at);
  exception when unique_violation then
    raise exception 'user % is already in another call; leave it first', join_participant.user_id
      using errcode = '23505', hint = 'already_in_call';
  end;
end;
$$;
comment on function parley_internal.join_participant(parley.calls, uuid, timestamptz) is 'Joins a user to a live call (answering it if ringing), with call_over / call_full / already_in_call refusals.';
revoke execute on function parley_internal.join_participant(parley.calls, uuid, timestamptz) from public, anon, authenticated;

create or replace function parley_internal.start_call(conversation_id uuid, media text)
returns parley.calls
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
-- The insert's arbiter names the column conversation_id, which is also a parameter: columns win where
-- a name is bare (every parameter use is qualified, start_call.<name>).
declare
  v_user_id uuid := parley_internal.require_user();
  v_conversation parley.conversations;
  v_member_count integer;
  v_call parley.calls;
  v_call_id uuid;
  v_live uuid[];
  v_row parley.call_participants;
  v_attempt integer := 0;
begin
  if start_call.conversation_id is null then
    raise exception 'conversation_id is required' using errcode = '22023', hint = 'conversation_id_required';
  end if;
  if start_call.media is null or start_call.media not in ('audio', 'video') then
    raise exception 'media must be audio or video (got %)', coalesce(start_call.media, 'null') using errcode = '22023', hint = 'invalid_media';
  end if;
  select * into v_conversation from parley.conversations c where c.id = start_call.conversation_id;
  if not found or not exists (select 1 from parley.conversation_members m
                              where m.conversation_id = start_call.conversation_id and m.user_id = v_user_id) then
    raise exception 'conversation % not found', start_call.conversation_id using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  -- A direct call across a block: the blocked caller hears what a missing user answers (safety.sql).
  if v_conversation.kind = 'direct' then
    perform parley_internal.check_contact(v_user_id, m.user_id)
       from parley.conversation_members m
      where m.conversation_id = start_call.conversation_id and m.user_id <> v_user_id;
  end if;
  select count(*) into v_member_count from parley.conversation_members m where m.conversation_id = start_call.conversation_id;
  if v_member_count < 2 then
    raise exception 'conversation % has nobody else to call', start_call.conversation_id using errcode = '22023', hint = 'no_one_to_call';
  end if;

  perform parley_internal.sweep_calls();

  loop
    v_attempt := v_attempt + 1;
    -- One live call per conversation: if there is one, join it instead of starting another.
    select * into v_call from parley.calls c
    where c.conversation_id = start_call.conversation_id and c.status in ('ringing', 'active')
    for update;
    if found then
      perform parley_internal.join_participant(v_call, v_user_id, now());
      select * into v_call from parley.calls c where c.id = v_call.id;
      return v_call;
    end if;
    v_call_id := gen_random_uuid();
    insert into parley.calls (id, conversation_id, kind, media, initiated_by, room_name, max_participants)
    values (v_call_id, start_call.conversation_id, v_conversation.kind, start_call.media, v_user_id, 'parley-call-' || v_call_id,
            case v_conversation.kind when 'direct' then 2 else 50 end)
    on conflict (conversation_id) where status in ('ringing', 'active') do nothing
    returning * into v_call;
    -- Only a new call takes a start_call token (joining the live one above is free); the raise undoes the insert.
    if found then
      perform parley_internal.take_token(v_user_id, 'start_call', 1);
      exit;
    end if;
    -- Another transaction started a call here first: loop to join it.
    if v_attempt >= 3 then
      raise exception 'could not start a call in conversation %: it keeps changing', start_call.conversation_id
        using errcode = '40001', hint = 'retry';
    end if;
  end loop;

  -- Ring every member, the caller joined. Rows go in user id order so concurrent start_calls lock
  -- users in the same order. A user live in another call hits the partial unique index: not inserted.
  with inserted as (
    insert into parley.call_participants (call_id, user_id, state, invited_at, joined_at, state_changed_at)
    select v_call.id, m.user_id, case when m.user_id = v_user_id then 'joined' else 'ringing' end,
           now(), case when m.user_id = v_user_id then now() end, now()
    from parley.conversation_members m
    where m.conversation_id = start_call.conversation_id
      -- In a group, members who blocked the caller are not rung (they may still join the call).
      and not parley_internal.is_blocked(m.user_id, v_user_id)
    order by m.user_id
    on conflict (user_id) where state in ('ringing', 'joined') do nothing
    returning user_id
  )
  select coalesce(array_agg(user_id), '{}') into v_live from inserted;

  if not (v_user_id = any (v_live)) then
    raise exception 'you are already in another call; leave it before starting one'
      using errcode = '23505', hint = 'already_in_call';
  end if;

  -- Everyone else is busy in another call: they are recorded as such (and told).
  insert into parley.call_participants (call_id, user_id, state, invited_at, state_changed_at)
  select v_call.id, m.user_id, 'busy', now(), now()
  from parley.conversation_members m
  where m.conversation_id = start_call.conversation_id and not (m.user_id = any (v_live))
    and not parley_internal.is_blocked(m.user_id, v_user_id);

  -- call_incoming carries the ring deadline, so a callee's device stops ringing on its own.
  for v_row in select * from parley.call_participants p where p.call_id = v_call.id order by p.user_id loop
    perform parley_internal.emit_call_event('user:' || v_row.user_id,
      case v_row.state when 'ringing' then 'call_incoming' else 'call_state' end,
      jsonb_build_object('call', parley_internal.call_json(v_call), 'participant', parley_internal.participant_json(v_row))
        || case when v_row.state = 'ringing'
                then jsonb_build_object('ring_expires_at', v_row.invited_at + parley_internal.call_ring_timeout()) else '{}'::jsonb end);
  end loop;

  -- A direct callee who is busy ends the call as busy right away.
  return parley_internal.settle_call(v_call.id, now());
end;
$$;
comment on function parley_internal.start_call(uuid, text) is 'Implements parley.start_call.';
revoke execute on function parley_internal.start_call(uuid, text) from public, anon;
grant execute on function parley_internal.start_call(uuid, text) to authenticated;

create or replace function parley.start_call(conversation_id uuid, media text default 'audio')
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.calls;
begin
  select * into v_row from parley_internal.start_call(start_call.conversation_id, start_call.media);
  return v_row;
end;
$$;
comment on function parley.start_call(uuid, text) is
  'Starts an audio or video call in a conversation you belong to: rings every other member (direct: 2 max, group: 50 in the call). If the conversation already has a live call, joins and returns it. Busy callees are marked busy; a busy direct callee ends the call as busy.';
revoke execute on function parley.start_call(uuid, text) from public, anon;
grant execute on function parley.start_call(uuid, text) to authenticated;

create or replace function parley_internal.accept_call(call_id uuid)
returns parley.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_call parley.calls;
begin
  perform parley_internal.sweep_calls();
  v_call := parley_internal.lock_call(accept_call.call_id, v_user_id);
  if not exists (select 1 from parley.call_participants p where p.call_id = v_call.id and p.user_id = v_user_id)
     and (v_call.kind = 'direct' or not exists (select 1 from parley.conversation_members m
                                                where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id)) then
    raise exception 'you are not a participant of call %', accept_call.call_id using errcode = '42501', hint = 'not_a_participant';
  end if;
  perform parley_internal.join_participant(v_call, v_user_id, now());
  select * into v_call from parley.calls c where c.id = accept_call.call_id;
  return v_call;
end;
$$;
comment on function parley_internal.accept_call(uuid) is 'Implements parley.accept_call.';
revoke execute on function parley_internal.accept_call(uuid) from public, anon;
grant execute on function parley_internal.accept_call(uuid) to authenticated;

create or replace function parley.accept_call(call_id uuid)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.calls;
begin
  select * into v_row from parley_internal.accept_call(accept_call.call_id);
  return v_row;
end;
$$;
comment on function parley.accept_call(uuid) is
  'Accepts a ringing call, joins a live group call of your conversation, or rejoins one you left. All your devices hear call_state. 403 not_a_member once removed from the conversation; 409 call_over / call_full / already_in_call.';
revoke execute on function parley.accept_call(uuid) from public, anon;
grant execute on function parley.accept_call(uuid) to authenticated;

-- Shared by decline, leave and end: the caller's participant state, or 42501.
create or replace function parley_internal.my_participant_state(call_id uuid, user_id uuid)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_state text;
begin
  select p.state into v_state from parley.call_participants p where p.call_id = my_participant_state.call_id and p.user_id = my_participant_state.user_id;
  if not found then
    raise exception 'you are not a participant of call %', my_participant_state.call_id using errcode = '42501', hint = 'not_a_participant';
  end if;
  return v_state;
end;
$$;
comment on function parley_internal.my_participant_state(uuid, uuid) is 'The user''s state in a call, or 42501 not_a_participant.';
revoke execute on function parley_internal.my_participant_state(uuid, uuid) from public, anon, authenticated;

create or replace function parley_internal.decline_call(call_id uuid)
returns parley.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_call parley.calls;
  v_state text;
begin
  perform parley_internal.sweep_calls();
  v_call := parley_internal.lock_call(decline_call.call_id, v_user_id);
  v_state := parley_internal.my_participant_state(v_call.id, v_user_id);
  if v_call.status not in ('ringing', 'active') or v_state <> 'ringing' then
    if v_state = 'joined' and v_call.status in ('ringing', 'active') then
      raise exception 'you already answered call %; use leave_call to hang up', decline_call.call_id
        using errcode = '23505', hint = 'already_answered';
    end if;
    return v_call; -- already over, declined, missed or left: declining again changes nothing
  end if;
  perform parley_internal.set_participant_state(v_call.id, v_user_id, 'declined', now());
  return parley_internal.settle_call(v_call.id, now());
end;
$$;
comment on function parley_internal.decline_call(uuid) is 'Implements parley.decline_call.';
revoke execute on function parley_internal.decline_call(uuid) from public, anon;
grant execute on function parley_internal.decline_call(uuid) to authenticated;

create or replace function parley.decline_call(call_id uuid)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.calls;
begin
  select * into v_row from parley_internal.decline_call(decline_call.call_id);
  return v_row;
end;
$$;
comment on function parley.decline_call(uuid) is
  'Declines a call that is ringing you (every device stops ringing). A direct call ends as declined; a group call ends declined when every callee declined. Idempotent; 409 already_answered once you joined.';
revoke execute on function parley.decline_call(uuid) from public, anon;
grant execute on function parley.decline_call(uuid) to authenticated;

create or replace function parley_internal.leave_call(call_id uuid)
returns parley.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_call parley.calls;
  v_state text;
begin
  perform parley_internal.sweep_calls();
  v_call := parley_internal.lock_call(leave_call.call_id, v_user_id);
  v_state := parley_internal.my_participant_state(v_call.id, v_user_id);
  if v_call.status not in ('ringing', 'active') or v_state not in ('ringing', 'joined') then
    return v_call;
  end if;
  perform parley_internal.set_participant_state(v_call.id, v_user_id,
                                        case v_state when 'ringing' then 'declined' else 'left' end, now());
  return parley_internal.settle_call(v_call.id, now());
end;
$$;
comment on function parley_internal.leave_call(uuid) is 'Implements parley.leave_call.';
revoke execute on function parley_internal.leave_call(uuid) from public, anon;
grant execute on function parley_internal.leave_call(uuid) to authenticated;

create or replace function parley.leave_call(call_id uuid)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.calls;
begin
  select * into v_row from parley_internal.leave_call(leave_call.call_id);
  return v_row;
end;
$$;
comment on function parley.leave_call(uuid) is
  'Hangs up for yourself (declines if it is still ringing you). A direct call ends; a group call ends when nobody is left; the caller leaving a ringing call cancels it. Idempotent.';
revoke execute on function parley.leave_call(uuid) from public, anon;
grant execute on function parley.leave_call(uuid) to authenticated;

create or replace function parley_internal.end_call(call_id uuid)
returns parley.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_call parley.calls;
  v_state text;
begin
  perform parley_internal.sweep_calls();
  v_call := parley_internal.lock_call(end_call.call_id, v_user_id);
  if v_call.status not in ('ringing', 'active') then
    return v_call;
  end if;
  select p.state into v_state from parley.call_participants p where p.call_id = v_call.id and p.user_id = v_user_id;
  if v_state = 'ringing' then
    -- A callee "ending" a call that rings them declines it.
    perform parley_internal.set_participant_state(v_call.id, v_user_id, 'declined', now());
    return parley_internal.settle_call(v_call.id, now());
  end if;
  if not (v_call.kind = 'direct' and v_state is not null)
     and v_call.initiated_by is distinct from v_user_id
     and not exists (select 1 from parley.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id
                       and m.role in ('owner', 'admin')) then
    raise exception 'only the caller or a group owner or admin can end call % for everyone; use leave_call', end_call.call_id
      using errcode = '42501', hint = 'not_allowed_to_end';
  end if;
  if v_call.status = 'ringing' then
    return parley_internal.finish_call(v_call.id, 'cancelled', 'cancelled', now());
  end if;
  return parley_internal.finish_call(v_call.id, 'ended', case v_call.kind when 'direct' then 'hung_up' else 'ended_for_all' end, now());
end;
$$;
comment on function parley_internal.end_call(uuid) is 'Implements parley.end_call.';
revoke execute on function parley_internal.end_call(uuid) from public, anon;
grant execute on function parley_internal.end_call(uuid) to authenticated;

create or replace function parley.end_call(call_id uuid)
returns parley.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.calls;
begin
  select * into v_row from parley_internal.end_call(end_call.call_id);
  return v_row;
end;
$$;
comment on function parley.end_call(uuid) is
  'Ends a call for everyone: either side of a direct call, the caller, or a group owner/admin (403 not_allowed_to_end otherwise). A ringing call ends cancelled. Idempotent.';
revoke execute on function parley.end_call(uuid) from public, anon;
grant execute on function parley.end_call(uuid) to authenticated;

-- History rows for one user: the call, how it looked to them, its duration and everyone in it.
create or replace function parley_internal.call_rows(user_id uuid, live_only boolean, before_created_at timestamptz, max_count integer)
returns table (
  id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
  my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
  ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select c.id, c.conversation_id, c.kind, c.media, c.status,
         case when c.initiated_by = me.user_id then 'outgoing' else 'incoming' end,
         case
           when c.status in ('ringing', 'active') then c.status
           when c.initiated_by = me.user_id then case when c.answered_at is not null then 'answered' else c.status end
           when me.joined_at is not null then 'answered'
           when me.state = 'declined' then 'declined'
           else 'missed'
         end,
         me.state, c.initiated_by, c.room_name, c.created_at, c.answered_at, c.ended_at, c.end_reason,
         case when c.answered_at is not null
              then floor(extract(epoch from coalesce(c.ended_at, now()) - c.answered_at))::integer end,
         (select coalesce(jsonb_agg(jsonb_build_object(
                    'user_id', p.user_id, 'display_name', pr.display_name, 'avatar_url', pr.avatar_url,
                    'state', p.state, 'joined_at', p.joined_at, 'left_at', p.left_at)
                  order by p.invited_at, p.user_id), '[]'::jsonb)
          from parley.call_participants p
          left join parley.profiles pr on pr.id = p.user_id
          where p.call_id = c.id)
  from parley.call_participants me
  join parley.calls c on c.id = me.call_id
  where me.user_id = call_rows.user_id
    and (not call_rows.live_only or me.state in ('ringing', 'joined'))
    and (call_rows.before_created_at is null or me.invited_at < call_rows.before_created_at)
  order by me.invited_at desc, c.id desc
  limit call_rows.max_count;
$$;
comment on function parley_internal.call_rows(uuid, boolean, timestamptz, integer) is 'Call history rows of a user (newest first) with outcome, duration and participants.';
revoke execute on function parley_internal.call_rows(uuid, boolean, timestamptz, integer) from public, anon, authenticated;

create or replace function parley_internal.list_call_history(max_count integer, before_created_at timestamptz)
returns setof record
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_page_max integer := (parley_internal.limits() ->> 'page_max')::int;
begin
  if list_call_history.max_count is null or list_call_history.max_count < 1 or list_call_history.max_count > v_page_max then
    raise exception 'max_count must be between 1 and % (got %)', v_page_max, coalesce(list_call_history.max_count::text, 'null')
      using errcode = '22023', hint = 'invalid_page_size';
  end if;
  perform parley_internal.sweep_calls();
  return query select * from parley_internal.call_rows(v_user_id, false, list_call_history.before_created_at, list_call_history.max_count);
end;
$$;
comment on function parley_internal.list_call_history(integer, timestamptz) is 'Implements parley.list_call_history.';
revoke execute on function parley_internal.list_call_history(integer, timestamptz) from public, anon;
grant execute on function parley_internal.list_call_history(integer, timestamptz) to authenticated;

create or replace function parley.list_call_history(max_count integer default 50, before_created_at timestamptz default null)
returns table (
  id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
  my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
  ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.list_call_history(list_call_history.max_count, list_call_history.before_created_at) as r (
      id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
      my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
      ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb);
end;
$$;
comment on function parley.list_call_history(integer, timestamptz) is
  'My calls, newest first, at most max_count (1-200, default 50; next page: before_created_at = the last row''s created_at): kind, media, status, direction, outcome as I saw it (answered / missed / declined / cancelled / busy, or ringing / active), my state, duration in seconds, participants.';
revoke execute on function parley.list_call_history(integer, timestamptz) from public, anon;
grant execute on function parley.list_call_history(integer, timestamptz) to authenticated;

create or replace function parley_internal.get_active_call()
returns setof record
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
begin
  perform parley_internal.sweep_calls();
  return query select * from parley_internal.call_rows(v_user_id, true, null, 1);
end;
$$;
comment on function parley_internal.get_active_call() is 'Implements parley.get_active_call.';
revoke execute on function parley_internal.get_active_call() from public, anon;
grant execute on function parley_internal.get_active_call() to authenticated;

create or replace function parley.get_active_call()
returns table (
  id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
  my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
  ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.get_active_call() as r (
      id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
      my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
      ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb);
end;
$$;
comment on function parley.get_active_call() is
  'My live call (ringing me or joined), as one history row, or no row. There is never more than one.';
revoke execute on function parley.get_active_call() from public, anon;
grant execute on function parley.get_active_call() to authenticated;

create or replace function parley_internal.get_call_grant(call_id uuid)
returns table (id uuid, room_name text, kind text, media text, max_participants integer,
               user_id uuid, display_name text, member_role text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_call parley.calls;
  v_state text;
begin
  perform parley_internal.sweep_calls();
  if get_call_grant.call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from parley.calls c where c.id = get_call_grant.call_id;
  if not found
     or not (exists (select 1 from parley.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id)
             or exists (select 1 from parley.call_participants p where p.call_id = get_call_grant.call_id and p.user_id = v_user_id)) then
    raise exception 'call % not found', get_call_grant.call_id using errcode = 'PT404', hint = 'call_not_found';
  end if;
  perform parley_internal.require_call_member(v_call, v_user_id);
  if v_call.status not in ('ringing', 'active') then
    raise exception 'call % is over (status %)', get_call_grant.call_id, v_call.status using errcode = '23505', hint = 'call_over';
  end if;
  select p.state into v_state from parley.call_participants p where p.call_id = get_call_grant.call_id and p.user_id = v_user_id;
  if v_state is null then
    raise exception 'you are not a participant of call %; accept_call joins it', get_call_grant.call_id
      using errcode = '42501', hint = 'not_a_participant';
  elsif v_state <> 'joined' then
    raise exception 'you have not accepted call % (your state is %); accept_call first', get_call_grant.call_id, v_state
      using errcode = '42501', hint = 'not_accepted';
  end if;
  -- Each call-token request takes a call_token token, once the caller may have one.
  perform parley_internal.take_token(v_user_id, 'call_token', 1);
  return query
    select v_call.id, v_call.room_name, v_call.kind, v_call.media, v_call.max_participants, v_user_id,
           (select pr.display_name from parley.profiles pr where pr.id = v_user_id),
           (select m.role from parley.conversation_members m
            where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id);
end;
$$;
comment on function parley_internal.get_call_grant(uuid) is 'Implements parley.get_call_grant.';
revoke execute on function parley_internal.get_call_grant(uuid) from public, anon;
grant execute on function parley_internal.get_call_grant(uuid) to authenticated;

create or replace function parley.get_call_grant(call_id uuid)
returns table (id uuid, room_name text, kind text, media text, max_participants integer,
               user_id uuid, display_name text, member_role text)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.get_call_grant(get_call_grant.call_id);
end;
$$;
comment on function parley.get_call_grant(uuid) is
  'Used by the call-token function: the room, media, limits, display name and role for my LiveKit token. 404 call_not_found, 409 call_over, 403 not_a_member / not_a_participant / not_accepted.';
revoke execute on function parley.get_call_grant(uuid) from public, anon;
grant execute on function parley.get_call_grant(uuid) to authenticated;

-- Leaving a group, or being removed from it, ends your part in its live call: you are marked left
-- (everyone hears participant_left, your devices call_state) and the call settles as if you had hung up.
-- Definer: it runs for whoever deleted the membership (an admin's RPC, the Auth server deleting an
-- account, the service role) and writes the call's rows, which no caller may write directly.
-- When the conversation itself is being deleted its calls go with it, and nothing is left to settle.
create or replace function parley_internal.leave_live_call_on_member_removed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_call parley.calls;
begin
  if not exists (select 1 from parley.conversations c where c.id = old.conversation_id) then
    return null;
  end if;
  select * into v_call from parley.calls c
  where c.conversation_id = old.conversation_id and c.status in ('ringing', 'active')
  for update;
  if not found or not exists (select 1 from parley.call_participants p
                              where p.call_id = v_call.id and p.user_id = old.user_id
                                and p.state in ('ringing', 'joined')) then
    return null;
  end if;
  perform parley_internal.set_participant_state(v_call.id, old.user_id, 'left', now());
  perform parley_internal.settle_call(v_call.id, now());
  return null;
end;
$$;
comment on function parley_internal.leave_live_call_on_member_removed() is 'Trigger: a membership that ends takes the user out of the conversation''s live call.';
revoke execute on function parley_internal.leave_live_call_on_member_removed() from public, anon, authenticated, service_role;

create trigger conversation_members_leave_live_call
  after delete on parley.conversation_members
  for each row execute function parley_internal.leave_live_call_on_member_removed();

-- Who LiveKit should disconnect from a live call's room: its participants who are no longer members of
-- the conversation. The database already took them out of the call; their LiveKit connection outlives
-- that until the room drops them, so the call-end function (scope "removed") asks LiveKit to. Any current
-- member may ask: the answer only ever names people who must not be in the room.
create or replace function parley_internal.get_call_evictions(call_id uuid)
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_call parley.calls;
begin
  if get_call_evictions.call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from parley.calls c where c.id = get_call_evictions.call_id;
  if not found or not exists (select 1 from parley.conversation_members m
                              where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id) then
    raise exception 'call % not found', get_call_evictions.call_id using errcode = 'PT404', hint = 'call_not_found';
  end if;
  if v_call.status not in ('ringing', 'active') then
    return; -- an ended call's room is closed for everyone
  end if;
  return query
    select p.user_id from parley.call_participants p
    where p.call_id = v_call.id
      and not exists (select 1 from parley.conversation_members m
                      where m.conversation_id = v_call.conversation_id and m.user_id = p.user_id)
    order by p.user_id;
end;
$$;
comment on function parley_internal.get_call_evictions(uuid) is 'Implements parley.get_call_evictions.';
revoke execute on function parley_internal.get_call_evictions(uuid) from public, anon;
grant execute on function parley_internal.get_call_evictions(uuid) to authenticated;

create or replace function parley.get_call_evictions(call_id uuid)
returns setof uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.get_call_evictions(get_call_evictions.call_id);
end;
$$;
comment on function parley.get_call_evictions(uuid) is
  'Used by the call-end function (scope "removed"): ids of a live call''s participants who are no longer members of its conversation, whom LiveKit should disconnect. Members only (404 call_not_found); empty once the call is over.';
revoke execute on function parley.get_call_evictions(uuid) from public, anon;
grant execute on function parley.get_call_evictions(uuid) to authenticated;

-- Supabase Cron sweeps ringing calls every 15 seconds, so a call nobody answers is marked missed on
-- time for plain table reads and realtime subscribers, not only through the call RPCs. pg_cron is on
-- every Supabase project (pg_catalog, as Supabase's docs enable it) and in the local stack; the job
-- is declared here because `db diff` compares jobs too. Deployed by migration
-- 20261203081600_schedule_call_sweep.sql, which also copes with a server that has no pg_cron.
create extension if not exists pg_cron with schema pg_catalog;
select cron.schedule('parley_sweep_calls', '15 seconds', 'select parley_internal.sweep_calls()');
