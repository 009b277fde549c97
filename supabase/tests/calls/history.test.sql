-- Call history, the active call, and the call-token grant check (get_call_grant).
-- IDs: CALL-HIS-xx, CALL-GRANT-xx (docs/calls.md § Tests).
begin;
select plan(25);

-- events(topic, event): how many realtime broadcasts with that topic and event this test sent.
create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;

-- Cast (prefix c3): alice 01 (group owner), bob 02 (group admin), carol 03 (member), dave 04 (stranger).
select tests.create_user('c3000000-0000-0000-0000-000000000001', 'c3_alice');
select tests.create_user('c3000000-0000-0000-0000-000000000002', 'c3_bob');
select tests.create_user('c3000000-0000-0000-0000-000000000003', 'c3_carol');
select tests.create_user('c3000000-0000-0000-0000-000000000004', 'c3_dave');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('c3c00000-0000-0000-0000-000000000001', 'direct', 'c3:ab', 'c3000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, title, created_by) values
  ('c3c00000-0000-0000-0000-000000000002', 'group', 'C3 group', 'c3000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('c3c00000-0000-0000-0000-000000000001', 'c3000000-0000-0000-0000-000000000001', 'member'),
  ('c3c00000-0000-0000-0000-000000000001', 'c3000000-0000-0000-0000-000000000002', 'member'),
  ('c3c00000-0000-0000-0000-000000000002', 'c3000000-0000-0000-0000-000000000001', 'owner'),
  ('c3c00000-0000-0000-0000-000000000002', 'c3000000-0000-0000-0000-000000000002', 'admin'),
  ('c3c00000-0000-0000-0000-000000000002', 'c3000000-0000-0000-0000-000000000003', 'member');
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

-- Three finished calls at known times: answered (90 s), declined, missed. Then one live call.
select tests.authenticate_as('c3000000-0000-0000-0000-000000000001');
insert into ids select 'answered', id from parley.start_call('c3c00000-0000-0000-0000-000000000001', 'video');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000002');
select parley.accept_call((select id from ids where name = 'answered'));
select parley.leave_call((select id from ids where name = 'answered'));
select tests.clear_authentication();
update parley.calls set created_at = now() - interval '3 hours', answered_at = now() - interval '3 hours',
  ended_at = now() - interval '3 hours' + interval '90 seconds' where id = (select id from ids where name = 'answered');
update parley.call_participants set invited_at = now() - interval '3 hours' where call_id = (select id from ids where name = 'answered');

select tests.authenticate_as('c3000000-0000-0000-0000-000000000002');
insert into ids select 'declined', id from parley.start_call('c3c00000-0000-0000-0000-000000000001', 'audio');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000001');
select parley.decline_call((select id from ids where name = 'declined'));
select tests.clear_authentication();
update parley.call_participants set invited_at = now() - interval '2 hours' where call_id = (select id from ids where name = 'declined');

select tests.authenticate_as('c3000000-0000-0000-0000-000000000002');
insert into ids select 'missed', id from parley.start_call('c3c00000-0000-0000-0000-000000000001', 'audio');
select tests.clear_authentication();
update parley.calls set created_at = now() - interval '1 hour' where id = (select id from ids where name = 'missed');
update parley.call_participants set invited_at = now() - interval '1 hour' where call_id = (select id from ids where name = 'missed');

select tests.authenticate_as('c3000000-0000-0000-0000-000000000003');
insert into ids select 'live', id from parley.start_call('c3c00000-0000-0000-0000-000000000002', 'audio');

select tests.authenticate_as('c3000000-0000-0000-0000-000000000001');
select is((select array_agg(id order by ord) from (select id, row_number() over () ord from parley.list_call_history()) h),
  array[(select id from ids where name = 'live'), (select id from ids where name = 'missed'),
        (select id from ids where name = 'declined'), (select id from ids where name = 'answered')],
  'CALL-HIS-01 history lists my calls newest first (the expired one swept to missed on the way)');
select is((select direction || ' ' || outcome || ' ' || duration_seconds from parley.list_call_history() where id = (select id from ids where name = 'answered')),
  'outgoing answered 90', 'CALL-HIS-02 an answered outgoing call shows answered and its duration');
select is((select direction || ' ' || outcome || ' ' || coalesce(duration_seconds::text, 'none') from parley.list_call_history() where id = (select id from ids where name = 'declined')),
  'incoming declined none', 'CALL-HIS-03 a call I declined shows declined, no duration');
select is((select direction || ' ' || outcome || ' ' || my_state from parley.list_call_history() where id = (select id from ids where name = 'missed')),
  'incoming missed missed', 'CALL-HIS-04 a call I never answered shows missed');
select is((select outcome || ' ' || my_state from parley.list_call_history() where id = (select id from ids where name = 'live')),
  'ringing ringing', 'CALL-HIS-05 a live call shows its status');
select is((select jsonb_array_length(participants) from parley.list_call_history() where id = (select id from ids where name = 'live')),
  3, 'CALL-HIS-06 history lists every participant');
select is((select participants -> 0 ->> 'display_name' from parley.list_call_history() where id = (select id from ids where name = 'answered')),
  'C3_Alice', 'CALL-HIS-07 participants carry their display name');
select is((select count(*) from parley.list_call_history(50, now() - interval '90 minutes')), 2::bigint,
  'CALL-HIS-08 before pages back to older calls');
select is((select count(*) from parley.list_call_history(1)), 1::bigint, 'CALL-HIS-09 max_count bounds the page');
select is(tests.error_of($$select * from parley.list_call_history(500)$$), '22023 invalid_page_size', 'CALL-HIS-10 a page over 200 is refused');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000002');
select is((select direction || ' ' || outcome from parley.list_call_history() where id = (select id from ids where name = 'missed')),
  'outgoing missed', 'CALL-HIS-11 the caller of an unanswered call sees it missed (not answered)');
select is((select id from parley.get_active_call()), (select id from ids where name = 'live'), 'CALL-HIS-12 get_active_call returns my ringing call');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000004');
select is((select count(*) from parley.list_call_history()), 0::bigint, 'CALL-HIS-13 a stranger has no history');
select is((select count(*) from parley.get_active_call()), 0::bigint, 'CALL-HIS-14 and no active call');

-- get_call_grant (what call-token checks).
select tests.authenticate_as('c3000000-0000-0000-0000-000000000003');
select is((select room_name || ' ' || kind || ' ' || media || ' ' || max_participants || ' ' || display_name || ' ' || member_role
           from parley.get_call_grant((select id from ids where name = 'live'))),
  'parley-call-' || (select id from ids where name = 'live') || ' group audio 50 C3_Carol member',
  'CALL-GRANT-01 the caller gets their room, media, capacity, display name and role');
select is((select user_id from parley.get_call_grant((select id from ids where name = 'live'))), 'c3000000-0000-0000-0000-000000000003'::uuid,
  'CALL-GRANT-02 the identity is the caller''s own user id');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select * from parley.get_call_grant((select id from ids where name = 'live'))$$), '42501 not_accepted',
  'CALL-GRANT-03 a callee gets no grant before accepting');
