-- Purpose: the call API — start, accept, decline, leave, end, history, active call, the call-token
-- grant check — as thin public invoker wrappers over private definer functions.
-- Objects: private.start_call, private.accept_call, private.decline_call, private.leave_call,
--   private.end_call, private.call_rows, private.list_call_history, private.get_active_call,
--   private.get_call_grant and their public.* wrappers.
-- Security definer functions created here (listed in docs/calls.md § Definer audit): every private.*
--   above except private.call_rows. Each acts for auth.uid() only, and writes other users' rows only to
--   ring them, end the call for them or mark them busy/missed — what the state machine requires.
-- Errors: 22023 → 400, 42501 → 403, P0002 → 404, 23505 → 409, with a stable code in hint:
--   invalid_media, call_id_required, conversation_id_required, conversation_not_found, no_one_to_call,
--   call_not_found, not_a_participant, not_accepted, not_allowed_to_end, already_answered,
--   already_in_call, call_over, call_full, not_authenticated.
-- Starting a call where one is live never makes a second call: start_call joins the live one and
-- returns it (so two people calling each other at once end up in the same call).

create or replace function private.start_call(p_conversation_id uuid, p_media text)
returns public.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_conversation public.conversations;
  v_member_count integer;
  v_call public.calls;
  v_call_id uuid;
  v_live uuid[];
  v_row public.call_participants;
  v_attempt integer := 0;
