-- add_members, remove_member, set_member_role, leave_group, list_members: roles, invariants, system messages.
begin;
select plan(41);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b9): owner 01, admin 02, member 03, stranger 04, partner 05, newcomers 06-08.
select tests.create_user('b9000000-0000-0000-0000-000000000001', 'b9_owner');
select tests.create_user('b9000000-0000-0000-0000-000000000002', 'b9_admin');
select tests.create_user('b9000000-0000-0000-0000-000000000003', 'b9_member');
select tests.create_user('b9000000-0000-0000-0000-000000000004', 'b9_stranger');
select tests.create_user('b9000000-0000-0000-0000-000000000005', 'b9_partner');
select tests.create_user('b9000000-0000-0000-0000-000000000006', 'b9_new1');
select tests.create_user('b9000000-0000-0000-0000-000000000007', 'b9_new2');
select tests.create_user('b9000000-0000-0000-0000-000000000008', 'b9_new3');
insert into parley.conversations (id, kind, title, created_by) values
  ('b9c00000-0000-0000-0000-000000000001', 'group', 'B9 group', 'b9000000-0000-0000-0000-000000000001'),
  ('b9c00000-0000-0000-0000-000000000002', 'group', 'B9 handover', 'b9000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('b9c00000-0000-0000-0000-000000000003', 'direct', 'b9000000-0000-0000-0000-000000000001:b9000000-0000-0000-0000-000000000005', 'b9000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role, joined_at) values
  ('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000001', 'owner', now() - interval '3 day'),
  ('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000002', 'admin', now() - interval '2 day'),
  ('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000003', 'member', now() - interval '1 day'),
  ('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000001', 'owner', now() - interval '5 day'),
  ('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000003', 'member', now() - interval '4 day'),
  ('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000006', 'member', now() - interval '3 day'),
  ('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000002', 'admin', now() - interval '1 day'),
  ('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000007', 'admin', now() - interval '2 day'),
  ('b9c00000-0000-0000-0000-000000000003', 'b9000000-0000-0000-0000-000000000001', 'member', now()),
  ('b9c00000-0000-0000-0000-000000000003', 'b9000000-0000-0000-0000-000000000005', 'member', now());
create function pg_temp.role_of(g uuid, u uuid) returns text language sql as $f$
  select coalesce((select role from parley.conversation_members where conversation_id = g and user_id = u), '<none>') $f$;
create function pg_temp.last_event(g uuid) returns text language sql as $f$
  select metadata ->> 'event' from parley.messages where conversation_id = g order by seq desc limit 1 $f$;

-- add_members
select tests.authenticate_as('b9000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select count(*) from parley.add_members('b9c00000-0000-0000-0000-000000000001',
  array['b9000000-0000-0000-0000-000000000006', 'b9000000-0000-0000-0000-000000000003', 'b9000000-0000-0000-0000-000000000006']::uuid[])$$), '1',
  'ADD-01 an admin adds a user; existing members and duplicates are skipped');
select tests.clear_authentication();
select is(pg_temp.role_of('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000006'), 'member', 'ADD-02 the new user is a member');
select is(pg_temp.last_event('b9c00000-0000-0000-0000-000000000001'), 'members_added', 'ADD-03 a system message records the addition');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.add_members('b9c00000-0000-0000-0000-000000000001', array['b9000000-0000-0000-0000-000000000007']::uuid[])$$), '1',
  'ADD-04 the owner adds a user');
select is(tests.value_of($$select count(*) from parley.add_members('b9c00000-0000-0000-0000-000000000001', '{}')$$), '0', 'ADD-05 adding nobody is a no-op');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000001', array['b9000000-0000-0000-0000-0000000000ff']::uuid[])$$),
  'PT404 user_not_found', 'ADD-06 unknown users are refused');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000001', (select array_agg(gen_random_uuid()) from generate_series(1, 200)))$$),
  'PT404 user_not_found', 'ADD-07 a list the group could hold is refused for its unknown users');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000003', array['b9000000-0000-0000-0000-000000000008']::uuid[])$$),
  '22023 not_a_group', 'ADD-08 nobody can be added to a direct conversation');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000001', array['b9000000-0000-0000-0000-000000000008']::uuid[])$$),
  '42501 insufficient_role', 'ADD-09 a member cannot add members');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000001', array['b9000000-0000-0000-0000-000000000004']::uuid[])$$),
  'PT404 conversation_not_found', 'ADD-10 a stranger cannot add themselves');
