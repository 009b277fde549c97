-- Purpose: the call state machine — internal transitions, the lazy ring-timeout sweep, and the realtime
-- call events, all in private; the public RPCs are the next migration.
-- Objects: private.call_ring_timeout, private.call_json, private.participant_json, private.emit_call_event,
--   private.set_participant_state, private.finish_call, private.settle_call, private.sweep_calls,
--   private.lock_call, private.join_participant; optional pg_cron job parley_sweep_calls.
-- Security definer functions created here (listed in docs/calls.md § Definer audit):
--   private.sweep_calls() — turns expired ringing into missed for any call, from any caller's RPC or cron.
--   Everything else here is invoker and executable by nobody but its owner: it runs only inside the
--   definer RPCs, with their rights.
-- Events: realtime.send from these functions, in the caller's transaction (private topics):
--   user:<id>  call_incoming (you are ringing), call_state (your own state changed, for your other
--              devices), call_ended (the call is over, with your final state)
--   call:<id>  participant_joined / participant_left / participant_declined / participant_missed,
--              call_ended
--   Each payload is {"call": {...}, "participant": {...}} (participant absent on call:<id> call_ended).

-- How long a callee's phone rings before the call (or their invitation) counts as missed.
-- Change it with a migration that replaces this function.
create or replace function private.call_ring_timeout()
returns interval
language sql
immutable
security invoker
set search_path = ''
as $$
  select interval '45 seconds';
$$;
comment on function private.call_ring_timeout() is 'Ring timeout: an invitation not answered within this becomes missed (45 s).';
revoke execute on function private.call_ring_timeout() from public, anon;
grant execute on function private.call_ring_timeout() to authenticated, service_role;

