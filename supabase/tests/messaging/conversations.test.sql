-- parley.conversations and parley.conversation_members: RLS for every role and operation.
begin;
select plan(34);

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b2): owner 01, admin 02, member 03, stranger 04, direct partner 05.
select tests.create_user('b2000000-0000-0000-0000-000000000001', 'b2_owner');
select tests.create_user('b2000000-0000-0000-0000-000000000002', 'b2_admin');
select tests.create_user('b2000000-0000-0000-0000-000000000003', 'b2_member');
select tests.create_user('b2000000-0000-0000-0000-000000000004', 'b2_stranger');
select tests.create_user('b2000000-0000-0000-0000-000000000005', 'b2_partner');
insert into parley.conversations (id, kind, title, created_by) values
  ('b2c00000-0000-0000-0000-000000000001', 'group', 'B2 group', 'b2000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('b2c00000-0000-0000-0000-000000000002', 'direct', 'b2000000-0000-0000-0000-000000000001:b2000000-0000-0000-0000-000000000005', 'b2000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('b2c00000-0000-0000-0000-000000000001', 'b2000000-0000-0000-0000-000000000001', 'owner'),
  ('b2c00000-0000-0000-0000-000000000001', 'b2000000-0000-0000-0000-000000000002', 'admin'),
  ('b2c00000-0000-0000-0000-000000000001', 'b2000000-0000-0000-0000-000000000003', 'member'),
  ('b2c00000-0000-0000-0000-000000000002', 'b2000000-0000-0000-0000-000000000001', 'member'),
  ('b2c00000-0000-0000-0000-000000000002', 'b2000000-0000-0000-0000-000000000005', 'member');

-- conversations: select
select tests.authenticate_as('b2000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select count(*) from parley.conversations where id::text like 'b2c%'$$), '1',
  'CONV-01 a member sees their group and nothing else');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.conversations where id::text like 'b2c%'$$), '2',
  'CONV-02 the owner sees the group and their direct conversation');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select string_agg(kind, ',') from parley.conversations where id::text like 'b2c%'$$), 'direct',
  'CONV-03 the other party of a direct conversation sees it, not the group');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select count(*) from parley.conversations where id::text like 'b2c%'$$), '0',
  'CONV-04 a stranger sees no conversation');
select tests.authenticate_as_anon();
select is(tests.error_of($$select count(*) from parley.conversations$$), '42501 -', 'CONV-05 anon cannot read conversations');
select tests.authenticate_as_service_role();
select is(tests.value_of($$select count(*) from parley.conversations where id::text like 'b2c%'$$), '2',
  'CONV-06 service_role sees every conversation');

-- conversations: writes (only through RPCs)
select tests.authenticate_as('b2000000-0000-0000-0000-000000000001');
select is(tests.error_of($$insert into parley.conversations (kind, title) values ('group', 'mine')$$), '42501 -',
  'CONV-07 users cannot insert conversations directly (create_group does it)');
select is(tests.error_of($$update parley.conversations set title = 'renamed' where id = 'b2c00000-0000-0000-0000-000000000001'$$), '42501 -',
  'CONV-08 even the owner cannot update a conversation directly (update_group does it)');
select is(tests.error_of($$update parley.conversations set last_seq = 99 where id = 'b2c00000-0000-0000-0000-000000000001'$$), '42501 -',
  'CONV-09 nobody can forge last_seq');
select is(tests.error_of($$delete from parley.conversations where id = 'b2c00000-0000-0000-0000-000000000001'$$), '42501 -',
  'CONV-10 the owner cannot delete a conversation directly (delete_group does it)');
select tests.authenticate_as_anon();
select is(tests.error_of($$insert into parley.conversations (kind, title) values ('group', 'anon')$$), '42501 -',
  'CONV-11 anon cannot insert conversations');
select tests.authenticate_as_service_role();
select is(tests.rows_affected($$update parley.conversations set description = 'by service' where id = 'b2c00000-0000-0000-0000-000000000001'$$), 1::bigint,
  'CONV-12 service_role writes conversations directly');

-- conversation_members: select
select tests.authenticate_as('b2000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select count(*) from parley.conversation_members where conversation_id::text like 'b2c%'$$), '3',
  'CONV-13 a member sees every member of their group, not other conversations'' members');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select count(*) from parley.conversation_members where conversation_id::text like 'b2c%'$$), '2',
  'CONV-14 the other party sees both members of the direct conversation only');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select count(*) from parley.conversation_members where conversation_id::text like 'b2c%'$$), '0',
  'CONV-15 a stranger sees no membership');