begin
  if p_conversation_id is null then
    raise exception 'conversation_id is required' using errcode = '22023', hint = 'conversation_id_required';
  end if;
  if p_media is null or p_media not in ('audio', 'video') then
    raise exception 'media must be audio or video (got %)', coalesce(p_media, 'null') using errcode = '22023', hint = 'invalid_media';
  end if;
  select * into v_conversation from public.conversations c where c.id = p_conversation_id;
  if not found or not exists (select 1 from public.conversation_members m
                              where m.conversation_id = p_conversation_id and m.user_id = v_user_id) then
    raise exception 'conversation % not found', p_conversation_id using errcode = 'P0002', hint = 'conversation_not_found';
  end if;
  select count(*) into v_member_count from public.conversation_members m where m.conversation_id = p_conversation_id;
  if v_member_count < 2 then
    raise exception 'conversation % has nobody else to call', p_conversation_id using errcode = '22023', hint = 'no_one_to_call';
  end if;

  perform private.sweep_calls();

  loop
    v_attempt := v_attempt + 1;
    -- One live call per conversation: if there is one, join it instead of starting another.
    select * into v_call from public.calls c
    where c.conversation_id = p_conversation_id and c.status in ('ringing', 'active')
    for update;
    if found then
      perform private.join_participant(v_call, v_user_id, now());
      select * into v_call from public.calls c where c.id = v_call.id;
      return v_call;
    end if;
    v_call_id := gen_random_uuid();
    insert into public.calls (id, conversation_id, kind, media, initiated_by, room_name, max_participants)
    values (v_call_id, p_conversation_id, v_conversation.kind, p_media, v_user_id, 'parley-call-' || v_call_id,
            case v_conversation.kind when 'direct' then 2 else 50 end)
    on conflict (conversation_id) where status in ('ringing', 'active') do nothing
    returning * into v_call;
    exit when found;
    -- Another transaction started a call here first: loop to join it.
    if v_attempt >= 3 then
      raise exception 'could not start a call in conversation %: it keeps changing', p_conversation_id
        using errcode = '40001', hint = 'retry';
    end if;
  end loop;

  -- Ring every member, the caller joined. Rows go in user id order so concurrent start_calls lock
  -- users in the same order. A user live in another call hits the partial unique index: not inserted.
  with inserted as (
    insert into public.call_participants (call_id, user_id, state, invited_at, joined_at, state_changed_at)
    select v_call.id, m.user_id, case when m.user_id = v_user_id then 'joined' else 'ringing' end,
           now(), case when m.user_id = v_user_id then now() end, now()
    from public.conversation_members m
    where m.conversation_id = p_conversation_id
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
  insert into public.call_participants (call_id, user_id, state, invited_at, state_changed_at)
  select v_call.id, m.user_id, 'busy', now(), now()
  from public.conversation_members m
  where m.conversation_id = p_conversation_id and not (m.user_id = any (v_live));

  for v_row in select * from public.call_participants p where p.call_id = v_call.id order by p.user_id loop
    perform private.emit_call_event('user:' || v_row.user_id,
      case v_row.state when 'ringing' then 'call_incoming' else 'call_state' end,
      jsonb_build_object('call', private.call_json(v_call), 'participant', private.participant_json(v_row)));
  end loop;

  -- A direct callee who is busy ends the call as busy right away.
  return private.settle_call(v_call.id, now());
end;
$$;
comment on function private.start_call(uuid, text) is 'Implements public.start_call.';
revoke execute on function private.start_call(uuid, text) from public, anon;
grant execute on function private.start_call(uuid, text) to authenticated;

create or replace function public.start_call(conversation_id uuid, media text default 'audio')
returns public.calls
language sql
security invoker
set search_path = ''
as $$
  select * from private.start_call(start_call.conversation_id, start_call.media);
$$;
comment on function public.start_call(uuid, text) is
  'Starts an audio or video call in a conversation you belong to: rings every other member (direct: 2 max, group: 50 in the call). If the conversation already has a live call, joins and returns it. Busy callees are marked busy; a busy direct callee ends the call as busy.';
revoke execute on function public.start_call(uuid, text) from public, anon;
grant execute on function public.start_call(uuid, text) to authenticated;

create or replace function private.accept_call(p_call_id uuid)
returns public.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_call public.calls;
begin
  perform private.sweep_calls();
  v_call := private.lock_call(p_call_id, v_user_id);
  if not exists (select 1 from public.call_participants p where p.call_id = v_call.id and p.user_id = v_user_id)
     and (v_call.kind = 'direct' or not exists (select 1 from public.conversation_members m
                                                where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id)) then
    raise exception 'you are not a participant of call %', p_call_id using errcode = '42501', hint = 'not_a_participant';
  end if;
  perform private.join_participant(v_call, v_user_id, now());
  select * into v_call from public.calls c where c.id = p_call_id;
  return v_call;
end;
$$;
comment on function private.accept_call(uuid) is 'Implements public.accept_call.';
revoke execute on function private.accept_call(uuid) from public, anon;
grant execute on function private.accept_call(uuid) to authenticated;

create or replace function public.accept_call(call_id uuid)
returns public.calls
language sql
security invoker
set search_path = ''
as $$
  select * from private.accept_call(accept_call.call_id);
$$;
comment on function public.accept_call(uuid) is
  'Accepts a ringing call, joins a live group call of your conversation, or rejoins one you left. All your devices hear call_state. 409 call_over / call_full / already_in_call.';
revoke execute on function public.accept_call(uuid) from public, anon;
grant execute on function public.accept_call(uuid) to authenticated;

-- Shared by decline, leave and end: the caller's participant state, or 42501.
create or replace function private.my_participant_state(p_call_id uuid, p_user_id uuid)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_state text;
begin
  select p.state into v_state from public.call_participants p where p.call_id = p_call_id and p.user_id = p_user_id;
  if not found then
    raise exception 'you are not a participant of call %', p_call_id using errcode = '42501', hint = 'not_a_participant';
  end if;
  return v_state;
end;
$$;
comment on function private.my_participant_state(uuid, uuid) is 'The user''s state in a call, or 42501 not_a_participant.';
revoke execute on function private.my_participant_state(uuid, uuid) from public, anon, authenticated;

create or replace function private.decline_call(p_call_id uuid)
returns public.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_call public.calls;
  v_state text;
begin
  perform private.sweep_calls();
  v_call := private.lock_call(p_call_id, v_user_id);
  v_state := private.my_participant_state(v_call.id, v_user_id);
  if v_call.status not in ('ringing', 'active') or v_state <> 'ringing' then
    if v_state = 'joined' and v_call.status in ('ringing', 'active') then
      raise exception 'you already answered call %; use leave_call to hang up', p_call_id
        using errcode = '23505', hint = 'already_answered';
    end if;
    return v_call; -- already over, declined, missed or left: declining again changes nothing
  end if;
  perform private.set_participant_state(v_call.id, v_user_id, 'declined', now());
  return private.settle_call(v_call.id, now());
end;
$$;
comment on function private.decline_call(uuid) is 'Implements public.decline_call.';
revoke execute on function private.decline_call(uuid) from public, anon;
grant execute on function private.decline_call(uuid) to authenticated;

create or replace function public.decline_call(call_id uuid)
returns public.calls
language sql
security invoker
set search_path = ''
as $$
  select * from private.decline_call(decline_call.call_id);
$$;
comment on function public.decline_call(uuid) is
  'Declines a call that is ringing you (every device stops ringing). A direct call ends as declined; a group call ends declined when every callee declined. Idempotent; 409 already_answered once you joined.';
revoke execute on function public.decline_call(uuid) from public, anon;
grant execute on function public.decline_call(uuid) to authenticated;

create or replace function private.leave_call(p_call_id uuid)
returns public.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_call public.calls;
  v_state text;
begin
  perform private.sweep_calls();
  v_call := private.lock_call(p_call_id, v_user_id);
  v_state := private.my_participant_state(v_call.id, v_user_id);
  if v_call.status not in ('ringing', 'active') or v_state not in ('ringing', 'joined') then
    return v_call;
  end if;
  perform private.set_participant_state(v_call.id, v_user_id,
                                        case v_state when 'ringing' then 'declined' else 'left' end, now());
  return private.settle_call(v_call.id, now());
end;
$$;
comment on function private.leave_call(uuid) is 'Implements public.leave_call.';
revoke execute on function private.leave_call(uuid) from public, anon;
grant execute on function private.leave_call(uuid) to authenticated;

create or replace function public.leave_call(call_id uuid)
returns public.calls
language sql
security invoker
set search_path = ''
as $$
  select * from private.leave_call(leave_call.call_id);
$$;
comment on function public.leave_call(uuid) is
  'Hangs up for yourself (declines if it is still ringing you). A direct call ends; a group call ends when nobody is left; the caller leaving a ringing call cancels it. Idempotent.';
revoke execute on function public.leave_call(uuid) from public, anon;
grant execute on function public.leave_call(uuid) to authenticated;

create or replace function private.end_call(p_call_id uuid)
returns public.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_call public.calls;
  v_state text;
begin
  perform private.sweep_calls();
  v_call := private.lock_call(p_call_id, v_user_id);
  if v_call.status not in ('ringing', 'active') then
    return v_call;
  end if;
  select p.state into v_state from public.call_participants p where p.call_id = v_call.id and p.user_id = v_user_id;
  if v_state = 'ringing' then
    -- A callee "ending" a call that rings them declines it.
    perform private.set_participant_state(v_call.id, v_user_id, 'declined', now());
    return private.settle_call(v_call.id, now());
  end if;
  if not (v_call.kind = 'direct' and v_state is not null)
     and v_call.initiated_by is distinct from v_user_id
     and not exists (select 1 from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id
                       and m.role in ('owner', 'admin')) then
    raise exception 'only the caller or a group owner or admin can end call % for everyone; use leave_call', p_call_id
      using errcode = '42501', hint = 'not_allowed_to_end';
  end if;
  if v_call.status = 'ringing' then
    return private.finish_call(v_call.id, 'cancelled', 'cancelled', now());
  end if;
  return private.finish_call(v_call.id, 'ended', case v_call.kind when 'direct' then 'hung_up' else 'ended_for_all' end, now());
end;
$$;
comment on function private.end_call(uuid) is 'Implements public.end_call.';
revoke execute on function private.end_call(uuid) from public, anon;
grant execute on function private.end_call(uuid) to authenticated;

create or replace function public.end_call(call_id uuid)
returns public.calls
language sql
security invoker
set search_path = ''
as $$
  select * from private.end_call(end_call.call_id);
$$;
comment on function public.end_call(uuid) is
  'Ends a call for everyone: either side of a direct call, the caller, or a group owner/admin (403 not_allowed_to_end otherwise). A ringing call ends cancelled. Idempotent.';
revoke execute on function public.end_call(uuid) from public, anon;
grant execute on function public.end_call(uuid) to authenticated;

-- History rows for one user: the call, how it looked to them, its duration and everyone in it.
create or replace function private.call_rows(p_user_id uuid, p_live_only boolean, p_before timestamptz, p_limit integer)
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
          from public.call_participants p
          left join public.profiles pr on pr.id = p.user_id
          where p.call_id = c.id)
  from public.call_participants me
  join public.calls c on c.id = me.call_id
  where me.user_id = p_user_id
    and (not p_live_only or me.state in ('ringing', 'joined'))
    and (p_before is null or me.invited_at < p_before)
  order by me.invited_at desc, c.id desc
  limit p_limit;
