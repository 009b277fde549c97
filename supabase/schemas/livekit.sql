-- Apply LiveKit webhook events (room_started, room_finished, participant_joined,
-- participant_left) to calls, exactly once per event id, tolerating late, duplicate, out-of-order and
-- missing events.
-- Security definer functions here (listed in docs/calls.md § Definer audit):
--   parley_internal.apply_livekit_event — writes any call's rows on LiveKit's word; executable by service_role only.
-- Security: only service_role may execute either function (and parley.service_role_apply_livekit_event) (the livekit-webhook function calls it
-- after verifying LiveKit's signature). anon and authenticated cannot.
-- Rules:
--   * each event id is recorded once in parley_internal.livekit_events; a redelivery answers 'duplicate' and
--     changes nothing;
--   * an unknown room, an unknown identity or an event Parley does not track answers 'ignored';
--   * LiveKit's createdAt has whole seconds, so an event is stale (answered 'stale', nothing changed)
--     when createdAt + 1 s is not after the participant's last state change: a leave that arrives after
--     a later rejoin, a join that arrives after the user hung up;
--   * events for a call that is already over change nothing ('stale');
--   * the answer says close_room = true when the call is over but LiveKit still has the room, so the
--     function asks LiveKit to delete it;
--   * a participant who joins the room but is no longer a member of the call's conversation (removed
--     from the group, reconnecting with a token minted before) changes nothing ('ignored') and the
--     answer says remove_participant = true, so the function disconnects them.

-- Every LiveKit webhook event Parley received, by LiveKit's event id, so a redelivery changes nothing.
create table parley_internal.livekit_events (
  event_id text primary key,
  event text not null,
  room_name text not null,
  participant_identity text,
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  call_id uuid references parley.calls (id) on delete set null,
  result text not null default 'received',
  constraint livekit_events_event_id_check check (char_length(event_id) between 1 and 200),
  constraint livekit_events_result_check check (result in ('received', 'applied', 'ignored', 'stale'))
);
comment on table parley_internal.livekit_events is 'LiveKit webhook events already received (idempotency log) and what they did.';
alter table parley_internal.livekit_events enable row level security;
revoke all on table parley_internal.livekit_events from public, anon, authenticated;
grant select on table parley_internal.livekit_events to service_role;

-- Foreign key lookups when a call is deleted.
create index livekit_events_call_id_idx on parley_internal.livekit_events (call_id);

create or replace function parley_internal.apply_livekit_event(event_id text, event text, room_name text,
                                                       identity text, occurred_at timestamptz)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_at timestamptz := least(coalesce(apply_livekit_event.occurred_at, now()), now());
  v_call parley.calls;
  v_user_id uuid;
  v_part parley.call_participants;
  v_result text := 'applied';
  v_evict boolean := false;
