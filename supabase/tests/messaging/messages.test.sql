-- parley.messages: RLS for every role and operation, constraints, and the plan shape of history reads.
begin;
select plan(24);

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b3): owner 01, admin 02, member 03, stranger 04, direct partner 05.
select tests.create_user('b3000000-0000-0000-0000-000000000001', 'b3_owner');
select tests.create_user('b3000000-0000-0000-0000-000000000002', 'b3_admin');
select tests.create_user('b3000000-0000-0000-0000-000000000003', 'b3_member');
select tests.create_user('b3000000-0000-0000-0000-000000000004', 'b3_stranger');
select tests.create_user('b3000000-0000-0000-0000-000000000005', 'b3_partner');
insert into parley.conversations (id, kind, title, created_by, last_seq) values
  ('b3c00000-0000-0000-0000-000000000001', 'group', 'B3 group', 'b3000000-0000-0000-0000-000000000001', 1500);
insert into parley.conversations (id, kind, direct_key, created_by, last_seq) values
  ('b3c00000-0000-0000-0000-000000000002', 'direct', 'b3000000-0000-0000-0000-000000000001:b3000000-0000-0000-0000-000000000005',
   'b3000000-0000-0000-0000-000000000001', 500);
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('b3c00000-0000-0000-0000-000000000001', 'b3000000-0000-0000-0000-000000000001', 'owner'),
  ('b3c00000-0000-0000-0000-000000000001', 'b3000000-0000-0000-0000-000000000002', 'admin'),
  ('b3c00000-0000-0000-0000-000000000001', 'b3000000-0000-0000-0000-000000000003', 'member'),
  ('b3c00000-0000-0000-0000-000000000002', 'b3000000-0000-0000-0000-000000000001', 'member'),
  ('b3c00000-0000-0000-0000-000000000002', 'b3000000-0000-0000-0000-000000000005', 'member');
insert into parley.messages (conversation_id, seq, sender_id, body)
select 'b3c00000-0000-0000-0000-000000000001', s, 'b3000000-0000-0000-0000-000000000003', 'group message ' || s
  from generate_series(1, 1500) s;
insert into parley.messages (conversation_id, seq, sender_id, body)
select 'b3c00000-0000-0000-0000-000000000002', s, 'b3000000-0000-0000-0000-000000000001', 'direct message ' || s
  from generate_series(1, 500) s;
analyze parley.messages;
analyze parley.conversation_members;

-- select, per role
select tests.authenticate_as('b3000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id::text like 'b3c%'$$), '1500',
  'MSG-01 a member reads every message of their group and none of other conversations');
select tests.authenticate_as('b3000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001'$$), '1500',
  'MSG-02 an admin reads the group''s messages');
select tests.authenticate_as('b3000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id::text like 'b3c%'$$), '2000',
  'MSG-03 the owner reads the group and their direct conversation');
select tests.authenticate_as('b3000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id::text like 'b3c%'$$), '500',
  'MSG-04 the other party of a direct conversation reads it, not the group');
select tests.authenticate_as('b3000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id::text like 'b3c%'$$), '0',
  'MSG-05 a stranger reads nothing (2000 messages exist)');
select tests.authenticate_as_anon();
select is(tests.error_of($$select count(*) from parley.messages$$), '42501 -', 'MSG-06 anon cannot read messages');
select tests.authenticate_as_service_role();
select is(tests.value_of($$select count(*) from parley.messages where conversation_id::text like 'b3c%'$$), '2000',
  'MSG-07 service_role reads every message');

-- writes: only through RPCs
select tests.authenticate_as('b3000000-0000-0000-0000-000000000003');
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, sender_id, body) values
  ('b3c00000-0000-0000-0000-000000000001', 9999, 'b3000000-0000-0000-0000-000000000003', 'forged')$$), '42501 -',
  'MSG-08 a member cannot insert messages directly (send_message assigns seq)');
select is(tests.error_of($$update parley.messages set body = 'edited' where conversation_id = 'b3c00000-0000-0000-0000-000000000001' and seq = 1$$), '42501 -',
  'MSG-09 a sender cannot update messages directly (edit_message does it)');
