-- Call invariants: one live call per conversation and per user (busy), ring timeout without a scheduler, capacity.
-- IDs: CALL-INV-xx (docs/calls.md § Tests).
begin;
select plan(27);

-- events(topic, event): how many realtime broadcasts with that topic and event this test sent.
create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;

-- Cast (prefix c2): a 01, b 02, c 03, d 04, e 05, f 06, g 07, h 08, i 09.
select tests.create_user(('c2000000-0000-0000-0000-00000000000' || n)::uuid, 'c2_user' || n) from generate_series(1, 9) n;
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('c2c00000-0000-0000-0000-000000000001', 'direct', 'c2:ab', 'c2000000-0000-0000-0000-000000000001'),
  ('c2c00000-0000-0000-0000-000000000002', 'direct', 'c2:bc', 'c2000000-0000-0000-0000-000000000003'),
  ('c2c00000-0000-0000-0000-000000000003', 'direct', 'c2:ac', 'c2000000-0000-0000-0000-000000000001'),
  ('c2c00000-0000-0000-0000-000000000005', 'direct', 'c2:ef', 'c2000000-0000-0000-0000-000000000005');
insert into parley.conversations (id, kind, title, created_by) values
  ('c2c00000-0000-0000-0000-000000000004', 'group', 'C2 cdb', 'c2000000-0000-0000-0000-000000000003'),
  ('c2c00000-0000-0000-0000-000000000006', 'group', 'C2 ghi', 'c2000000-0000-0000-0000-000000000007');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('c2c00000-0000-0000-0000-000000000001', 'c2000000-0000-0000-0000-000000000001', 'member'),
  ('c2c00000-0000-0000-0000-000000000001', 'c2000000-0000-0000-0000-000000000002', 'member'),
  ('c2c00000-0000-0000-0000-000000000002', 'c2000000-0000-0000-0000-000000000002', 'member'),
  ('c2c00000-0000-0000-0000-000000000002', 'c2000000-0000-0000-0000-000000000003', 'member'),
  ('c2c00000-0000-0000-0000-000000000003', 'c2000000-0000-0000-0000-000000000001', 'member'),
  ('c2c00000-0000-0000-0000-000000000003', 'c2000000-0000-0000-0000-000000000003', 'member'),
  ('c2c00000-0000-0000-0000-000000000005', 'c2000000-0000-0000-0000-000000000005', 'member'),
  ('c2c00000-0000-0000-0000-000000000005', 'c2000000-0000-0000-0000-000000000006', 'member'),
  ('c2c00000-0000-0000-0000-000000000004', 'c2000000-0000-0000-0000-000000000003', 'owner'),
  ('c2c00000-0000-0000-0000-000000000004', 'c2000000-0000-0000-0000-000000000004', 'member'),
  ('c2c00000-0000-0000-0000-000000000004', 'c2000000-0000-0000-0000-000000000002', 'member'),
  ('c2c00000-0000-0000-0000-000000000006', 'c2000000-0000-0000-0000-000000000007', 'owner'),
  ('c2c00000-0000-0000-0000-000000000006', 'c2000000-0000-0000-0000-000000000008', 'member'),
  ('c2c00000-0000-0000-0000-000000000006', 'c2000000-0000-0000-0000-000000000009', 'member');
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

-- Glare: a calls b while b calls a — one call, both in it.
select tests.authenticate_as('c2000000-0000-0000-0000-000000000001');
insert into ids select 'ab', id from parley.start_call('c2c00000-0000-0000-0000-000000000001', 'video');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000002');
insert into ids select 'ba', id from parley.start_call('c2c00000-0000-0000-0000-000000000001', 'audio');
select tests.clear_authentication();
select is((select id from ids where name = 'ba'), (select id from ids where name = 'ab'),
  'CALL-INV-01 starting a call where one is live returns the live call, never a second one');
select is((select status || ' ' || media from parley.calls where id = (select id from ids where name = 'ab')), 'active video',
  'CALL-INV-02 the second caller joins it: the call is answered, its media unchanged');
select is(tests.error_of($$insert into parley.calls (conversation_id, kind, media, room_name, max_participants)
  values ('c2c00000-0000-0000-0000-000000000001', 'direct', 'audio', 'c2-dup', 2)$$), '23505 -',
  'CALL-INV-03 the database refuses a second live call in a conversation (partial unique index)');

-- Busy: c calls b, who is in a call with a.
select tests.authenticate_as('c2000000-0000-0000-0000-000000000003');
insert into ids select 'cb', id from parley.start_call('c2c00000-0000-0000-0000-000000000002', 'audio');
select tests.clear_authentication();
select is((select status || ' ' || end_reason from parley.calls where id = (select id from ids where name = 'cb')), 'busy busy',
  'CALL-INV-04 a direct callee already in a live call makes the call end busy');
select is((select string_agg(state, ',' order by user_id) from parley.call_participants where call_id = (select id from ids where name = 'cb')),
  'busy,left', 'CALL-INV-05 the callee is recorded busy, the caller has left');
select is((select status from parley.calls where id = (select id from ids where name = 'ab')), 'active',
  'CALL-INV-06 the busy callee''s own call goes on untouched');
select is(pg_temp.events('user:c2000000-0000-0000-0000-000000000002', 'call_incoming'), 1::bigint,
  'CALL-INV-07 the busy callee was never rung by the second call (only the first call rang them)');
select is(tests.error_of($$insert into parley.call_participants (call_id, user_id, state)
  values ((select id from ids where name = 'cb'), 'c2000000-0000-0000-0000-000000000001', 'ringing')$$), '23505 -',
  'CALL-INV-08 the database refuses a second live participation for a user (partial unique index)');