-- The call as sent in events (the row's public columns).
create or replace function private.call_json(c public.calls)
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
comment on function private.call_json(public.calls) is 'A call as JSON for realtime payloads.';
revoke execute on function private.call_json(public.calls) from public, anon, authenticated;

-- A participant as sent in events.
create or replace function private.participant_json(p public.call_participants)
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
comment on function private.participant_json(public.call_participants) is 'A call participant as JSON for realtime payloads.';
revoke execute on function private.participant_json(public.call_participants) from public, anon, authenticated;

-- One private broadcast, in the current transaction (realtime.send never raises; it warns).
create or replace function private.emit_call_event(topic text, event text, payload jsonb)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform realtime.send(payload, event, topic, true);
end;
$$;
comment on function private.emit_call_event(text, text, jsonb) is 'Sends one private realtime broadcast for a call change.';
revoke execute on function private.emit_call_event(text, text, jsonb) from public, anon, authenticated;

-- Moves one participant to a state (inserting the row when a group member joins late) and tells
-- their devices (user:<id> call_state) and the call (call:<id> participant_<state>).
-- A user already live in another call makes the insert/update hit call_participants_user_id_live_key.
create or replace function private.set_participant_state(p_call_id uuid, p_user_id uuid, p_state text, p_at timestamptz)
returns public.call_participants
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call public.calls;
  v_row public.call_participants;
begin
  -- A late joiner's row is dated to the call (invited_at = created_at), so history pages by call time.
  insert into public.call_participants as p (call_id, user_id, state, invited_at, joined_at, left_at, state_changed_at)
  values (p_call_id, p_user_id, p_state, (select c.created_at from public.calls c where c.id = p_call_id),
          case when p_state = 'joined' then p_at end, case when p_state = 'left' then p_at end, p_at)
  on conflict (call_id, user_id) do update set
    state = excluded.state,
    state_changed_at = excluded.state_changed_at,
    joined_at = case when excluded.state = 'joined' then coalesce(p.joined_at, excluded.state_changed_at) else p.joined_at end,
    left_at = case when excluded.state = 'left' then excluded.state_changed_at else p.left_at end,
    connected_at = case when excluded.state = 'joined' then p.connected_at end
  returning * into v_row;
  select * into v_call from public.calls c where c.id = p_call_id;
  perform private.emit_call_event('user:' || p_user_id, 'call_state',
    jsonb_build_object('call', private.call_json(v_call), 'participant', private.participant_json(v_row)));
  perform private.emit_call_event('call:' || p_call_id, 'participant_' || p_state,
    jsonb_build_object('call', private.call_json(v_call), 'participant', private.participant_json(v_row)));
  return v_row;
end;
$$;
comment on function private.set_participant_state(uuid, uuid, text, timestamptz) is 'Sets a participant''s state and sends call_state / participant_<state> events.';
revoke execute on function private.set_participant_state(uuid, uuid, text, timestamptz) from public, anon, authenticated;

-- Ends a live call with a final status: joined participants have left, ringing ones missed it.
-- Everyone rung or in it hears call_ended on user:<id>; the call topic hears call_ended too.
create or replace function private.finish_call(p_call_id uuid, p_status text, p_reason text, p_at timestamptz)
returns public.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call public.calls;
  v_row public.call_participants;
  v_at timestamptz;
begin
  select * into v_call from public.calls c where c.id = p_call_id;
  if v_call.status not in ('ringing', 'active') then
    return v_call;
  end if;
  -- Never before the call started or was answered, never in the future (webhook clocks differ).
  v_at := least(now(), greatest(p_at, v_call.created_at, coalesce(v_call.answered_at, v_call.created_at)));
  update public.calls c
  set status = p_status, ended_at = v_at, end_reason = p_reason, updated_at = now(),
      answered_at = case when p_status = 'ended' then c.answered_at else null end
  where c.id = p_call_id
  returning * into v_call;
  update public.call_participants p
  set state = case p.state when 'joined' then 'left' else 'missed' end,
      left_at = case when p.state = 'joined' then v_at else p.left_at end,
      connected_at = null,
      state_changed_at = v_at
  where p.call_id = p_call_id and p.state in ('ringing', 'joined');
  for v_row in select * from public.call_participants p where p.call_id = p_call_id order by p.user_id loop
    perform private.emit_call_event('user:' || v_row.user_id, 'call_ended',
      jsonb_build_object('call', private.call_json(v_call), 'participant', private.participant_json(v_row)));
  end loop;
  perform private.emit_call_event('call:' || p_call_id, 'call_ended', jsonb_build_object('call', private.call_json(v_call)));
  return v_call;
end;
$$;
comment on function private.finish_call(uuid, text, text, timestamptz) is 'Ends a live call with a final status and reason; sends call_ended.';
revoke execute on function private.finish_call(uuid, text, text, timestamptz) from public, anon, authenticated;

-- After any participant change: does the call go on, and if not, how did it end?
--   ringing: nobody joined any more → cancelled; nobody still ringing → declined (all declined),
--            busy (all busy) or missed.
--   active:  nobody joined → ended (everyone_left); a direct call with fewer than two → ended (hung_up).
create or replace function private.settle_call(p_call_id uuid, p_at timestamptz)
returns public.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call public.calls;
  v_joined integer;
  v_ringing integer;
  v_invitees integer;
  v_declined integer;
  v_busy integer;
begin
  select * into v_call from public.calls c where c.id = p_call_id;
  if v_call.status not in ('ringing', 'active') then
    return v_call;
  end if;
  select count(*) filter (where p.state = 'joined'),
         count(*) filter (where p.state = 'ringing'),
         count(*) filter (where p.user_id is distinct from v_call.initiated_by),
         count(*) filter (where p.state = 'declined' and p.user_id is distinct from v_call.initiated_by),
         count(*) filter (where p.state = 'busy' and p.user_id is distinct from v_call.initiated_by)
  into v_joined, v_ringing, v_invitees, v_declined, v_busy
  from public.call_participants p
  where p.call_id = p_call_id;

  if v_call.status = 'ringing' then
    if v_joined = 0 then
      return private.finish_call(p_call_id, 'cancelled', 'cancelled', p_at);
    elsif v_ringing = 0 then
      if v_invitees > 0 and v_declined = v_invitees then
        return private.finish_call(p_call_id, 'declined', 'declined', p_at);
      elsif v_invitees > 0 and v_busy = v_invitees then
        return private.finish_call(p_call_id, 'busy', 'busy', p_at);
      end if;
      return private.finish_call(p_call_id, 'missed', 'no_answer', p_at);
    end if;
  elsif v_joined = 0 then
    return private.finish_call(p_call_id, 'ended', 'everyone_left', p_at);
  elsif v_call.kind = 'direct' and v_joined < 2 then
    return private.finish_call(p_call_id, 'ended', 'hung_up', p_at);
  end if;
  return v_call;
end;
$$;
comment on function private.settle_call(uuid, timestamptz) is 'Ends the call when its participants'' states say it is over.';
revoke execute on function private.settle_call(uuid, timestamptz) from public, anon, authenticated;

-- The ring timeout without a scheduler: every call RPC (and the webhook, and pg_cron when present)
-- first turns invitations older than the timeout into missed, at the moment they expired, and settles
-- those calls. Rows another transaction holds are skipped: that transaction is already changing them.
-- Definer: expiring someone else's call needs rights the caller does not have.
create or replace function private.sweep_calls()
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
    select c.id from public.calls c
    where c.status in ('ringing', 'active')
      and c.id in (select p.call_id from public.call_participants p
                   where p.state = 'ringing' and p.invited_at <= now() - private.call_ring_timeout())
    order by c.id
    for update of c skip locked
  loop
    v_last := null;
    for v_user_id, v_at in
      select p.user_id, p.invited_at + private.call_ring_timeout()
      from public.call_participants p
      where p.call_id = v_call_id and p.state = 'ringing' and p.invited_at <= now() - private.call_ring_timeout()
      order by p.user_id
    loop
      perform private.set_participant_state(v_call_id, v_user_id, 'missed', v_at);
      v_last := greatest(v_last, v_at);
    end loop;
    perform private.settle_call(v_call_id, coalesce(v_last, now()));
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;
comment on function private.sweep_calls() is 'Marks invitations past the ring timeout as missed and settles their calls; returns how many calls it touched.';
revoke execute on function private.sweep_calls() from public, anon;
grant execute on function private.sweep_calls() to authenticated, service_role;

-- Locks a call the caller may see (member of its conversation, or a participant), or raises 404.
-- Hidden and missing calls answer the same, so ids cannot be probed.
create or replace function private.lock_call(p_call_id uuid, p_user_id uuid)
returns public.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call public.calls;
begin
  if p_call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from public.calls c where c.id = p_call_id for update;
  if not found
     or not (exists (select 1 from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = p_user_id)
             or exists (select 1 from public.call_participants p
                        where p.call_id = p_call_id and p.user_id = p_user_id)) then
    raise exception 'call % not found', p_call_id using errcode = 'P0002', hint = 'call_not_found';
  end if;
  return v_call;
end;
$$;
comment on function private.lock_call(uuid, uuid) is 'Locks (for update) a call visible to the user, else 22023 / P0002 call_not_found.';
revoke execute on function private.lock_call(uuid, uuid) from public, anon, authenticated;

-- Puts a user into a live call (accepting, joining a group call late, or rejoining), answering it
-- when it was still ringing. Refuses over (23505 call_over), full (23505 call_full) and users live in
-- another call (23505 already_in_call).
create or replace function private.join_participant(p_call public.calls, p_user_id uuid, p_at timestamptz)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_state text;
begin
  if p_call.status not in ('ringing', 'active') then
    raise exception 'call % is over (status %)', p_call.id, p_call.status using errcode = '23505', hint = 'call_over';
  end if;
  select p.state into v_state from public.call_participants p
  where p.call_id = p_call.id and p.user_id = p_user_id for update;
  if v_state = 'joined' then
    return;
  end if;
  if (select count(*) from public.call_participants p where p.call_id = p_call.id and p.state = 'joined') >= p_call.max_participants then
    raise exception 'call % is full (% participants)', p_call.id, p_call.max_participants using errcode = '23505', hint = 'call_full';
  end if;
  if p_call.status = 'ringing' then
    update public.calls c set status = 'active', answered_at = p_at, updated_at = now() where c.id = p_call.id;
  end if;
  begin
    perform private.set_participant_state(p_call.id, p_user_id, 'joined', p_at);
  exception when unique_violation then
    raise exception 'user % is already in another call; leave it first', p_user_id
      using errcode = '23505', hint = 'already_in_call';
  end;
end;
$$;
comment on function private.join_participant(public.calls, uuid, timestamptz) is 'Joins a user to a live call (answering it if ringing), with call_over / call_full / already_in_call refusals.';
revoke execute on function private.join_participant(public.calls, uuid, timestamptz) from public, anon, authenticated;

-- Optional: where pg_cron is installed (Supabase: enable it, then re-run this block), sweep every
-- 15 seconds so missed calls are marked even when nobody calls an RPC. Without pg_cron the RPCs sweep.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cmd$select cron.schedule('parley_sweep_calls', '15 seconds', 'select private.sweep_calls()')$cmd$;
  end if;
exception when others then
  raise warning 'parley: pg_cron job parley_sweep_calls not scheduled: %', sqlerrm;
end;
$$;