$$;
comment on function private.call_rows(uuid, boolean, timestamptz, integer) is 'Call history rows of a user (newest first) with outcome, duration and participants.';
revoke execute on function private.call_rows(uuid, boolean, timestamptz, integer) from public, anon, authenticated;

create or replace function private.list_call_history(p_before timestamptz, p_limit integer)
returns setof record
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
begin
  if p_limit is null or p_limit < 1 or p_limit > 200 then
    raise exception 'limit must be between 1 and 200 (got %)', coalesce(p_limit::text, 'null')
      using errcode = '22023', hint = 'invalid_limit';
  end if;
  perform private.sweep_calls();
  return query select * from private.call_rows(v_user_id, false, p_before, p_limit);
end;
$$;
comment on function private.list_call_history(timestamptz, integer) is 'Implements public.list_call_history.';
revoke execute on function private.list_call_history(timestamptz, integer) from public, anon;
grant execute on function private.list_call_history(timestamptz, integer) to authenticated;

create or replace function public.list_call_history(before timestamptz default null, limit_count integer default 50)
returns table (
  id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
  my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
  ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb)
language sql
security invoker
set search_path = ''
as $$
  select * from private.list_call_history(list_call_history.before, list_call_history.limit_count) as r (
    id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
    my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
    ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb);
$$;
comment on function public.list_call_history(timestamptz, integer) is
  'My calls, newest first (next page: before = the last row''s created_at; 1-200 rows): kind, media, status, direction, outcome as I saw it (answered / missed / declined / cancelled / busy, or ringing / active), my state, duration in seconds, participants.';
