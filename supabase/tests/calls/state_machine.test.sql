-- Call state machine: direct and group calls through start / accept / decline / leave / end, with events.
-- IDs: CALL-SM-xx (docs/calls.md § Tests).
begin;
select plan(46);

-- events(topic, event): how many realtime broadcasts with that topic and event this test sent.
create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;
-- call_state(call): all that a repeated operation could change (tests.state_of): the call row and each
-- participant's, and the realtime events sent so far.
create function pg_temp.call_state(p_call uuid) returns text language sql as $f$
  select tests.state_of(format('select ctid, status, answered_at, ended_at, end_reason from parley.calls where id = %L', p_call))
      || ' ' || tests.state_of(format('select ctid, user_id, state, joined_at, left_at from parley.call_participants where call_id = %L', p_call));
$f$;
create temp table states (name text primary key, state text);

-- Cast (prefix c1): alice 01 (group owner), bob 02 (group admin), carol 03 (member), dave 04 (stranger).
select tests.create_user('c1000000-0000-0000-0000-000000000001', 'c1_alice');
select tests.create_user('c1000000-0000-0000-0000-000000000002', 'c1_bob');
select tests.create_user('c1000000-0000-0000-0000-000000000003', 'c1_carol');
select tests.create_user('c1000000-0000-0000-0000-000000000004', 'c1_dave');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('c1c00000-0000-0000-0000-000000000001', 'direct', 'c1000000-0000-0000-0000-000000000001:c1000000-0000-0000-0000-000000000002', 'c1000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, title, created_by) values
  ('c1c00000-0000-0000-0000-000000000002', 'group', 'C1 group', 'c1000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('c1c00000-0000-0000-0000-000000000001', 'c1000000-0000-0000-0000-000000000001', 'member'),
  ('c1c00000-0000-0000-0000-000000000001', 'c1000000-0000-0000-0000-000000000002', 'member'),
  ('c1c00000-0000-0000-0000-000000000002', 'c1000000-0000-0000-0000-000000000001', 'owner'),
  ('c1c00000-0000-0000-0000-000000000002', 'c1000000-0000-0000-0000-000000000002', 'admin'),
  ('c1c00000-0000-0000-0000-000000000002', 'c1000000-0000-0000-0000-000000000003', 'member');
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

-- Direct call, answered then hung up.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
insert into ids select 'd1', id from parley.start_call('c1c00000-0000-0000-0000-000000000001', 'video');
select tests.clear_authentication();
select is((select status || ' ' || kind || ' ' || media || ' ' || max_participants from parley.calls where id = (select id from ids where name = 'd1')),
  'ringing direct video 2', 'CALL-SM-01 start_call in a direct conversation rings: status ringing, kind direct, max 2');
select is((select string_agg(state, ',' order by user_id) from parley.call_participants where call_id = (select id from ids where name = 'd1')),
  'joined,ringing', 'CALL-SM-02 the caller is joined, the callee ringing');
select is((select room_name from parley.calls where id = (select id from ids where name = 'd1')),
  'parley-call-' || (select id from ids where name = 'd1'), 'CALL-SM-03 each call has its own LiveKit room');
select is(pg_temp.events('user:c1000000-0000-0000-0000-000000000002', 'call_incoming'), 1::bigint,
  'CALL-SM-04 the callee''s inbox topic hears call_incoming');

select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status from parley.accept_call((select id from ids where name = 'd1'))$$), 'active',
  'CALL-SM-05 accept_call answers the call: active');
select tests.clear_authentication();
select ok((select answered_at is not null from parley.calls where id = (select id from ids where name = 'd1')), 'CALL-SM-06 answered_at is set');
select is(pg_temp.events('user:c1000000-0000-0000-0000-000000000002', 'call_state'), 1::bigint,
  'CALL-SM-07 the callee''s other devices hear call_state (accepted on one device)');
select is(pg_temp.events('call:' || (select id from ids where name = 'd1'), 'participant_joined'), 1::bigint,
  'CALL-SM-08 the call topic hears participant_joined');

insert into states values ('sm09', pg_temp.call_state((select id from ids where name = 'd1')));
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status from parley.accept_call((select id from ids where name = 'd1'))$$), 'active',
  'CALL-SM-09 accepting twice (a second device) answers with the active call');
select tests.clear_authentication();
select is(pg_temp.call_state((select id from ids where name = 'd1')), (select state from states where name = 'sm09'),
  'CALL-SM-09b and changes nothing: no call or participant row written, no second event');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.decline_call((select id from ids where name = 'd1'))$$), '23505 already_answered',
  'CALL-SM-10 declining after answering is refused: already_answered');
