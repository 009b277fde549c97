-- list_messages and list_direct_messages: newest-first history with a cursor, catch-up after a seq, errors.
begin;
select plan(18);

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b5): owner 01, member 03, stranger 04, partner 05.
select tests.create_user('b5000000-0000-0000-0000-000000000001', 'b5_owner');
select tests.create_user('b5000000-0000-0000-0000-000000000003', 'b5_member');
select tests.create_user('b5000000-0000-0000-0000-000000000004', 'b5_stranger');
select tests.create_user('b5000000-0000-0000-0000-000000000005', 'b5_partner');
insert into parley.conversations (id, kind, title, created_by) values
  ('b5c00000-0000-0000-0000-000000000001', 'group', 'B5 group', 'b5000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('b5c00000-0000-0000-0000-000000000001', 'b5000000-0000-0000-0000-000000000001', 'owner'),
  ('b5c00000-0000-0000-0000-000000000001', 'b5000000-0000-0000-0000-000000000003', 'member');
select tests.authenticate_as('b5000000-0000-0000-0000-000000000003');
select count(*) from (select parley.send_message('b5c00000-0000-0000-0000-000000000001', 'm' || s) from generate_series(1, 12) s) x;

-- history
select is(tests.value_of($$select string_agg(seq::text, ',' order by ord) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', max_count => 5) with ordinality as t(id, conversation_id, seq, sender_id, kind, body, attachment, metadata, reply_to_id, client_id, created_at, edited_at, deleted_at, ord)$$),
  '12,11,10,9,8', 'LIST-01 the first page is the newest messages, newest first');
select is(tests.value_of($$select string_agg(seq::text, ',' order by seq desc) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', before_seq => 8, max_count => 5)$$),
  '7,6,5,4,3', 'LIST-02 before_seq pages back from the last row seen');
select is(tests.value_of($$select string_agg(seq::text, ',' order by seq desc) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', before_seq => 3, max_count => 5)$$),
  '2,1', 'LIST-03 the last page is short');
select is(tests.value_of($$select count(*) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', before_seq => 1)$$),
  '0', 'LIST-04 nothing before seq 1');
-- catch-up
select is(tests.value_of($$select string_agg(seq::text, ',' order by ord) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', after_seq => 9) with ordinality as t(id, conversation_id, seq, sender_id, kind, body, attachment, metadata, reply_to_id, client_id, created_at, edited_at, deleted_at, ord)$$),
  '10,11,12', 'LIST-05 after_seq returns every later message, oldest first');
select is(tests.value_of($$select string_agg(seq::text, ',' order by seq) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', after_seq => 0, max_count => 3)$$),
  '1,2,3', 'LIST-06 catch-up pages forward with max_count');
select is(tests.value_of($$select count(*) from parley.list_messages('b5c00000-0000-0000-0000-000000000001', after_seq => 12)$$),
  '0', 'LIST-07 nothing after the last seq');
-- errors
select is(tests.error_of($$select * from parley.list_messages('b5c00000-0000-0000-0000-000000000001', before_seq => 5, after_seq => 2)$$),
  '22023 cursor_conflict', 'LIST-08 before_seq and after_seq together are refused');
select is(tests.error_of($$select * from parley.list_messages('b5c00000-0000-0000-0000-000000000001', max_count => 0)$$),
  '22023 invalid_page_size', 'LIST-09 max_count below 1 is refused');
select is(tests.error_of($$select * from parley.list_messages('b5c00000-0000-0000-0000-000000000001', max_count => 201)$$),
  '22023 invalid_page_size', 'LIST-10 max_count above 200 is refused');
select tests.authenticate_as('b5000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select * from parley.list_messages('b5c00000-0000-0000-0000-000000000001')$$),
  'PT404 conversation_not_found', 'LIST-11 a stranger cannot list a group''s messages');
select tests.authenticate_as_anon();
select is(tests.error_of($$select * from parley.list_messages('b5c00000-0000-0000-0000-000000000001')$$),
  '42501 -', 'LIST-12 anon cannot call list_messages');

-- direct
select tests.authenticate_as('b5000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.list_direct_messages('b5000000-0000-0000-0000-000000000005')$$),
  '0', 'LIST-13 before the first direct message the list is empty (nothing is created)');
select is((select count(*) from parley.conversations where kind = 'direct' and direct_key like '%b5000000-0000-0000-0000-000000000005'),
  0::bigint, 'LIST-14 listing did not create a conversation');
select count(*) from (select parley.send_direct_message('b5000000-0000-0000-0000-000000000005', 'd' || s) from generate_series(1, 3) s) x;
select tests.authenticate_as('b5000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select string_agg(body, ',' order by seq desc) from parley.list_direct_messages('b5000000-0000-0000-0000-000000000001')$$),
  'd3,d2,d1', 'LIST-15 the other party lists the direct messages newest first');
select is(tests.value_of($$select string_agg(body, ',' order by seq) from parley.list_direct_messages('b5000000-0000-0000-0000-000000000001', after_seq => 1)$$),
  'd2,d3', 'LIST-16 direct catch-up after a seq');
select tests.authenticate_as('b5000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select count(*) from parley.list_direct_messages('b5000000-0000-0000-0000-000000000001')$$),
  '0', 'LIST-17 a stranger sees no direct messages of others');
select is(tests.value_of($$select count(*) from parley.messages where body like 'd_'$$), '0',
  'LIST-18 nor through the table');

select * from finish();
rollback;
