-- LiveKit webhook events in Postgres: recorded once, unknown rooms ignored, late / duplicate / out-of-order tolerated.
-- IDs: CALL-LK-xx (docs/calls.md § Tests).
begin;
select plan(26);

-- events(topic, event): how many realtime broadcasts with that topic and event this test sent.
create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;
-- lk(...): applies one event as the service role and answers the result field.
create function pg_temp.lk(p_id text, p_event text, p_room text, p_identity text, p_at timestamptz) returns jsonb language plpgsql as $f$
declare v jsonb;
begin
  perform tests.authenticate_as_service_role();
  v := parley.service_role_apply_livekit_event(p_id, p_event, p_room, p_identity, p_at);
  perform tests.clear_authentication();
  return v;
end $f$;

-- Cast (prefix c4): alice 01, bob 02, carol 03.
select tests.create_user('c4000000-0000-0000-0000-000000000001', 'c4_alice');
select tests.create_user('c4000000-0000-0000-0000-000000000002', 'c4_bob');
select tests.create_user('c4000000-0000-0000-0000-000000000003', 'c4_carol');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('c4c00000-0000-0000-0000-000000000001', 'direct', 'c4:ab', 'c4000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, title, created_by) values
  ('c4c00000-0000-0000-0000-000000000002', 'group', 'C4 group', 'c4000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('c4c00000-0000-0000-0000-000000000001', 'c4000000-0000-0000-0000-000000000001', 'member'),
  ('c4c00000-0000-0000-0000-000000000001', 'c4000000-0000-0000-0000-000000000002', 'member'),
  ('c4c00000-0000-0000-0000-000000000002', 'c4000000-0000-0000-0000-000000000001', 'owner'),
  ('c4c00000-0000-0000-0000-000000000002', 'c4000000-0000-0000-0000-000000000002', 'member'),
  ('c4c00000-0000-0000-0000-000000000002', 'c4000000-0000-0000-0000-000000000003', 'member');
create temp table ids (name text primary key, id uuid, room text);
grant all on ids to authenticated, service_role;

select tests.authenticate_as('c4000000-0000-0000-0000-000000000001');
insert into ids select 'd', id, room_name from parley.start_call('c4c00000-0000-0000-0000-000000000001', 'video');
select is(tests.error_of($$select parley.service_role_apply_livekit_event('EV_c4_x', 'room_finished', (select room from ids where name = 'd'))$$), '42501 -',
  'CALL-LK-01 a signed-in user cannot apply LiveKit events');
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.service_role_apply_livekit_event('EV_c4_x', 'room_finished', 'r')$$), '42501 -',
  'CALL-LK-02 anon cannot either');
select tests.clear_authentication();

select is(pg_temp.lk('EV_c4_01', 'room_started', 'no-such-room', null, now()) ->> 'result', 'ignored',
  'CALL-LK-03 an event for an unknown room is ignored');
select is((select result from parley_internal.livekit_events where event_id = 'EV_c4_01'), 'ignored', 'CALL-LK-04 and recorded as ignored');
select is(pg_temp.lk('EV_c4_02', 'participant_joined', (select room from ids where name = 'd'), 'c4000000-0000-0000-0000-000000000001', now()) ->> 'result',
  'applied', 'CALL-LK-05 the caller connecting is applied');
select ok((select connected_at is not null from parley.call_participants where call_id = (select id from ids where name = 'd') and user_id = 'c4000000-0000-0000-0000-000000000001'),
  'CALL-LK-06 and marks them connected');
create temp table snapshot as select * from parley.call_participants where call_id = (select id from ids where name = 'd');
select is(pg_temp.lk('EV_c4_02', 'participant_left', (select room from ids where name = 'd'), 'c4000000-0000-0000-0000-000000000001', now()) ->> 'result',
  'duplicate', 'CALL-LK-07 a redelivered event id is a duplicate');
select is((select count(*) from (select * from parley.call_participants where call_id = (select id from ids where name = 'd') except select * from snapshot) x), 0::bigint,
  'CALL-LK-08 and changes nothing');
select is(pg_temp.lk('EV_c4_03', 'participant_joined', (select room from ids where name = 'd'), 'c4000000-0000-0000-0000-000000000002', now()) ->> 'result',
  'applied', 'CALL-LK-09 the callee turning up in the room counts as answering');
select is((select status from parley.calls where id = (select id from ids where name = 'd')), 'active', 'CALL-LK-10 the call is active');
select is(pg_temp.lk('EV_c4_04', 'participant_left', (select room from ids where name = 'd'), 'c4000000-0000-0000-0000-000000000002', now() - interval '10 minutes') ->> 'result',
  'stale', 'CALL-LK-11 a leave older than the participant''s last change is stale');