select is(tests.value_of($$select status || ' ' || end_reason from parley.leave_call((select id from ids where name = 'd1'))$$), 'ended hung_up',
  'CALL-SM-11 either side leaving a direct call ends it: ended / hung_up');
select tests.clear_authentication();
select is((select string_agg(state, ',' order by user_id) from parley.call_participants where call_id = (select id from ids where name = 'd1')),
  'left,left', 'CALL-SM-12 when a call ends everyone in it has left');
select is(pg_temp.events('user:c1000000-0000-0000-0000-000000000001', 'call_ended') + pg_temp.events('user:c1000000-0000-0000-0000-000000000002', 'call_ended'), 2::bigint,
  'CALL-SM-13 both inbox topics hear call_ended');
select is(pg_temp.events('call:' || (select id from ids where name = 'd1'), 'call_ended'), 1::bigint, 'CALL-SM-14 the call topic hears call_ended');
insert into states values ('sm15', pg_temp.call_state((select id from ids where name = 'd1')));
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status from parley.leave_call((select id from ids where name = 'd1'))$$), 'ended',
  'CALL-SM-15 leaving an ended call answers with the ended call');
select tests.clear_authentication();
select is(pg_temp.call_state((select id from ids where name = 'd1')), (select state from states where name = 'sm15'),
  'CALL-SM-15b and changes nothing: no row written, no second call_ended');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.accept_call((select id from ids where name = 'd1'))$$), '23505 call_over',
  'CALL-SM-16 accepting an ended call is refused: call_over');

-- Direct call, declined.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
insert into ids select 'd2', id from parley.start_call('c1c00000-0000-0000-0000-000000000001', 'audio');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status || ' ' || end_reason from parley.decline_call((select id from ids where name = 'd2'))$$), 'declined declined',
  'CALL-SM-17 the callee declining ends a direct call as declined');
select tests.clear_authentication();
insert into states values ('sm18', pg_temp.call_state((select id from ids where name = 'd2')));
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status from parley.decline_call((select id from ids where name = 'd2'))$$), 'declined',
  'CALL-SM-18 declining again answers with the declined call');
select tests.clear_authentication();
select is(pg_temp.call_state((select id from ids where name = 'd2')), (select state from states where name = 'sm18'),
  'CALL-SM-18b and changes nothing: no row written, no second event');
select is((select state from parley.call_participants where call_id = (select id from ids where name = 'd2') and user_id = 'c1000000-0000-0000-0000-000000000002'),
  'declined', 'CALL-SM-19 the callee''s state is declined');
select ok((select answered_at is null and ended_at is not null from parley.calls where id = (select id from ids where name = 'd2')),
  'CALL-SM-20 a declined call was never answered and has ended');

-- Direct call, cancelled by the caller while ringing.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
insert into ids select 'd3', id from parley.start_call('c1c00000-0000-0000-0000-000000000001', 'audio');
select is(tests.value_of($$select status || ' ' || end_reason from parley.leave_call((select id from ids where name = 'd3'))$$), 'cancelled cancelled',
  'CALL-SM-21 the caller hanging up before an answer cancels the call');
select tests.clear_authentication();
select is((select state from parley.call_participants where call_id = (select id from ids where name = 'd3') and user_id = 'c1000000-0000-0000-0000-000000000002'),
  'missed', 'CALL-SM-22 the callee of a cancelled call missed it');

-- Direct call, ended with end_call by the callee.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
insert into ids select 'd4', id from parley.start_call('c1c00000-0000-0000-0000-000000000001', 'audio');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select parley.accept_call((select id from ids where name = 'd4'));
select is(tests.value_of($$select status || ' ' || end_reason from parley.end_call((select id from ids where name = 'd4'))$$), 'ended hung_up',
  'CALL-SM-23 either side of a direct call may end it');

-- Group call: rings every member; partial answers; the call goes on until everyone is gone.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000003');
insert into ids select 'g1', id from parley.start_call('c1c00000-0000-0000-0000-000000000002', 'video');
select tests.clear_authentication();
select is((select kind || ' ' || max_participants from parley.calls where id = (select id from ids where name = 'g1')), 'group 50',
  'CALL-SM-24 a group call allows 50 participants');
select is((select count(*) from parley.call_participants where call_id = (select id from ids where name = 'g1') and state = 'ringing'), 2::bigint,
  'CALL-SM-25 a group call rings every other member');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select status from parley.decline_call((select id from ids where name = 'g1'))$$), 'ringing',
  'CALL-SM-26 one member declining a group call does not end it');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status from parley.accept_call((select id from ids where name = 'g1'))$$), 'active',
  'CALL-SM-27 another member accepting makes it active');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select status from parley.accept_call((select id from ids where name = 'g1'))$$), 'active',
  'CALL-SM-28 a member who declined may still join a live group call');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select status from parley.leave_call((select id from ids where name = 'g1'))$$), 'active',
  'CALL-SM-29 the caller leaving an active group call does not end it for the others');