begin
  if apply_livekit_event.event_id is null or apply_livekit_event.event_id = '' or char_length(apply_livekit_event.event_id) > 200 then
    raise exception 'event_id must be 1-200 characters (got %)', coalesce(apply_livekit_event.event_id, 'null')
      using errcode = '22023', hint = 'invalid_event_id';
  end if;
  insert into parley_internal.livekit_events (event_id, event, room_name, participant_identity, occurred_at)
  values (apply_livekit_event.event_id, coalesce(apply_livekit_event.event, ''), coalesce(apply_livekit_event.room_name, ''), apply_livekit_event.identity, v_at)
  on conflict on constraint livekit_events_pkey do nothing;
  if not found then
    return jsonb_build_object('result', 'duplicate', 'close_room', false);
  end if;

  perform parley_internal.sweep_calls();
  select * into v_call from parley.calls c where c.room_name = apply_livekit_event.room_name for update;
  if not found or apply_livekit_event.event not in ('room_started', 'room_finished', 'participant_joined', 'participant_left') then
    update parley_internal.livekit_events e set result = 'ignored' where e.event_id = apply_livekit_event.event_id;
    return jsonb_build_object('result', 'ignored', 'close_room', false);
  end if;

  if apply_livekit_event.event in ('participant_joined', 'participant_left') then
    begin
      v_user_id := apply_livekit_event.identity::uuid;
    exception when invalid_text_representation then
      v_user_id := null;
    end;
    select * into v_part from parley.call_participants p
    where p.call_id = v_call.id and p.user_id = v_user_id for update;
    if v_user_id is null or not found then
      v_result := 'ignored';
    elsif apply_livekit_event.event = 'participant_joined'
          and not exists (select 1 from parley.conversation_members m
                          where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id) then
      v_result := 'ignored';
      v_evict := v_call.status in ('ringing', 'active');
    end if;
  end if;

  if v_result = 'applied' and v_call.status not in ('ringing', 'active') then
    v_result := 'stale';
  elsif v_result = 'applied' then
    case apply_livekit_event.event
      when 'room_started' then
        null; -- the room exists because a participant joined; their own event says who
      when 'room_finished' then
        -- A room that finished before someone (re)joined is reborn when they connect: keep the call.
        if exists (select 1 from parley.call_participants p
                   where p.call_id = v_call.id and p.state = 'joined'
                     and v_at + interval '1 second' <= p.state_changed_at) then
          v_result := 'stale';
        else
          perform parley_internal.finish_call(v_call.id, case v_call.status when 'active' then 'ended' else 'cancelled' end,
                                      'room_finished', v_at);
        end if;
      when 'participant_joined' then
        if v_at + interval '1 second' <= v_part.state_changed_at then
          v_result := 'stale';
        elsif v_part.state = 'joined' then
          update parley.call_participants p set connected_at = greatest(p.connected_at, v_at)
          where p.call_id = v_call.id and p.user_id = v_user_id;
        else
          -- LiveKit says they are in the room: that is an answer, whatever the app did not send.
          begin
            perform parley_internal.join_participant(v_call, v_user_id, v_at);
            update parley.call_participants p set connected_at = v_at
            where p.call_id = v_call.id and p.user_id = v_user_id;
          exception when unique_violation then
            v_result := 'ignored'; -- full, or live in another call: the database's view stands
          end;
        end if;
      when 'participant_left' then
        if v_part.state <> 'joined'
           or v_at + interval '1 second' <= greatest(v_part.state_changed_at, v_part.connected_at) then
          v_result := 'stale';
        else
          perform parley_internal.set_participant_state(v_call.id, v_user_id, 'left', v_at);
          perform parley_internal.settle_call(v_call.id, v_at);
        end if;
    end case;
  end if;

  select * into v_call from parley.calls c where c.id = v_call.id;
  update parley_internal.livekit_events e set result = v_result, call_id = v_call.id where e.event_id = apply_livekit_event.event_id;
  return jsonb_build_object(
    'result', v_result,
    'call_id', v_call.id,
    'call_status', v_call.status,
    'close_room', v_call.status not in ('ringing', 'active') and apply_livekit_event.event <> 'room_finished',
    'remove_participant', v_evict);
end;
$$;
comment on function parley_internal.apply_livekit_event(text, text, text, text, timestamptz) is 'Implements parley.service_role_apply_livekit_event.';
revoke execute on function parley_internal.apply_livekit_event(text, text, text, text, timestamptz) from public, anon, authenticated;
grant execute on function parley_internal.apply_livekit_event(text, text, text, text, timestamptz) to service_role;

create or replace function parley.service_role_apply_livekit_event(
  event_id text, event text, room_name text, participant_identity text default null,
  occurred_at timestamptz default now())
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.apply_livekit_event(
      service_role_apply_livekit_event.event_id, service_role_apply_livekit_event.event,
      service_role_apply_livekit_event.room_name, service_role_apply_livekit_event.participant_identity,
      service_role_apply_livekit_event.occurred_at);
end;
$$;
comment on function parley.service_role_apply_livekit_event(text, text, text, text, timestamptz) is
  'Service role only (livekit-webhook): records a verified LiveKit event once and applies it. Answers {result: applied|duplicate|ignored|stale, call_id, call_status, close_room, remove_participant}.';
revoke execute on function parley.service_role_apply_livekit_event(text, text, text, text, timestamptz) from public, anon, authenticated;
grant execute on function parley.service_role_apply_livekit_event(text, text, text, text, timestamptz) to service_role;