revoke execute on function public.list_call_history(timestamptz, integer) from public, anon;
grant execute on function public.list_call_history(timestamptz, integer) to authenticated;

create or replace function private.get_active_call()
returns setof record
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
begin
  perform private.sweep_calls();
  return query select * from private.call_rows(v_user_id, true, null, 1);
end;
$$;
comment on function private.get_active_call() is 'Implements public.get_active_call.';
revoke execute on function private.get_active_call() from public, anon;
grant execute on function private.get_active_call() to authenticated;

create or replace function public.get_active_call()
returns table (
  id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
  my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
  ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb)
language sql
security invoker
set search_path = ''
as $$
  select * from private.get_active_call() as r (
    id uuid, conversation_id uuid, kind text, media text, status text, direction text, outcome text,
    my_state text, initiated_by uuid, room_name text, created_at timestamptz, answered_at timestamptz,
    ended_at timestamptz, end_reason text, duration_seconds integer, participants jsonb);
$$;
comment on function public.get_active_call() is
  'My live call (ringing me or joined), as one history row, or no row. There is never more than one.';
revoke execute on function public.get_active_call() from public, anon;
grant execute on function public.get_active_call() to authenticated;

-- What call-token needs to mint a LiveKit token, checked as the caller.
create or replace function private.get_call_grant(p_call_id uuid)
returns table (id uuid, room_name text, kind text, media text, max_participants integer,
               user_id uuid, display_name text, member_role text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_call public.calls;
  v_state text;
begin
  perform private.sweep_calls();
  if p_call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from public.calls c where c.id = p_call_id;
  if not found
     or not (exists (select 1 from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id)
             or exists (select 1 from public.call_participants p where p.call_id = p_call_id and p.user_id = v_user_id)) then
    raise exception 'call % not found', p_call_id using errcode = 'P0002', hint = 'call_not_found';
  end if;
  if v_call.status not in ('ringing', 'active') then
    raise exception 'call % is over (status %)', p_call_id, v_call.status using errcode = '23505', hint = 'call_over';
  end if;
  select p.state into v_state from public.call_participants p where p.call_id = p_call_id and p.user_id = v_user_id;
  if v_state is null then
    raise exception 'you are not a participant of call %; accept_call joins it', p_call_id
      using errcode = '42501', hint = 'not_a_participant';
  elsif v_state <> 'joined' then
    raise exception 'you have not accepted call % (your state is %); accept_call first', p_call_id, v_state
      using errcode = '42501', hint = 'not_accepted';
  end if;
  return query
    select v_call.id, v_call.room_name, v_call.kind, v_call.media, v_call.max_participants, v_user_id,
           (select pr.display_name from public.profiles pr where pr.id = v_user_id),
           coalesce((select m.role from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id), 'member');
end;
$$;
comment on function private.get_call_grant(uuid) is 'Implements public.get_call_grant.';
revoke execute on function private.get_call_grant(uuid) from public, anon;
grant execute on function private.get_call_grant(uuid) to authenticated;

create or replace function public.get_call_grant(call_id uuid)
returns table (id uuid, room_name text, kind text, media text, max_participants integer,
               user_id uuid, display_name text, member_role text)
language sql
security invoker
set search_path = ''
as $$
  select * from private.get_call_grant(get_call_grant.call_id);
$$;
comment on function public.get_call_grant(uuid) is
  'Used by the call-token function: the room, media, limits, display name and role for my LiveKit token. 404 call_not_found, 409 call_over, 403 not_a_participant / not_accepted.';
revoke execute on function public.get_call_grant(uuid) from public, anon;
grant execute on function public.get_call_grant(uuid) to authenticated;