select tests.authenticate_as_anon();
select is(tests.error_of($$select count(*) from parley.conversation_members$$), '42501 -', 'CONV-16 anon cannot read memberships');
select tests.authenticate_as_service_role();
select is(tests.value_of($$select count(*) from parley.conversation_members where conversation_id::text like 'b2c%'$$), '5',
  'CONV-17 service_role sees every membership');

-- conversation_members: a member's own settings
select tests.authenticate_as('b2000000-0000-0000-0000-000000000003');
select is(tests.rows_affected($$update parley.conversation_members set muted_until = now() + interval '1 hour'
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000003'$$), 1::bigint,
  'CONV-18 a member mutes the conversation for themselves');
select is(tests.rows_affected($$update parley.conversation_members set hidden_at = now()
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000003'$$), 1::bigint,
  'CONV-19 a member hides the conversation from their inbox');
select is(tests.rows_affected($$update parley.conversation_members set muted_until = now()
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000001'$$), 0::bigint,
  'CONV-20 a member cannot change another member''s settings (no row matched)');
select is(tests.error_of($$update parley.conversation_members set role = 'owner'
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000003'$$), '42501 -',
  'CONV-21 a member cannot promote themselves');
select is(tests.error_of($$update parley.conversation_members set last_read_seq = 5
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000003'$$), '42501 -',
  'CONV-22 the read cursor moves only through mark_read');
select is(tests.error_of($$insert into parley.conversation_members (conversation_id, user_id) values
  ('b2c00000-0000-0000-0000-000000000002', 'b2000000-0000-0000-0000-000000000003')$$), '42501 -',
  'CONV-23 users cannot add themselves to a conversation');
select is(tests.error_of($$delete from parley.conversation_members where user_id = 'b2000000-0000-0000-0000-000000000003'$$), '42501 -',
  'CONV-24 members cannot delete memberships directly (leave_group does it)');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000001');
select is(tests.error_of($$delete from parley.conversation_members where user_id = 'b2000000-0000-0000-0000-000000000003'$$), '42501 -',
  'CONV-25 the owner cannot delete memberships directly (remove_member does it)');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000002');
select is(tests.rows_affected($$update parley.conversation_members set muted_until = null
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000003'$$), 0::bigint,
  'CONV-26 an admin cannot change a member''s settings');
select tests.authenticate_as('b2000000-0000-0000-0000-000000000004');
select is(tests.rows_affected($$update parley.conversation_members set hidden_at = null
  where conversation_id = 'b2c00000-0000-0000-0000-000000000001'$$), 0::bigint,
  'CONV-27 a stranger updates nothing');
select tests.authenticate_as_anon();
select is(tests.error_of($$update parley.conversation_members set hidden_at = null$$), '42501 -', 'CONV-28 anon cannot update memberships');
select tests.clear_authentication();
select is((select role || '/' || last_read_seq from parley.conversation_members
           where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000003'),
  'member/0', 'CONV-29 refused writes changed nothing');
select is((select muted_until from parley.conversation_members
           where conversation_id = 'b2c00000-0000-0000-0000-000000000001' and user_id = 'b2000000-0000-0000-0000-000000000001'),
  null, 'CONV-30 the owner''s settings were not touched by others');

-- Invariants held by constraints
select is(tests.error_of($$insert into parley.conversations (kind, direct_key) values ('direct',
  'b2000000-0000-0000-0000-000000000001:b2000000-0000-0000-0000-000000000005')$$), '23505 -',
  'CONV-31 a second direct conversation for the same pair is impossible');
select is(tests.error_of($$insert into parley.conversations (kind) values ('direct')$$), '23514 -',
  'CONV-32 a direct conversation needs its pair key');
select is(tests.error_of($$insert into parley.conversation_members (conversation_id, user_id, role) values
  ('b2c00000-0000-0000-0000-000000000001', 'b2000000-0000-0000-0000-000000000004', 'king')$$), '23514 -',
  'CONV-33 roles are owner, admin or member');
select is(tests.value_of($$select count(*) from pg_indexes where schemaname = 'parley' and tablename = 'conversation_members'
  and indexdef like '%(user_id, last_activity_second DESC, conversation_id DESC)%'$$), '1',
  'CONV-34 conversation_members has its user_id index (policies and the inbox use it)');

select * from finish();
rollback;
