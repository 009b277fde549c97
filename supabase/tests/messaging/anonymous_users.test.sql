-- Anonymous sign-ins (auth.signInAnonymously: a token with is_anonymous = true) under the setting
-- parley.settings.anonymous_users: "invited_only" by default, "full" on request.
-- IDs: ANON-xx (docs/SECURITY.md § Attacks we test).
begin;
select plan(22);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- Cast (prefix c7): ann 01 and bob 02 registered, zed 03 anonymous, stranger 04 registered.
select tests.create_user('c7000000-0000-0000-0000-000000000001', 'c7_ann');
select tests.create_user('c7000000-0000-0000-0000-000000000002', 'c7_bob');
select tests.create_user('c7000000-0000-0000-0000-000000000003', 'c7_zed');
select tests.create_user('c7000000-0000-0000-0000-000000000004', 'c7_stranger');
update auth.users set is_anonymous = true, email = null where id = 'c7000000-0000-0000-0000-000000000003';
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated;

-- Default: invited_only.
select tests.authenticate_as('c7000000-0000-0000-0000-000000000003', true);
select is((select array_agg(id) from parley.profiles), array['c7000000-0000-0000-0000-000000000003']::uuid[],
  'ANON-01 an anonymous user in no conversation sees only their own profile');
select is((select count(*) from parley.search_profiles('c7_')), 1::bigint, 'ANON-02 and cannot search the directory');
select is(tests.error_of($$select parley.get_or_create_direct_conversation('c7000000-0000-0000-0000-000000000004')$$),
  '42501 anonymous_not_allowed', 'ANON-03 cannot start a direct conversation with a stranger');
select is(tests.error_of($$select parley.send_direct_message('c7000000-0000-0000-0000-000000000004', 'hi', client_id => gen_random_uuid())$$),
  '42501 anonymous_not_allowed', 'ANON-04 nor message one');
select is(tests.error_of($$select parley.create_group('Spam', null, array['c7000000-0000-0000-0000-000000000004']::uuid[])$$),
  '42501 anonymous_not_allowed', 'ANON-05 nor create a group');
select tests.clear_authentication();
select is((select count(*) from parley.conversations c join parley.conversation_members m on m.conversation_id = c.id
            where m.user_id = 'c7000000-0000-0000-0000-000000000003'), 0::bigint, 'ANON-06 the refusals changed nothing');

-- Ann invites zed: a direct conversation from her side, and a group she owns.
select tests.authenticate_as('c7000000-0000-0000-0000-000000000001');
insert into ids select 'dm', id from parley.get_or_create_direct_conversation('c7000000-0000-0000-0000-000000000003');
insert into ids select 'group', id from parley.create_group('Support', null, array['c7000000-0000-0000-0000-000000000003', 'c7000000-0000-0000-0000-000000000002']::uuid[]);
select parley.set_member_role((select id from ids where name = 'group'), 'c7000000-0000-0000-0000-000000000003', 'admin');

select tests.authenticate_as('c7000000-0000-0000-0000-000000000003', true);
select is((select id from parley.get_or_create_direct_conversation('c7000000-0000-0000-0000-000000000001')), (select id from ids where name = 'dm'),
  'ANON-07 an anonymous user reaches the direct conversation someone started with them');
select is((select body from parley.send_direct_message('c7000000-0000-0000-0000-000000000001', 'hello ann', client_id => 'c7a00000-0000-0000-0000-000000000001')), 'hello ann',
  'ANON-08 and writes in it');
select is((select body from parley.send_message((select id from ids where name = 'group'), 'hi all', client_id => 'c7a00000-0000-0000-0000-000000000002')), 'hi all',
  'ANON-09 and in a group they were added to');
select is((select array_agg(kind || ':' || coalesce(body, '') order by seq) filter (where kind = 'text') from parley.list_messages((select id from ids where name = 'group'))),
  array['text:hi all'], 'ANON-10 and reads it');
select is((select array_agg(id order by id) from parley.profiles),
  array['c7000000-0000-0000-0000-000000000001', 'c7000000-0000-0000-0000-000000000002', 'c7000000-0000-0000-0000-000000000003']::uuid[],
  'ANON-11 they see the profiles of the people they share a conversation with, no one else');
select is(tests.error_of($$select parley.add_members((select id from ids where name = 'group'), array['c7000000-0000-0000-0000-000000000004']::uuid[])$$),
  '42501 anonymous_not_allowed', 'ANON-12 an anonymous admin still cannot add strangers');
select is(tests.error_of($$select parley.get_or_create_direct_conversation('c7000000-0000-0000-0000-000000000002')$$),
  '42501 anonymous_not_allowed', 'ANON-13 nor open a direct conversation with a fellow group member who did not start one');
select is((select status from parley.start_call((select id from ids where name = 'dm'), 'audio')), 'ringing',
  'ANON-14 calls in a conversation they were invited to work');

-- The same token claims, not anonymous: nothing changes for registered users.
select tests.authenticate_as('c7000000-0000-0000-0000-000000000004');
select ok((select count(*) from parley.profiles) >= 4, 'ANON-15 a registered user still reads the whole directory');
select ok((select id from parley.get_or_create_direct_conversation('c7000000-0000-0000-0000-000000000003')) is not null,
  'ANON-16 and may start a conversation with an anonymous user');

-- The service role switches the setting to full.
select tests.authenticate_as('c7000000-0000-0000-0000-000000000003', true);
select is(tests.error_of($$insert into parley.settings values ('anonymous_users', '"full"')$$), '42501 -',
  'ANON-17 users cannot change the setting');
select is((select value #>> '{}' from parley.settings where key = 'anonymous_users'), null, 'ANON-18 no row means the default');
select tests.authenticate_as_service_role();
select is(tests.error_of($$insert into parley.settings values ('anonymous_users', '"everything"')$$), '23514 -',
  'ANON-19 an unknown value is refused');
insert into parley.settings (key, value) values ('anonymous_users', '"full"');
select tests.authenticate_as('c7000000-0000-0000-0000-000000000003', true);
select ok((select count(*) from parley.profiles) >= 4, 'ANON-20 under full, an anonymous user reads the directory');
select ok((select id from parley.create_group('Mine', null, array['c7000000-0000-0000-0000-000000000004']::uuid[])) is not null,
  'ANON-21 and may create a group');
select ok((select id from parley.get_or_create_direct_conversation('c7000000-0000-0000-0000-000000000002')) is not null,
  'ANON-22 and start a direct conversation');

select * from finish();
rollback;