select tests.clear_authentication();
select is(pg_temp.role_of('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000008'), '<none>', 'ADD-11 refused additions changed nothing');
-- the member limit: fill the group to 256 with throwaway profiles, then one more is refused
insert into auth.users (id, email, raw_user_meta_data)
select ('b9e00000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid, 'b9bulk' || s || '@example.test', jsonb_build_object('username', 'b9bulk' || s)
  from generate_series(1, 251) s;
select tests.authenticate_as('b9000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.add_members('b9c00000-0000-0000-0000-000000000001',
  (select array_agg(('b9e00000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid) from generate_series(1, 251) s))$$), '251',
  'ADD-12 a group can grow to exactly 256 members');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000001', array['b9000000-0000-0000-0000-000000000008']::uuid[])$$),
  '22023 too_many_members', 'ADD-13 the 257th member is refused');
select is(tests.error_of($$select parley.add_members('b9c00000-0000-0000-0000-000000000001',
  (select array_agg(gen_random_uuid()) from generate_series(1, 10000)))$$), '22023 too_many_members',
  'ADD-14 10,000 unknown ids are refused as too many, before any is looked up (not user_not_found)');

-- remove_member
select tests.authenticate_as('b9000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.remove_member('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000006')$$), 'no error',
  'REM-01 an admin removes a member');
select tests.clear_authentication();
select is(pg_temp.role_of('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000006') || '/' || pg_temp.last_event('b9c00000-0000-0000-0000-000000000001'),
  '<none>/member_removed', 'REM-02 the member is gone and a system message says so');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.remove_member('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000001')$$),
  '42501 cannot_remove_owner', 'REM-03 an admin never removes the owner');
select is(tests.error_of($$select parley.remove_member('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000002')$$),
  '22023 cannot_remove_self', 'REM-04 removing yourself is leave_group''s job');
select is(tests.error_of($$select parley.remove_member('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000004')$$),
  'PT404 member_not_found', 'REM-05 removing a non-member is refused');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.remove_member('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000007')$$),
  '42501 insufficient_role', 'REM-06 a member cannot remove others');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.remove_member('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000007')$$), 'no error',
  'REM-07 the owner removes a member');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000007');
select is(tests.error_of($$select * from parley.list_messages('b9c00000-0000-0000-0000-000000000001')$$), 'PT404 conversation_not_found',
  'REM-08 a removed member no longer reads the group');

-- set_member_role
select tests.authenticate_as('b9000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000003', 'admin')$$),
  '42501 insufficient_role', 'ROLE-01 an admin cannot change roles');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select role from parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000003', 'admin')$$),
  'admin', 'ROLE-02 the owner promotes a member to admin');