select is(tests.value_of($$select status from parley.accept_call((select id from ids where name = 'g1'))$$), 'active',
  'CALL-SM-30 a participant who left may rejoin');
select tests.clear_authentication();
select ok((select left_at is not null and state = 'joined' from parley.call_participants
  where call_id = (select id from ids where name = 'g1') and user_id = 'c1000000-0000-0000-0000-000000000003'),
  'CALL-SM-31 a rejoin keeps the earlier left_at and is joined again');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.end_call((select id from ids where name = 'g1'))$$), 'no error',
  'CALL-SM-32 the caller may end a group call for everyone');
select tests.clear_authentication();
select is((select status || ' ' || end_reason from parley.calls where id = (select id from ids where name = 'g1')), 'ended ended_for_all',
  'CALL-SM-33 end_call ends a group call: ended / ended_for_all');

-- Group call: a plain member may not end it for everyone; everyone leaving ends it.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
insert into ids select 'g2', id from parley.start_call('c1c00000-0000-0000-0000-000000000002', 'audio');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000003');
select parley.accept_call((select id from ids where name = 'g2'));
select is(tests.error_of($$select parley.end_call((select id from ids where name = 'g2'))$$), '42501 not_allowed_to_end',
  'CALL-SM-34 a plain member cannot end a group call for everyone');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select status from parley.decline_call((select id from ids where name = 'g2'))$$), 'active',
  'CALL-SM-35 declining an active group call leaves it going');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
select parley.leave_call((select id from ids where name = 'g2'));
select tests.authenticate_as('c1000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select status || ' ' || end_reason from parley.leave_call((select id from ids where name = 'g2'))$$), 'ended everyone_left',
  'CALL-SM-36 a group call ends when everyone has left');

-- Group call declined by everyone.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
insert into ids select 'g3', id from parley.start_call('c1c00000-0000-0000-0000-000000000002', 'audio');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000002');
select parley.decline_call((select id from ids where name = 'g3'));
select tests.authenticate_as('c1000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select status from parley.decline_call((select id from ids where name = 'g3'))$$), 'declined',
  'CALL-SM-37 a group call every callee declined ends as declined');

-- Bad input and strangers.
select tests.authenticate_as('c1000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.start_call('c1c00000-0000-0000-0000-000000000001', 'hologram')$$), '22023 invalid_media',
  'CALL-SM-38 media other than audio/video is refused');
select tests.authenticate_as('c1000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.start_call('c1c00000-0000-0000-0000-000000000001', 'audio')$$), 'PT404 conversation_not_found',
  'CALL-SM-39 a stranger cannot call into a conversation (404)');
select is(tests.error_of($$select parley.accept_call((select id from ids where name = 'd1'))$$), 'PT404 call_not_found',
  'CALL-SM-40 a stranger cannot see or touch a call (404)');

-- The ring deadline: call_incoming says until when the callee's device should ring (the sweep's timeout).
select tests.clear_authentication();
select is((select array_agg(m.topic || ' ' || ((m.payload ->> 'ring_expires_at')::timestamptz - p.invited_at)::text order by m.topic)
             from realtime.messages m
             join parley.call_participants p on p.call_id = (m.payload -> 'call' ->> 'id')::uuid and m.topic = 'user:' || p.user_id
            where m.event = 'call_incoming' and m.payload -> 'call' ->> 'id' = (select id from ids where name = 'g1')::text),
  array['user:c1000000-0000-0000-0000-000000000001 00:00:45', 'user:c1000000-0000-0000-0000-000000000002 00:00:45'],
  'CALL-SM-41 each ringing member''s call_incoming carries ring_expires_at, 45 s after their invited_at');
select is((select array_agg(((m.payload ->> 'ring_expires_at')::timestamptz - (m.payload -> 'participant' ->> 'invited_at')::timestamptz)::text)
             from realtime.messages m
            where m.event = 'call_incoming' and m.topic = 'user:c1000000-0000-0000-0000-000000000002'
              and m.payload -> 'call' ->> 'id' = (select id from ids where name = 'd1')::text),
  array['00:00:45'], 'CALL-SM-42 a direct callee''s too, consistent with the invited_at in the same payload');
select ok((select count(*) > 0 and count(*) filter (where m.payload ? 'ring_expires_at') = 0 from realtime.messages m
            where m.event = 'call_state'),
  'CALL-SM-43 call_state (the caller''s own devices, answers, leaves) carries no ring deadline');

select * from finish();
rollback;
