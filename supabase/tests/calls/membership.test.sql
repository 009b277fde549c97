-- Only current members of a conversation are in its calls: removal or leaving takes a user out of the
-- live call, and no call path (accept, call-token grant, call:<id> topic, LiveKit webhook) lets them back.
-- IDs: CALL-MEM-xx (docs/calls.md § Tests).
begin;
select plan(26);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- events(topic, event): how many realtime broadcasts with that topic and event this test sent.
create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;
-- lk(...): applies one LiveKit event as the service role.
create function pg_temp.lk(p_id text, p_event text, p_room text, p_identity text) returns jsonb language plpgsql as $f$
declare v jsonb;
begin
  perform tests.authenticate_as_service_role();
  v := parley.service_role_apply_livekit_event(p_id, p_event, p_room, p_identity, now());
  perform tests.clear_authentication();
  return v;
end $f$;
-- state(call, user): a participant's state.
create function pg_temp.state(p_call uuid, p_user uuid) returns text language sql as $f$
  select state from parley.call_participants where call_id = p_call and user_id = p_user;
$f$;

-- Cast (prefix c6): alice 01 (owner), bob 02 (admin), rita 03 (member, removed), carol 04 (member, removed while ringing).
select tests.create_user('c6000000-0000-0000-0000-000000000001', 'c6_alice');
select tests.create_user('c6000000-0000-0000-0000-000000000002', 'c6_bob');
select tests.create_user('c6000000-0000-0000-0000-000000000003', 'c6_rita');
select tests.create_user('c6000000-0000-0000-0000-000000000004', 'c6_carol');
insert into parley.conversations (id, kind, title, created_by) values
  ('c6c00000-0000-0000-0000-000000000001', 'group', 'C6 group', 'c6000000-0000-0000-0000-000000000001'),
  ('c6c00000-0000-0000-0000-000000000002', 'group', 'C6 pair', 'c6000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('c6c00000-0000-0000-0000-000000000001', 'c6000000-0000-0000-0000-000000000001', 'owner'),
  ('c6c00000-0000-0000-0000-000000000001', 'c6000000-0000-0000-0000-000000000002', 'admin'),
  ('c6c00000-0000-0000-0000-000000000001', 'c6000000-0000-0000-0000-000000000003', 'member'),
  ('c6c00000-0000-0000-0000-000000000001', 'c6000000-0000-0000-0000-000000000004', 'member'),
  ('c6c00000-0000-0000-0000-000000000002', 'c6000000-0000-0000-0000-000000000001', 'owner'),
  ('c6c00000-0000-0000-0000-000000000002', 'c6000000-0000-0000-0000-000000000002', 'member');
create temp table ids (name text primary key, id uuid, room text);
grant all on ids to authenticated, service_role;

-- Alice calls the group; Rita accepts and connects; Bob and Carol are still ringing.
select tests.authenticate_as('c6000000-0000-0000-0000-000000000001');
insert into ids select 'g', id, room_name from parley.start_call('c6c00000-0000-0000-0000-000000000001', 'video');
select tests.authenticate_as('c6000000-0000-0000-0000-000000000003');
select parley.accept_call((select id from ids where name = 'g'));
select is((select member_role from parley.get_call_grant((select id from ids where name = 'g'))), 'member',
  'CALL-MEM-01 a member who accepted gets the call-token grant');
select is(pg_temp.lk('EV_c6_01', 'participant_joined', (select room from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000003') ->> 'remove_participant',
  'false', 'CALL-MEM-02 a member connecting to the room is never disconnected');

-- The owner removes Rita (in the call) and Carol (still ringing).
select tests.authenticate_as('c6000000-0000-0000-0000-000000000001');
select parley.remove_member('c6c00000-0000-0000-0000-000000000001', 'c6000000-0000-0000-0000-000000000003');
select parley.remove_member('c6c00000-0000-0000-0000-000000000001', 'c6000000-0000-0000-0000-000000000004');
select tests.clear_authentication();
select is(pg_temp.state((select id from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000003'), 'left',
  'CALL-MEM-03 removing a member takes them out of the live call');
select is(pg_temp.state((select id from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000004'), 'left',
  'CALL-MEM-04 a removed member who was still ringing stops ringing');
select is((select connected_at from parley.call_participants
            where call_id = (select id from ids where name = 'g') and user_id = 'c6000000-0000-0000-0000-000000000003'), null,
  'CALL-MEM-05 and is no longer counted as connected');
select is(pg_temp.events('call:' || (select id from ids where name = 'g'), 'participant_left'), 2::bigint,
  'CALL-MEM-06 the call hears participant_left for each');
select is(pg_temp.events('user:c6000000-0000-0000-0000-000000000004', 'call_state'), 1::bigint,
  'CALL-MEM-07 the removed member''s devices hear their new state (they stop ringing)');
select is((select status from parley.calls where id = (select id from ids where name = 'g')), 'active',
  'CALL-MEM-08 the call goes on for the others');
select is(pg_temp.state((select id from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000002'), 'ringing',
  'CALL-MEM-09 and still rings the members left');

-- Rita tries every way back in.
select tests.authenticate_as('c6000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.accept_call((select id from ids where name = 'g'))$$), '42501 not_a_member',
  'CALL-MEM-10 a removed member cannot accept the call again');
select is(tests.error_of($$select * from parley.get_call_grant((select id from ids where name = 'g'))$$), '42501 not_a_member',
  'CALL-MEM-11 nor get a call-token grant for it');
select ok(not parley_internal.can_join_call_topic('call:' || (select id from ids where name = 'g')),
  'CALL-MEM-12 nor join its call:<id> topic');
select is(tests.error_of($$select parley.get_call_evictions((select id from ids where name = 'g'))$$), 'PT404 call_not_found',
  'CALL-MEM-13 nor ask who is evicted (the call is not hers any more)');
select is((select outcome from parley.list_call_history() where id = (select id from ids where name = 'g')), 'active',
  'CALL-MEM-14 her call history still shows the call');
select is(pg_temp.state((select id from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000003'), 'left',
  'CALL-MEM-15 her refused attempts changed nothing');

-- LiveKit says Rita reconnected (a token minted before removal): nothing changes, and she is to be disconnected.
select is(pg_temp.lk('EV_c6_02', 'participant_joined', (select room from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000003'),
  jsonb_build_object('result', 'ignored', 'call_id', (select id from ids where name = 'g'), 'call_status', 'active',
                     'close_room', false, 'remove_participant', true),
  'CALL-MEM-16 a former member joining the room is ignored, and the answer asks to disconnect them');
select is(pg_temp.state((select id from ids where name = 'g'), 'c6000000-0000-0000-0000-000000000003'), 'left',
  'CALL-MEM-17 and stays out of the call');

-- Who LiveKit should drop: former members only, asked by any current member.
select tests.authenticate_as('c6000000-0000-0000-0000-000000000002');
select is(array(select parley.get_call_evictions((select id from ids where name = 'g'))),
  array['c6000000-0000-0000-0000-000000000003', 'c6000000-0000-0000-0000-000000000004']::uuid[],
  'CALL-MEM-18 get_call_evictions names the removed participants, for any member');
select tests.authenticate_as('c6000000-0000-0000-0000-000000000001');
select parley.add_members('c6c00000-0000-0000-0000-000000000001', array['c6000000-0000-0000-0000-000000000003']::uuid[]);
select is(array(select parley.get_call_evictions((select id from ids where name = 'g'))),
  array['c6000000-0000-0000-0000-000000000004']::uuid[], 'CALL-MEM-19 someone added back is no longer evicted');
select tests.authenticate_as('c6000000-0000-0000-0000-000000000003');
select is((select status from parley.accept_call((select id from ids where name = 'g'))), 'active',
  'CALL-MEM-20 and may rejoin the call');

-- Leaving the group yourself leaves its call too; the last one out ends it.
select tests.authenticate_as('c6000000-0000-0000-0000-000000000002');
select parley.decline_call((select id from ids where name = 'g'));
select tests.authenticate_as('c6000000-0000-0000-0000-000000000001');
select parley.leave_call((select id from ids where name = 'g'));
insert into ids select 'p', id, room_name from parley.start_call('c6c00000-0000-0000-0000-000000000002', 'audio');
select tests.authenticate_as('c6000000-0000-0000-0000-000000000002');
select parley.accept_call((select id from ids where name = 'p'));
select parley.leave_group('c6c00000-0000-0000-0000-000000000002');
select is(pg_temp.state((select id from ids where name = 'p'), 'c6000000-0000-0000-0000-000000000002'), 'left',
  'CALL-MEM-21 leaving a group leaves its live call');
select tests.authenticate_as('c6000000-0000-0000-0000-000000000001');
select parley.leave_group('c6c00000-0000-0000-0000-000000000002');
select is((select count(*) from parley.calls where id = (select id from ids where name = 'p')), 0::bigint,
  'CALL-MEM-22 the last member leaving deletes the group, and its calls with it');

-- Deleting a group in a live call works and takes the call with it.
select tests.authenticate_as('c6000000-0000-0000-0000-000000000001');
select lives_ok($$select parley.delete_group('c6c00000-0000-0000-0000-000000000001')$$, 'CALL-MEM-23 a group can be deleted during its call');
select is((select count(*) from parley.calls where id = (select id from ids where name = 'g')), 0::bigint, 'CALL-MEM-24 and the call goes with it');
select tests.clear_authentication();

-- Only members may ask for evictions, never anon.
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.get_call_evictions(gen_random_uuid())$$), '42501 -', 'CALL-MEM-25 anon cannot call get_call_evictions');
select tests.authenticate_as('c6000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.get_call_evictions(null)$$), '22023 call_id_required', 'CALL-MEM-26 a missing call id is a clear 22023');

select * from finish();
rollback;