select is(tests.value_of($$select role from parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000003', 'member')$$),
  'member', 'ROLE-03 the owner demotes an admin');
select is(tests.error_of($$select parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000003', 'god')$$),
  '22023 invalid_role', 'ROLE-04 unknown roles are refused');
select is(tests.error_of($$select parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000001', 'member')$$),
  '22023 cannot_change_own_role', 'ROLE-05 the owner cannot demote themselves (the group would have no owner)');
select is(tests.error_of($$select parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000004', 'admin')$$),
  'PT404 member_not_found', 'ROLE-06 a non-member gets no role');
select is(tests.value_of($$select role from parley.set_member_role('b9c00000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000002', 'owner')$$),
  'owner', 'ROLE-07 making someone owner transfers ownership');
select tests.clear_authentication();
select is((select string_agg(role, ',' order by user_id) from parley.conversation_members where conversation_id = 'b9c00000-0000-0000-0000-000000000001'
            and user_id in ('b9000000-0000-0000-0000-000000000001', 'b9000000-0000-0000-0000-000000000002')),
  'admin,owner', 'ROLE-08 the old owner becomes an admin: exactly one owner');

-- leave_group (b9c…02: owner 01, members 03 (oldest) and 06, admins 07 (older) and 02)
select tests.authenticate_as('b9000000-0000-0000-0000-000000000006');
select is(tests.error_of($$select parley.leave_group('b9c00000-0000-0000-0000-000000000002')$$), 'no error', 'LEAVE-01 a member leaves');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000001');
select parley.leave_group('b9c00000-0000-0000-0000-000000000002');
select tests.clear_authentication();
select is(pg_temp.role_of('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000007'), 'owner',
  'LEAVE-02 a leaving owner hands ownership to the longest-standing admin');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000007');
select parley.leave_group('b9c00000-0000-0000-0000-000000000002');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000002');
select parley.leave_group('b9c00000-0000-0000-0000-000000000002');
select tests.clear_authentication();
select is(pg_temp.role_of('b9c00000-0000-0000-0000-000000000002', 'b9000000-0000-0000-0000-000000000003'), 'owner',
  'LEAVE-03 with no admin left, the longest-standing member becomes owner');
select is(pg_temp.last_event('b9c00000-0000-0000-0000-000000000002'), 'member_left', 'LEAVE-04 leaving writes a system message');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000003');
select parley.leave_group('b9c00000-0000-0000-0000-000000000002');
select tests.clear_authentication();
select is((select count(*) from parley.conversations where id = 'b9c00000-0000-0000-0000-000000000002'), 0::bigint,
  'LEAVE-05 when the last member leaves, the group is deleted');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000005');
select is(tests.error_of($$select parley.leave_group('b9c00000-0000-0000-0000-000000000003')$$), '22023 not_a_group', 'LEAVE-06 a direct conversation cannot be left');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.leave_group('b9c00000-0000-0000-0000-000000000001')$$), 'PT404 conversation_not_found', 'LEAVE-07 a stranger cannot leave what they are not in');

-- the owner's account is deleted: ownership moves on (b9c…04: owner 08, admin 06, member 05)
select tests.clear_authentication();
insert into parley.conversations (id, kind, title) values ('b9c00000-0000-0000-0000-000000000004', 'group', 'B9 orphan');
insert into parley.conversation_members (conversation_id, user_id, role, joined_at) values
  ('b9c00000-0000-0000-0000-000000000004', 'b9000000-0000-0000-0000-000000000008', 'owner', now() - interval '3 day'),
  ('b9c00000-0000-0000-0000-000000000004', 'b9000000-0000-0000-0000-000000000005', 'member', now() - interval '2 day'),
  ('b9c00000-0000-0000-0000-000000000004', 'b9000000-0000-0000-0000-000000000006', 'admin', now() - interval '1 day');
delete from auth.users where id = 'b9000000-0000-0000-0000-000000000008';
select is(pg_temp.role_of('b9c00000-0000-0000-0000-000000000004', 'b9000000-0000-0000-0000-000000000006'), 'owner',
  'LEAVE-08 when the owner''s account is deleted, the longest-standing admin becomes owner');
delete from auth.users where id in ('b9000000-0000-0000-0000-000000000006', 'b9000000-0000-0000-0000-000000000005');
select is((select count(*) from parley.conversations where id = 'b9c00000-0000-0000-0000-000000000004'), 0::bigint,
  'LEAVE-09 a group whose every member''s account is deleted is deleted');

-- list_members
select tests.authenticate_as('b9000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select username from parley.list_members('b9c00000-0000-0000-0000-000000000001') limit 1$$), 'b9_admin',
  'LIST-M-01 members are listed owner first, with profiles');
select tests.authenticate_as('b9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select * from parley.list_members('b9c00000-0000-0000-0000-000000000001')$$), 'PT404 conversation_not_found',
  'LIST-M-02 a stranger cannot list members');

select * from finish();
rollback;
