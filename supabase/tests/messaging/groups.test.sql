-- create_group, get_group, update_group, delete_group: roles, limits, system messages.
begin;
select plan(30);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b8): owner 01, admin 02, member 03, stranger 04, partner 05.
select tests.create_user('b8000000-0000-0000-0000-000000000001', 'b8_owner');
select tests.create_user('b8000000-0000-0000-0000-000000000002', 'b8_admin');
select tests.create_user('b8000000-0000-0000-0000-000000000003', 'b8_member');
select tests.create_user('b8000000-0000-0000-0000-000000000004', 'b8_stranger');
select tests.create_user('b8000000-0000-0000-0000-000000000005', 'b8_partner');

-- create
select tests.authenticate_as('b8000000-0000-0000-0000-000000000001');
select set_config('b8.group', (select id::text from parley.create_group('  Team  ', 'our team',
  array['b8000000-0000-0000-0000-000000000002', 'b8000000-0000-0000-0000-000000000003', 'b8000000-0000-0000-0000-000000000003',
        'b8000000-0000-0000-0000-000000000001']::uuid[])), true);
create function pg_temp.grp() returns uuid language sql as $f$ select current_setting('b8.group')::uuid $f$;
select is(tests.value_of($$select kind || '/' || title || '/' || description from parley.conversations where id = pg_temp.grp()$$), 'group/Team/our team',
  'GRP-01 create_group makes a group with a trimmed title and a description');
select is(tests.value_of($$select string_agg(role, ',' order by role) from parley.conversation_members where conversation_id = pg_temp.grp()$$), 'member,member,owner',
  'GRP-02 the creator is owner, listed users (deduplicated, creator ignored) are members');
select is(tests.value_of($$select metadata ->> 'event' from parley.messages where conversation_id = pg_temp.grp() and seq = 1$$), 'group_created',
  'GRP-03 a system message records the creation');
select is(tests.error_of($$select parley.create_group('   ')$$), '22023 title_required', 'GRP-04 a blank title is refused');
select is(tests.error_of($$select parley.create_group(null)$$), '22023 title_required', 'GRP-05 a missing title is refused');
select is(tests.error_of($$select parley.create_group(repeat('t', 101))$$), '22023 title_too_long', 'GRP-06 a title over 100 characters is refused');
select is(tests.error_of($$select parley.create_group('ok', repeat('d', 1001))$$), '22023 description_too_long', 'GRP-07 a description over 1000 characters is refused');
select is(tests.error_of($$select parley.create_group('ok', avatar_url => repeat('a', 2049))$$), '22023 avatar_url_too_long', 'GRP-08 an avatar_url over 2048 characters is refused');
select is(tests.error_of($$select parley.create_group('ok', member_ids => array['b8000000-0000-0000-0000-0000000000ff']::uuid[])$$), 'PT404 user_not_found',
  'GRP-09 unknown member ids are refused');
select is(tests.error_of($$select parley.create_group('big', member_ids => (select array_agg(gen_random_uuid()) from generate_series(1, 256)))$$), '22023 too_many_members',
  'GRP-10 more than 256 members (with the creator) is refused');
select is(tests.value_of($$select count(*) from parley.conversations where kind = 'group' and created_by = 'b8000000-0000-0000-0000-000000000001'$$), '1',
  'GRP-11 refused creations left nothing behind');
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.create_group('anon group')$$), '42501 -', 'GRP-12 anon cannot create groups');

-- get
select tests.authenticate_as('b8000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select title from parley.get_group(pg_temp.grp())$$), 'Team', 'GRP-13 a member gets the group');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.get_group(pg_temp.grp())$$), 'PT404 conversation_not_found', 'GRP-14 a stranger cannot get the group');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000005');
select set_config('b8.direct', (select id::text from parley.get_or_create_direct_conversation('b8000000-0000-0000-0000-000000000004')), true);
select is(tests.error_of($$select parley.get_group(current_setting('b8.direct')::uuid)$$),
  '22023 not_a_group', 'GRP-15 get_group refuses a direct conversation');

-- update
select tests.authenticate_as('b8000000-0000-0000-0000-000000000001');
select parley.set_member_role(pg_temp.grp(), 'b8000000-0000-0000-0000-000000000002', 'admin');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select title || '/' || description from parley.update_group(pg_temp.grp(), title => 'Team 2')$$), 'Team 2/our team',
  'GRP-16 an admin renames the group; omitted fields stay');
select is(tests.value_of($$select coalesce(description, '<null>') from parley.update_group(pg_temp.grp(), description => '')$$), '<null>',
  'GRP-17 an empty string clears the description');
select is(tests.value_of($$select metadata -> 'changed' from parley.messages where conversation_id = pg_temp.grp() order by seq desc limit 1$$), '["description"]',
  'GRP-18 a system message says what changed');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select avatar_url from parley.update_group(pg_temp.grp(), avatar_url => 'https://x.test/a.png')$$), 'https://x.test/a.png',
  'GRP-19 the owner updates the avatar');
select is(tests.error_of($$select parley.update_group(pg_temp.grp(), title => '')$$), '22023 title_required', 'GRP-20 the title cannot be blanked');
select is(tests.error_of($$select parley.update_group(pg_temp.grp(), title => repeat('t', 101))$$), '22023 title_too_long', 'GRP-21 title limit on update');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.update_group(pg_temp.grp(), title => 'mine now')$$), '42501 insufficient_role', 'GRP-22 a member cannot update the group');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.update_group(pg_temp.grp(), title => 'stranger')$$), 'PT404 conversation_not_found', 'GRP-23 a stranger cannot update the group');
select tests.clear_authentication();
select is((select title from parley.conversations where id = pg_temp.grp()), 'Team 2', 'GRP-24 refused updates changed nothing');

-- delete
select tests.authenticate_as('b8000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.delete_group(pg_temp.grp())$$), '42501 insufficient_role', 'GRP-25 an admin cannot delete the group');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.delete_group(pg_temp.grp())$$), '42501 insufficient_role', 'GRP-26 a member cannot delete the group');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.delete_group(pg_temp.grp())$$), 'PT404 conversation_not_found', 'GRP-27 a stranger cannot delete the group');
select tests.authenticate_as('b8000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.delete_group(pg_temp.grp())$$), 'no error', 'GRP-28 the owner deletes the group');
select tests.clear_authentication();
select is((select count(*) from parley.conversations where id = pg_temp.grp()), 0::bigint, 'GRP-29 the group is gone');
select is((select count(*) from parley.messages where conversation_id = pg_temp.grp()) + (select count(*) from parley.conversation_members where conversation_id = pg_temp.grp()),
  0::bigint, 'GRP-30 with its members and messages');

select * from finish();
rollback;
