-- Threads: replies under a root, one level deep, kept out of the timeline unless also sent to it; the
-- root's summary; the conversation's unread count and cursor cover thread replies.
-- IDs: THR-xx (docs/messaging.md § Tests).
begin;
-- Adds here are memberships at once (consent for group adds is tested in supabase/tests/safety/).
insert into parley.settings (key, value) values ('group_invitations', '"off"');
select plan(16);

-- Cast (prefix cb): ann 01, bob 02, cat 03 (members), out 04 (stranger).
select tests.create_user('cb000000-0000-0000-0000-000000000001', 'cb_ann');
select tests.create_user('cb000000-0000-0000-0000-000000000002', 'cb_bob');
select tests.create_user('cb000000-0000-0000-0000-000000000003', 'cb_cat');
select tests.create_user('cb000000-0000-0000-0000-000000000004', 'cb_out');
create temp table ids (name text primary key, id uuid, seq bigint);
grant all on ids to authenticated;

select tests.authenticate_as('cb000000-0000-0000-0000-000000000001');
insert into ids (name, id) select 'group', id from parley.create_group('CB', null,
  array['cb000000-0000-0000-0000-000000000002', 'cb000000-0000-0000-0000-000000000003']::uuid[]);
insert into ids (name, id, seq) select 'root', id, seq from parley.send_message((select id from ids where name = 'group'), 'release plan?');
select tests.authenticate_as('cb000000-0000-0000-0000-000000000002');
insert into ids (name, id, seq) select 'r1', id, seq from parley.send_thread_reply((select id from ids where name = 'root'), 'friday', client_id => 'cb0f0000-0000-0000-0000-000000000001');
select tests.authenticate_as('cb000000-0000-0000-0000-000000000003');
insert into ids (name, id, seq) select 'r2', id, seq from parley.send_thread_reply((select id from ids where name = 'root'), 'friday works', also_in_conversation => true);
select tests.authenticate_as('cb000000-0000-0000-0000-000000000002');
insert into ids (name, id, seq) select 'r3', id, seq from parley.send_thread_reply((select id from ids where name = 'root'), 'ok');

select is((select thread_reply_count || ' ' || array_to_string(thread_participants, ',') from parley.messages where id = (select id from ids where name = 'root')),
  '3 cb000000-0000-0000-0000-000000000002,cb000000-0000-0000-0000-000000000003', 'THR-01 the root counts the replies and who replied, once each');
select is((select thread_last_reply_at from parley.messages where id = (select id from ids where name = 'root')),
  (select created_at from parley.messages where id = (select id from ids where name = 'r3')), 'THR-02 and when the last reply came');
select is((select array_agg(body order by seq desc) from parley.list_thread((select id from ids where name = 'root'))),
  array['ok', 'friday works', 'friday'], 'THR-03 list_thread gives the replies newest first');
select is((select array_agg(body order by seq) from parley.list_thread((select id from ids where name = 'root'), after_seq => (select seq from ids where name = 'r1'))),
  array['friday works', 'ok'], 'THR-04 after_seq catches up a thread, oldest first');
select is((select array_agg(body order by seq desc) from parley.list_thread((select id from ids where name = 'root'), before_seq => (select seq from ids where name = 'r3'), max_count => 1)),
  array['friday works'], 'THR-05 before_seq pages back');
select is((select array_agg(coalesce(body, kind) order by seq) from parley.list_messages((select id from ids where name = 'group')) where kind <> 'system'),
  array['release plan?', 'friday works'], 'THR-06 the timeline shows the root and the reply also sent to it, not the thread-only replies');
select is((select id from parley.send_thread_reply((select id from ids where name = 'root'), 'friday', client_id => 'cb0f0000-0000-0000-0000-000000000001')),
  (select id from ids where name = 'r1'), 'THR-07 a retried reply with the same client_id is the first one');
select is((select thread_reply_count from parley.messages where id = (select id from ids where name = 'root')), 3, 'THR-08 and is not counted twice');

-- Refusals.
select is(tests.error_of($$select parley.send_thread_reply((select id from ids where name = 'r1'), 'nested')$$), '22023 not_a_thread_root',
  'THR-09 threads are one level deep');
select is(tests.error_of($$select parley.send_thread_reply((select id from parley.messages where conversation_id = (select id from ids where name = 'group') and kind = 'system' limit 1), 'x')$$),
  '22023 not_a_thread_root', 'THR-10 a system message starts no thread');
select tests.authenticate_as('cb000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.send_thread_reply((select id from ids where name = 'root'), 'let me in')$$), 'PT404 message_not_found',
  'THR-11 strangers cannot reply');
select is(tests.error_of($$select * from parley.list_thread((select id from ids where name = 'root'))$$), 'PT404 message_not_found',
  'THR-12 nor read the thread');

-- Unread: one cursor for the conversation, thread replies included.
select tests.authenticate_as('cb000000-0000-0000-0000-000000000001');
select is((select unread_count from parley.list_conversations() where conversation_id = (select id from ids where name = 'group')), 3::bigint,
  'THR-13 the conversation''s unread count includes thread replies');
select parley.mark_read((select id from ids where name = 'group'));
select is((select unread_count from parley.list_conversations() where conversation_id = (select id from ids where name = 'group')), 0::bigint,
  'THR-14 reading the conversation reads its threads');
select tests.authenticate_as('cb000000-0000-0000-0000-000000000003');
select parley.delete_message((select id from ids where name = 'r2'));
select tests.authenticate_as('cb000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.send_thread_reply((select id from ids where name = 'r2'), 'x')$$), '22023 not_a_thread_root',
  'THR-15 a deleted reply is still a reply');
select parley.delete_message((select id from ids where name = 'root'));
select is(tests.error_of($$select parley.send_thread_reply((select id from ids where name = 'root'), 'x')$$), '22023 message_deleted',
  'THR-16 a deleted root takes no more replies');

select * from finish();
rollback;