select is((select state from parley.call_participants where call_id = (select id from ids where name = 'd') and user_id = 'c4000000-0000-0000-0000-000000000002'),
  'joined', 'CALL-LK-12 and leaves them joined');
select is(pg_temp.lk('EV_c4_05', 'participant_left', (select room from ids where name = 'd'), 'c4000000-0000-0000-0000-000000000002', now()),
  jsonb_build_object('result', 'applied', 'call_id', (select id from ids where name = 'd'), 'call_status', 'ended', 'close_room', true,
                     'remove_participant', false),
  'CALL-LK-13 a current leave ends the direct call and asks to close the room (the other side is still in it)');
select is(pg_temp.lk('EV_c4_06', 'participant_left', (select room from ids where name = 'd'), 'c4000000-0000-0000-0000-000000000001', now()) ->> 'result',
  'stale', 'CALL-LK-14 events after the call is over change nothing');
select is(pg_temp.lk('EV_c4_07', 'room_finished', (select room from ids where name = 'd'), null, now()) ->> 'close_room',
  'false', 'CALL-LK-15 room_finished never asks to close the room again');
select is((select status || ' ' || end_reason from parley.calls where id = (select id from ids where name = 'd')), 'ended hung_up',
  'CALL-LK-16 the call stays ended as it was');

-- Group call: out-of-order joins and a late room_finished.
select tests.authenticate_as('c4000000-0000-0000-0000-000000000001');
insert into ids select 'g', id, room_name from parley.start_call('c4c00000-0000-0000-0000-000000000002', 'audio');
select tests.authenticate_as('c4000000-0000-0000-0000-000000000002');
select parley.accept_call((select id from ids where name = 'g'));
select tests.clear_authentication();
select is(pg_temp.lk('EV_c4_10', 'participant_left', (select room from ids where name = 'g'), 'c4000000-0000-0000-0000-000000000002', now()) ->> 'call_status',
  'active', 'CALL-LK-17 one member dropping out of a group call leaves it active');
select is(pg_temp.lk('EV_c4_11', 'participant_joined', (select room from ids where name = 'g'), 'c4000000-0000-0000-0000-000000000002', now() - interval '5 minutes') ->> 'result',
  'stale', 'CALL-LK-18 a join delivered after a later leave is stale');
select is(pg_temp.lk('EV_c4_12', 'participant_joined', (select room from ids where name = 'g'), 'c4000000-0000-0000-0000-000000000002', now()) ->> 'result',
  'applied', 'CALL-LK-19 a current rejoin is applied');
select is(pg_temp.lk('EV_c4_13', 'room_finished', (select room from ids where name = 'g'), null, now() - interval '10 minutes') ->> 'result',
  'stale', 'CALL-LK-20 a room_finished older than the latest join is stale');
select is(pg_temp.lk('EV_c4_14', 'track_published', (select room from ids where name = 'g'), null, now()) ->> 'result',
  'ignored', 'CALL-LK-21 events Parley does not track are ignored');
select is(pg_temp.lk('EV_c4_15', 'participant_joined', (select room from ids where name = 'g'), 'not-a-uuid', now()) ->> 'result',
  'ignored', 'CALL-LK-22 an identity that is not a participant is ignored');
select is(pg_temp.lk('EV_c4_16', 'room_finished', (select room from ids where name = 'g'), null, now()) ->> 'call_status',
  'ended', 'CALL-LK-23 a current room_finished ends the call');
select is((select end_reason || ' ' || string_agg(p.state, ',' order by p.user_id) from parley.calls c join parley.call_participants p on p.call_id = c.id
           where c.id = (select id from ids where name = 'g') group by c.end_reason),
  'room_finished left,left,missed', 'CALL-LK-24 everyone in it left; whoever was still ringing missed it');

-- A caller whose app dies while ringing: LiveKit's leave cancels the call.
select tests.authenticate_as('c4000000-0000-0000-0000-000000000002');
insert into ids select 'r', id, room_name from parley.start_call('c4c00000-0000-0000-0000-000000000001', 'audio');
select tests.clear_authentication();
select is(pg_temp.lk('EV_c4_20', 'participant_left', (select room from ids where name = 'r'), 'c4000000-0000-0000-0000-000000000002', now()) ->> 'call_status',
  'cancelled', 'CALL-LK-25 the caller leaving the room before an answer cancels the call');
select is(tests.error_of($$select pg_temp.lk('', 'room_started', 'r', null, now())$$), '22023 invalid_event_id', 'CALL-LK-26 an empty event id is refused');

select * from finish();
rollback;
