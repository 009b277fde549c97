-- RLS, grants and the definer audit for calls, call_participants and the LiveKit event log.
-- IDs: CALL-SEC-xx (docs/calls.md § Tests).
begin;
select plan(30);

-- events(topic, event): how many realtime broadcasts with that topic and event this test sent.
create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;

-- Cast (prefix c5): owner 01, member 02, stranger 03, former member 04.
select tests.create_user('c5000000-0000-0000-0000-000000000001', 'c5_owner');
select tests.create_user('c5000000-0000-0000-0000-000000000002', 'c5_member');
select tests.create_user('c5000000-0000-0000-0000-000000000003', 'c5_stranger');
select tests.create_user('c5000000-0000-0000-0000-000000000004', 'c5_former');
insert into parley.conversations (id, kind, title, created_by) values
  ('c5c00000-0000-0000-0000-000000000001', 'group', 'C5 group', 'c5000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('c5c00000-0000-0000-0000-000000000001', 'c5000000-0000-0000-0000-000000000001', 'owner'),
  ('c5c00000-0000-0000-0000-000000000001', 'c5000000-0000-0000-0000-000000000002', 'member'),
  ('c5c00000-0000-0000-0000-000000000001', 'c5000000-0000-0000-0000-000000000004', 'member');
create temp table ids (name text primary key, id uuid);
grant all on ids to anon, authenticated, service_role;
select tests.authenticate_as('c5000000-0000-0000-0000-000000000001');
insert into ids select 'g', id from parley.start_call('c5c00000-0000-0000-0000-000000000001', 'audio');
select tests.clear_authentication();
-- The former member was rung, then left the group.
delete from parley.conversation_members where user_id = 'c5000000-0000-0000-0000-000000000004';

select ok((select bool_and(relrowsecurity) from pg_class where oid in ('parley.calls'::regclass, 'parley.call_participants'::regclass, 'parley_internal.livekit_events'::regclass)),
  'CALL-SEC-01 RLS is on for calls, call_participants and parley_internal.livekit_events');
select ok(has_table_privilege('authenticated', 'parley.calls', 'select') and not has_table_privilege('authenticated', 'parley.calls', 'insert')
  and not has_table_privilege('authenticated', 'parley.calls', 'update') and not has_table_privilege('authenticated', 'parley.calls', 'delete'),
  'CALL-SEC-02 authenticated may only read calls; writes go through the RPCs');
select ok(has_table_privilege('authenticated', 'parley.call_participants', 'select') and not has_table_privilege('authenticated', 'parley.call_participants', 'insert')
  and not has_table_privilege('authenticated', 'parley.call_participants', 'update') and not has_table_privilege('authenticated', 'parley.call_participants', 'delete'),
  'CALL-SEC-03 authenticated may only read call_participants');
select ok(not has_table_privilege('anon', 'parley.calls', 'select') and not has_table_privilege('anon', 'parley.call_participants', 'select'),
  'CALL-SEC-04 anon has no access to calls');
select ok(not has_table_privilege('authenticated', 'parley_internal.livekit_events', 'select') and not has_table_privilege('anon', 'parley_internal.livekit_events', 'select'),
  'CALL-SEC-05 the LiveKit event log is hidden from users');

select tests.authenticate_as('c5000000-0000-0000-0000-000000000002');
select is((select count(*) from parley.calls), 1::bigint, 'CALL-SEC-06 a member sees the conversation''s call');
select is((select count(*) from parley.call_participants), 3::bigint, 'CALL-SEC-07 and who is in it');
select is(tests.error_of($$update parley.calls set status = 'ended' where true$$), '42501 -', 'CALL-SEC-08 a member cannot update a call directly');
select is(tests.error_of($$insert into parley.call_participants (call_id, user_id, state) values ((select id from ids), 'c5000000-0000-0000-0000-000000000003', 'ringing')$$),
  '42501 -', 'CALL-SEC-09 nor add participants');
select is(tests.error_of($$delete from parley.calls where true$$), '42501 -', 'CALL-SEC-10 nor delete calls');
select ok(parley_internal.can_join_call((select id from ids)), 'CALL-SEC-11 a participant may join the call:<id> topic');
select ok(parley_internal.can_join_call_topic('call:' || (select id from ids)), 'CALL-SEC-12 the topic form answers the same');
select tests.authenticate_as('c5000000-0000-0000-0000-000000000003');
select is((select count(*) from parley.calls), 0::bigint, 'CALL-SEC-13 a stranger sees no calls');
select is((select count(*) from parley.call_participants), 0::bigint, 'CALL-SEC-14 and no participants');
select ok(not parley_internal.can_join_call((select id from ids)), 'CALL-SEC-15 a stranger may not join the call topic');
select ok(not parley_internal.can_join_call_topic('call:not-a-uuid') and not parley_internal.can_join_call_topic('user:' || (select id from ids)) and not parley_internal.can_join_call_topic(null),
  'CALL-SEC-16 malformed or other topics are refused, without an error');
select tests.authenticate_as('c5000000-0000-0000-0000-000000000004');
select is((select count(*) from parley.calls), 1::bigint, 'CALL-SEC-17 someone rung into a call still sees it after leaving the conversation');
select is((select count(*) from parley.call_participants), 3::bigint, 'CALL-SEC-18 with its participants');
select tests.authenticate_as_anon();
select is(tests.error_of($$select count(*) from parley.calls$$), '42501 -', 'CALL-SEC-19 anon is refused');
select is(tests.error_of($$select parley.start_call('c5c00000-0000-0000-0000-000000000001', 'audio')$$), '42501 -', 'CALL-SEC-20 anon cannot start calls');
select tests.clear_authentication();

-- Definer audit: exactly these call functions are security definer, all in parley_internal.
select is((select array_agg(p.proname::text order by p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'parley_internal' and p.prosecdef and p.proname in (
             'my_call_ids', 'can_join_call', 'can_join_call_topic', 'sweep_calls', 'start_call', 'accept_call', 'decline_call',
             'leave_call', 'end_call', 'list_call_history', 'get_active_call', 'get_call_grant', 'apply_livekit_event',
             'call_ring_timeout', 'call_json', 'participant_json', 'emit_call_event', 'set_participant_state', 'finish_call',
             'settle_call', 'lock_call', 'join_participant', 'my_participant_state', 'call_rows', 'require_call_member',
             'get_call_evictions', 'leave_live_call_on_member_removed')),
  array['accept_call', 'apply_livekit_event', 'can_join_call', 'can_join_call_topic', 'decline_call', 'end_call', 'get_active_call',
        'get_call_evictions', 'get_call_grant', 'leave_call', 'leave_live_call_on_member_removed', 'list_call_history', 'my_call_ids',
        'start_call', 'sweep_calls'],
  'CALL-SEC-21 the call definer functions are exactly the audited list');
select is((select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'parley' and p.prosecdef and p.proname in ('start_call', 'accept_call', 'decline_call', 'leave_call', 'end_call',
             'list_call_history', 'get_active_call', 'get_call_grant', 'service_role_apply_livekit_event')), 0::bigint,
  'CALL-SEC-22 every parley call RPC is security invoker');
select ok((select bool_and(p.proconfig @> array['search_path=""']) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where (n.nspname = 'parley' and p.proname in ('start_call', 'accept_call', 'decline_call', 'leave_call', 'end_call',
             'list_call_history', 'get_active_call', 'get_call_grant', 'service_role_apply_livekit_event'))
              or (n.nspname = 'parley_internal' and p.proname in ('sweep_calls', 'finish_call', 'settle_call', 'apply_livekit_event', 'set_participant_state'))),
  'CALL-SEC-23 call functions pin search_path to empty');
select ok(not has_function_privilege('authenticated', 'parley_internal.finish_call(uuid, text, text, timestamptz)', 'execute')
  and not has_function_privilege('authenticated', 'parley_internal.settle_call(uuid, timestamptz)', 'execute')
  and not has_function_privilege('authenticated', 'parley_internal.set_participant_state(uuid, uuid, text, timestamptz)', 'execute')
  and not has_function_privilege('authenticated', 'parley_internal.join_participant(parley.calls, uuid, timestamptz)', 'execute'),
  'CALL-SEC-24 users cannot call the internal transitions');
select ok(not has_function_privilege('authenticated', 'parley_internal.apply_livekit_event(text, text, text, text, timestamptz)', 'execute')
  and not has_function_privilege('anon', 'parley_internal.apply_livekit_event(text, text, text, text, timestamptz)', 'execute')
  and has_function_privilege('service_role', 'parley_internal.apply_livekit_event(text, text, text, text, timestamptz)', 'execute'),
  'CALL-SEC-25 only the service role may apply LiveKit events');
select ok(not has_function_privilege('authenticated', 'parley.service_role_apply_livekit_event(text, text, text, text, timestamptz)', 'execute')
  and has_function_privilege('service_role', 'parley.service_role_apply_livekit_event(text, text, text, text, timestamptz)', 'execute'),
  'CALL-SEC-26 service_role_apply_livekit_event is the service role''s alone');
select ok(not has_function_privilege('anon', 'parley.start_call(uuid, text)', 'execute')
  and not has_function_privilege('anon', 'parley.list_call_history(integer, timestamptz)', 'execute')
  and has_function_privilege('authenticated', 'parley.start_call(uuid, text)', 'execute'),
  'CALL-SEC-27 the call RPCs are for signed-in users');
select ok(has_function_privilege('authenticated', 'parley_internal.can_join_call(uuid)', 'execute') and not has_function_privilege('anon', 'parley_internal.can_join_call(uuid)', 'execute'),
  'CALL-SEC-28 can_join_call is callable from authenticated realtime policies');
select is((select obj_description('parley.calls'::regclass, 'pg_class') is not null and obj_description('parley.call_participants'::regclass, 'pg_class') is not null), true,
  'CALL-SEC-29 the tables are documented');
select is((select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'parley' and p.proname in ('start_call', 'accept_call', 'decline_call', 'leave_call', 'end_call',
             'list_call_history', 'get_active_call', 'get_call_grant', 'service_role_apply_livekit_event')
             and obj_description(p.oid, 'pg_proc') is null), 0::bigint,
  'CALL-SEC-30 every call RPC is documented');

select * from finish();
rollback;