select parley.accept_call((select id from ids where name = 'live'));
select is((select member_role from parley.get_call_grant((select id from ids where name = 'live'))), 'admin',
  'CALL-GRANT-04 after accepting they do, with their group role');
select is(tests.error_of($$select * from parley.get_call_grant((select id from ids where name = 'answered'))$$), '23505 call_over',
  'CALL-GRANT-05 an ended call gives no grant: call_over');
select is(tests.error_of($$select * from parley.get_call_grant('c3ffffff-0000-0000-0000-000000000000')$$), 'PT404 call_not_found',
  'CALL-GRANT-06 an unknown call: call_not_found');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select * from parley.get_call_grant((select id from ids where name = 'live'))$$), 'PT404 call_not_found',
  'CALL-GRANT-07 a stranger''s request looks like an unknown call');
select tests.authenticate_as('c3000000-0000-0000-0000-000000000002');
select parley.leave_call((select id from ids where name = 'live'));
select is(tests.error_of($$select * from parley.get_call_grant((select id from ids where name = 'live'))$$), '42501 not_accepted',
  'CALL-GRANT-08 after leaving, no grant until accept_call rejoins');
select tests.authenticate_as_anon();
select is(tests.error_of($$select * from parley.get_call_grant('c3ffffff-0000-0000-0000-000000000000')$$), '42501 -',
  'CALL-GRANT-09 anon cannot execute it');
select tests.clear_authentication();
select is((select count(*) from parley.calls c where c.status in ('ringing', 'active')
           and not exists (select 1 from parley.call_participants p where p.call_id = c.id and p.state = 'joined')), 0::bigint,
  'CALL-HIS-15 no live call is left with nobody in it');

-- Plan shape (not timed): my history is read from my participant rows in invited_at order.
set local enable_seqscan = off;
select ok(tests.plan_of($$select c.id from parley.call_participants me join parley.calls c on c.id = me.call_id
  where me.user_id = 'c3000000-0000-0000-0000-000000000001' order by me.invited_at desc, c.id desc limit 50$$)
  like '%call_participants_user_id_invited_at_idx%', 'CALL-HIS-16 history reads call_participants_user_id_invited_at_idx');
reset enable_seqscan;

select * from finish();
rollback;