select is(tests.error_of($$delete from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' and seq = 1$$), '42501 -',
  'MSG-10 a sender cannot delete messages directly (delete_message tombstones)');
select tests.authenticate_as('b3000000-0000-0000-0000-000000000001');
select is(tests.error_of($$delete from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001'$$), '42501 -',
  'MSG-11 the group owner cannot delete messages directly');
select tests.authenticate_as('b3000000-0000-0000-0000-000000000004');
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, sender_id, body) values
  ('b3c00000-0000-0000-0000-000000000001', 9999, 'b3000000-0000-0000-0000-000000000004', 'spam')$$), '42501 -',
  'MSG-12 a stranger cannot insert messages');
select tests.authenticate_as_anon();
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, body) values
  ('b3c00000-0000-0000-0000-000000000001', 9999, 'anon')$$), '42501 -', 'MSG-13 anon cannot insert messages');
select tests.authenticate_as_service_role();
select is(tests.rows_affected($$update parley.messages set metadata = '{"by": "service"}' where conversation_id = 'b3c00000-0000-0000-0000-000000000001' and seq = 1$$),
  1::bigint, 'MSG-14 service_role writes messages directly');
select tests.clear_authentication();
select is((select body from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' and seq = 1),
  'group message 1', 'MSG-15 refused writes changed nothing');

-- constraints
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, sender_id, body) values
  ('b3c00000-0000-0000-0000-000000000001', 1, 'b3000000-0000-0000-0000-000000000003', 'dup seq')$$), '23505 -',
  'MSG-16 seq is unique within a conversation');
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, sender_id, kind, body) values
  ('b3c00000-0000-0000-0000-000000000001', 5000, 'b3000000-0000-0000-0000-000000000003', 'image', 'no file')$$), '23514 -',
  'MSG-17 attachment kinds need an attachment (table constraint)');
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, sender_id, body, deleted_at) values
  ('b3c00000-0000-0000-0000-000000000001', 5001, 'b3000000-0000-0000-0000-000000000003', 'ghost', now())$$), '23514 -',
  'MSG-18 a tombstone keeps no body');
select is(tests.error_of($$insert into parley.messages (conversation_id, seq, sender_id, body, client_id) values
  ('b3c00000-0000-0000-0000-000000000001', 5002, 'b3000000-0000-0000-0000-000000000003', 'a', 'b3d00000-0000-0000-0000-000000000001'),
  ('b3c00000-0000-0000-0000-000000000002', 5002, 'b3000000-0000-0000-0000-000000000003', 'b', 'b3d00000-0000-0000-0000-000000000001')$$), '23505 -',
  'MSG-19 client_id is unique per sender');

-- plan shape: history under RLS reads the (conversation_id, seq desc) index, newest first, no sort
select tests.authenticate_as('b3000000-0000-0000-0000-000000000003');
select matches(tests.plan_of($$select * from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' order by seq desc limit 50$$),
  'Index Scan using messages_conversation_id_seq_idx on messages',
  'MSG-20 the history page as a member uses messages_conversation_id_seq_idx');
select doesnt_match(tests.plan_of($$select * from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' order by seq desc limit 50$$),
  '(Seq Scan on messages|Sort)', 'MSG-21 the history page as a member neither scans nor sorts the table');
select matches(tests.plan_of($$select * from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' and seq < 700 order by seq desc limit 50$$),
  'Index Cond: \(\(conversation_id = .*\) AND \(seq < 700\)\)',
  'MSG-22 paging back with a seq cursor is an index range, not a filter');
select matches(tests.plan_of($$select * from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' and seq > 1400 order by seq limit 200$$),
  'Index Cond: \(\(conversation_id = .*\) AND \(seq > 1400\)\)',
  'MSG-23 catch-up (seq > last seen) is an index range on the same index');
select matches(tests.plan_of($$select * from parley.messages where conversation_id = 'b3c00000-0000-0000-0000-000000000001' order by seq desc limit 50$$),
  'conversation_id = messages\.conversation_id',
  'MSG-24 the membership check probes conversation_members for the row''s own conversation (not a hash of all the reader''s memberships; sized plans in messaging/history_plan.test.sql)');

select * from finish();
rollback;
