-- Reading a conversation: the conversations select policy probes the primary key per row, so reading
-- one conversation costs the same for a member of 300 conversations as for anyone. IDs: CPLAN-*.
begin;
select plan(7);

-- Cast (prefix bc1): member 01 (in 300 groups), other member 02, stranger 03.
select tests.create_user('bc100000-0000-0000-0000-000000000001', 'bc1_member');
select tests.create_user('bc100000-0000-0000-0000-000000000002', 'bc1_other');
select tests.create_user('bc100000-0000-0000-0000-000000000003', 'bc1_stranger');
insert into parley.conversations (id, kind, title)
select ('bc1c0000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'group', 'BC1 group ' || g from generate_series(1, 300) g;
insert into parley.conversation_members (conversation_id, user_id, role)
select ('bc1c0000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'bc100000-0000-0000-0000-000000000001', 'owner'
  from generate_series(1, 300) g;
insert into parley.conversation_members (conversation_id, user_id, role)
values ('bc1c0000-0000-0000-0000-000000000001', 'bc100000-0000-0000-0000-000000000002', 'member');
analyze parley.conversations, parley.conversation_members;

select tests.authenticate_as('bc100000-0000-0000-0000-000000000001');
select is(tests.value_of($$select title from parley.conversations where id = 'bc1c0000-0000-0000-0000-000000000001'$$),
  'BC1 group 1', 'CPLAN-01 a member in 300 conversations reads one of them');
select is((select title from parley.get_group('bc1c0000-0000-0000-0000-000000000300')), 'BC1 group 300',
  'CPLAN-02 get_group answers a member of 300 conversations');
select is(tests.value_of($$select count(*) from parley.conversations where id::text like 'bc1c0000-%'$$), '300',
  'CPLAN-03 a member sees all of their conversations');
select tests.authenticate_as('bc100000-0000-0000-0000-000000000002');
select is(tests.value_of($$select count(*) from parley.conversations where id::text like 'bc1c0000-%'$$), '1',
  'CPLAN-04 another member sees only the conversation they share');
select tests.authenticate_as('bc100000-0000-0000-0000-000000000003');
select is(tests.value_of($$select count(*) from parley.conversations where id = 'bc1c0000-0000-0000-0000-000000000001'$$), '0',
  'CPLAN-05 a stranger sees nothing');

-- Plan: one conversation by id is a primary-key read plus one membership probe, never a scan of the
-- reader's memberships.
select tests.authenticate_as('bc100000-0000-0000-0000-000000000001');
select matches(tests.plan_of($$select * from parley.conversations where id = 'bc1c0000-0000-0000-0000-000000000001'$$),
  'Index (Only )?Scan using conversation_members_pkey on conversation_members',
  'CPLAN-06 reading a conversation by id probes conversation_members_pkey');
select doesnt_match(tests.plan_of($$select * from parley.conversations where id = 'bc1c0000-0000-0000-0000-000000000001'$$),
  'conversation_members_user_id_activity_idx', 'CPLAN-07 and never reads the list of the reader''s memberships');
select tests.clear_authentication();

select * from finish();
rollback;
