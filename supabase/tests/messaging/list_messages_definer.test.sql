-- list_messages as a security definer in parley_internal (issue 20's owner decision): it checks
-- membership once and reads the page without per-row RLS, so it must return nothing to a non-member,
-- a removed member or anon, and the messages table keeps its RLS policy as the second line for
-- direct reads. IDs: BENCH-48…61.
begin;
select plan(14);

-- Cast (prefix d3): member 01, member 02 (removed below), stranger 03.
select tests.create_user('d3000000-0000-0000-0000-000000000001', 'd3_member');
select tests.create_user('d3000000-0000-0000-0000-000000000002', 'd3_removed');
select tests.create_user('d3000000-0000-0000-0000-000000000003', 'd3_stranger');
-- Group d3c…01 with 60 messages; the member has hidden message 60 for themselves.
insert into parley.conversations (id, kind, title, last_seq)
values ('d3c00000-0000-0000-0000-000000000001', 'group', 'D3 group', 60);
insert into parley.conversation_members (conversation_id, user_id, role)
values ('d3c00000-0000-0000-0000-000000000001', 'd3000000-0000-0000-0000-000000000001', 'owner'),
       ('d3c00000-0000-0000-0000-000000000001', 'd3000000-0000-0000-0000-000000000002', 'member');
insert into parley.messages (id, conversation_id, seq, sender_id, body)
select ('d3e00000-0000-0000-0000-' || lpad(s::text, 12, '0'))::uuid, 'd3c00000-0000-0000-0000-000000000001', s,
       'd3000000-0000-0000-0000-000000000002', 'message ' || s
  from generate_series(1, 60) s;
insert into parley.message_hides (user_id, message_id)
values ('d3000000-0000-0000-0000-000000000001', 'd3e00000-0000-0000-0000-000000000060');

-- The shape the decision allows: a definer in the internal schema behind an invoker API wrapper.
select ok((select p.prosecdef and p.proconfig @> array['search_path=""'] from pg_proc p
            where p.oid = 'parley_internal.list_messages(uuid,bigint,bigint,integer)'::regprocedure),
  'BENCH-48 parley_internal.list_messages is security definer with search_path fixed to empty');
select ok((select not p.prosecdef from pg_proc p where p.oid = 'parley.list_messages(uuid,bigint,bigint,integer)'::regprocedure),
  'BENCH-49 parley.list_messages, the API call, stays security invoker');

-- A member reads pages as before.
select tests.authenticate_as('d3000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) || ' ' || max(seq) || ' ' || min(seq) from parley.list_messages('d3c00000-0000-0000-0000-000000000001')$$),
  '50 59 10', 'BENCH-50 a member reads the newest 50, without the message they hid');
select is(tests.value_of($$select string_agg(t.seq::text, ',' order by t.ordinality) from parley.list_messages('d3c00000-0000-0000-0000-000000000001', after_seq => 55) with ordinality t$$),
  '56,57,58,59', 'BENCH-51 and catches up oldest first after a seq');
select tests.clear_authentication();

-- A stranger: not found, whichever cursor, and nothing through the table either.
select tests.authenticate_as('d3000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select * from parley.list_messages('d3c00000-0000-0000-0000-000000000001')$$),
  'PT404 conversation_not_found', 'BENCH-52 a non-member gets conversation_not_found for the history page');
select is(tests.error_of($$select * from parley.list_messages('d3c00000-0000-0000-0000-000000000001', after_seq => 0, max_count => 200)$$),
  'PT404 conversation_not_found', 'BENCH-53 and for the catch-up page');
select is(tests.error_of($$select * from parley_internal.list_messages('d3c00000-0000-0000-0000-000000000001', null, null, 50)$$),
  'PT404 conversation_not_found', 'BENCH-54 calling the definer directly answers the same');
select tests.clear_authentication();

-- A removed member: nothing more, through the RPC or the table.
delete from parley.conversation_members
 where conversation_id = 'd3c00000-0000-0000-0000-000000000001' and user_id = 'd3000000-0000-0000-0000-000000000002';
select tests.authenticate_as('d3000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select * from parley.list_messages('d3c00000-0000-0000-0000-000000000001', after_seq => 0)$$),
  'PT404 conversation_not_found', 'BENCH-55 a removed member gets conversation_not_found');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id = 'd3c00000-0000-0000-0000-000000000001'$$),
  '0', 'BENCH-56 the table''s RLS stays the second line: a removed member reads no row of it directly');
select tests.clear_authentication();

-- anon: no execute on either function, no grant on the table.
select tests.authenticate_as_anon();
select is(tests.error_of($$select * from parley.list_messages('d3c00000-0000-0000-0000-000000000001')$$),
  '42501 -', 'BENCH-57 anon may not call list_messages');
select is(tests.error_of($$select * from parley_internal.list_messages('d3c00000-0000-0000-0000-000000000001', null, null, 50)$$),
  '42501 -', 'BENCH-58 nor the definer behind it');
select tests.clear_authentication();
select is(has_function_privilege('anon', 'parley_internal.list_messages(uuid,bigint,bigint,integer)', 'execute'), false,
  'BENCH-59 anon holds no execute privilege on parley_internal.list_messages');

-- A signed-in role without a user (no sub claim) is refused before anything is read.
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"role": "authenticated"}', true);
select is(tests.error_of($$select * from parley_internal.list_messages('d3c00000-0000-0000-0000-000000000001', null, null, 50)$$),
  '42501 not_authenticated', 'BENCH-60 a request without a user id is refused as not_authenticated');
select tests.clear_authentication();

-- The table's own policy is unchanged.
select ok((select relrowsecurity from pg_class where oid = 'parley.messages'::regclass)
          and exists (select 1 from pg_policies where schemaname = 'parley' and tablename = 'messages' and policyname = 'messages_select_member'),
  'BENCH-61 parley.messages keeps RLS on and its member select policy');

select * from finish();
rollback;