-- A caller already in a call cannot start another.
select tests.authenticate_as('c2000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.start_call('c2c00000-0000-0000-0000-000000000003', 'audio')$$), '23505 already_in_call',
  'CALL-INV-09 starting a call while in another is refused: already_in_call');
select tests.clear_authentication();
select is((select count(*) from parley.calls where conversation_id = 'c2c00000-0000-0000-0000-000000000003'), 0::bigint,
  'CALL-INV-10 the refused start left no call behind');

-- Group: a busy member is marked busy, the others ring; the busy one cannot join.
select tests.authenticate_as('c2000000-0000-0000-0000-000000000003');
insert into ids select 'g', id from parley.start_call('c2c00000-0000-0000-0000-000000000004', 'audio');
select tests.clear_authentication();
select is((select string_agg(state, ',' order by user_id) from parley.call_participants where call_id = (select id from ids where name = 'g')),
  'busy,joined,ringing', 'CALL-INV-11 a group call marks busy members busy and rings the rest');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.accept_call((select id from ids where name = 'g'))$$), '23505 already_in_call',
  'CALL-INV-12 joining a second call while in one is refused: already_in_call');
select is((select count(*) from parley.get_active_call()), 1::bigint, 'CALL-INV-13 get_active_call answers at most one call');

-- Ring timeout (45 s) without a scheduler: the next RPC turns it into missed.
select tests.authenticate_as('c2000000-0000-0000-0000-000000000005');
insert into ids select 'ef', id from parley.start_call('c2c00000-0000-0000-0000-000000000005', 'audio');
select tests.clear_authentication();
update parley.calls set created_at = created_at - interval '44 seconds' where id = (select id from ids where name = 'ef');
update parley.call_participants set invited_at = invited_at - interval '44 seconds' where call_id = (select id from ids where name = 'ef');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000006');
select is(tests.value_of($$select status from parley.get_active_call()$$), 'ringing', 'CALL-INV-14 at 44 s the call still rings');
select tests.clear_authentication();
update parley.calls set created_at = created_at - interval '2 seconds' where id = (select id from ids where name = 'ef');
update parley.call_participants set invited_at = invited_at - interval '2 seconds' where call_id = (select id from ids where name = 'ef');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000006');
select is((select count(*) from parley.get_active_call()), 0::bigint, 'CALL-INV-15 at 46 s the callee has no live call any more');
select tests.clear_authentication();
select is((select status || ' ' || end_reason from parley.calls where id = (select id from ids where name = 'ef')), 'missed no_answer',
  'CALL-INV-16 an unanswered call becomes missed / no_answer');
select is((select ended_at - created_at from parley.calls where id = (select id from ids where name = 'ef')), interval '45 seconds',
  'CALL-INV-17 it ended when the ring timeout expired, not when it was noticed');
select is((select string_agg(state, ',' order by user_id) from parley.call_participants where call_id = (select id from ids where name = 'ef')),
  'left,missed', 'CALL-INV-18 the callee missed it, the caller left');
select is(pg_temp.events('user:c2000000-0000-0000-0000-000000000006', 'call_ended'), 1::bigint, 'CALL-INV-19 the callee''s inbox hears call_ended');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select status from parley.start_call('c2c00000-0000-0000-0000-000000000005', 'audio')$$), 'ringing',
  'CALL-INV-20 after a missed call both are free: a new call rings');

-- Group: one member's invitation times out while the call goes on; capacity.
select tests.authenticate_as('c2000000-0000-0000-0000-000000000007');
insert into ids select 'ghi', id from parley.start_call('c2c00000-0000-0000-0000-000000000006', 'video');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000008');
select parley.accept_call((select id from ids where name = 'ghi'));
select tests.clear_authentication();
update parley.call_participants set invited_at = invited_at - interval '1 minute'
where call_id = (select id from ids where name = 'ghi') and user_id = 'c2000000-0000-0000-0000-000000000009';
select tests.authenticate_as('c2000000-0000-0000-0000-000000000007');
select is(tests.value_of($$select status from parley.get_active_call()$$), 'active', 'CALL-INV-21 an active group call outlives one member''s ring timeout');
select tests.clear_authentication();
select is((select state from parley.call_participants where call_id = (select id from ids where name = 'ghi') and user_id = 'c2000000-0000-0000-0000-000000000009'),
  'missed', 'CALL-INV-22 that member missed it');
select is(pg_temp.events('call:' || (select id from ids where name = 'ghi'), 'participant_missed'), 1::bigint,
  'CALL-INV-23 the call topic hears participant_missed');
update parley.calls set max_participants = 2 where id = (select id from ids where name = 'ghi');
select tests.authenticate_as('c2000000-0000-0000-0000-000000000009');
select is(tests.error_of($$select parley.accept_call((select id from ids where name = 'ghi'))$$), '23505 call_full',
  'CALL-INV-24 joining a call at max_participants is refused: call_full');
select tests.clear_authentication();

select is((select indexdef like '%UNIQUE%WHERE%ringing%joined%' from pg_indexes where indexname = 'call_participants_user_id_live_key'), true,
  'CALL-INV-25 one live call per user is a partial unique index');
select is((select indexdef like '%UNIQUE%WHERE%ringing%active%' from pg_indexes where indexname = 'calls_conversation_id_live_key'), true,
  'CALL-INV-26 one live call per conversation is a partial unique index');
select is((select count(*) from parley.calls c where c.status in ('ringing', 'active') and c.ended_at is not null), 0::bigint,
  'CALL-INV-27 no live call has an end time');

select * from finish();
rollback;
