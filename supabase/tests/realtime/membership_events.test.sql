-- Membership, read-receipt and conversation events (docs/realtime-events.md § Events). Within the inbox
-- fan-out bound the conversation's events (members_added, members_removed, member_role_changed,
-- member_read, conversation_updated, the messages) go once to each member's user:<id>, decided at write
-- time: members_added to the members already there (newcomers hear conversation_added), members_removed
-- to those who remain (the removed hear conversation_removed). conversation:<id> carries none of them.
-- IDs: RT-MEM-xx.
begin;
select plan(34);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- tests.take() (the helpers) moves the events sent so far into the temp table taken; made here, empty.
select tests.take();
-- summary(): the taken rows as sorted 'event topic-kind:user-suffix' strings, e.g. 'member_read user:02'
-- ('conversation' for any conversation:<id>… topic).
create function pg_temp.summary() returns text[] language sql as $f$
  select coalesce(array_agg(t.event || ' ' || case when t.topic like 'user:%' then 'user:' || right(t.topic, 2) else 'conversation' end
                            order by t.event, t.topic), '{}') from taken t;
$f$;
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

-- Cast (prefix e3): owner 01, admin-to-be 02, member 03, newcomer 04, stranger 05.
select tests.create_user('e3000000-0000-0000-0000-000000000001', 'e3_owner');
select tests.create_user('e3000000-0000-0000-0000-000000000002', 'e3_bob');
select tests.create_user('e3000000-0000-0000-0000-000000000003', 'e3_carol');
select tests.create_user('e3000000-0000-0000-0000-000000000004', 'e3_dave');
select tests.create_user('e3000000-0000-0000-0000-000000000005', 'e3_erin');

-- create_group
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
insert into ids select 'g', id from parley.create_group('E3 group', null,
  array['e3000000-0000-0000-0000-000000000002', 'e3000000-0000-0000-0000-000000000003']::uuid[]);
select tests.clear_authentication();
create function pg_temp.g() returns uuid language sql as $f$ select id from ids where name = 'g' $f$;
select tests.take();
select is(pg_temp.summary(), array['conversation_added user:01', 'conversation_added user:02', 'conversation_added user:03',
    'members_added user:01', 'message_created user:01', 'message_created user:02', 'message_created user:03'],
  'RT-MEM-01 create_group: conversation_added to each member, members_added (the others) to the owner already there, the group_created message to each');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000002', 'conversation_added'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'kind', 'group', 'title', 'E3 group', 'avatar_url', null, 'role', 'member',
    'joined_at', (select joined_at from parley.conversation_members where conversation_id = pg_temp.g() and user_id = 'e3000000-0000-0000-0000-000000000002'),
    'last_seq', 0, 'member_count', 3, 'inbox_fanout', true),
  'RT-MEM-02 conversation_added carries what the inbox row needs, with member_count and inbox_fanout');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000001', 'members_added'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'member_count', 3, 'members',
    (select jsonb_agg(jsonb_build_object('user_id', m.user_id, 'role', m.role, 'joined_at', m.joined_at) order by m.user_id)
       from parley.conversation_members m where m.conversation_id = pg_temp.g() and m.role = 'member')),
  'RT-MEM-03 members_added lists the new members (user_id, role, joined_at) once per statement');

-- Read receipts
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.mark_read(pg_temp.g());
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['member_read user:01', 'member_read user:02', 'member_read user:03', 'membership_updated user:02'],
  'RT-MEM-04 mark_read: member_read once to every member, membership_updated to the reader''s own inbox, nothing else');
select is((select array_agg(distinct payload - 'id' - 'read_at') from taken where event = 'member_read'),
  array[jsonb_build_object('conversation_id', pg_temp.g(), 'user_id', 'e3000000-0000-0000-0000-000000000002', 'last_read_seq', 1,
    'last_delivered_seq', 1, 'message_id', (select id from parley.messages where conversation_id = pg_temp.g() and seq = 1))],
  'RT-MEM-05 member_read (the same receipt in every copy) says who read up to which seq and message');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000002', 'membership_updated'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'role', 'member', 'last_read_seq', 1, 'last_delivered_seq', 1,
    'unread_count', 0, 'muted_until', null, 'hidden_at', null),
  'RT-MEM-06 membership_updated gives the reader''s other devices the new cursor and unread count');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.mark_read(pg_temp.g());
select tests.clear_authentication();
select is(tests.take(), 0::bigint, 'RT-MEM-07 marking read again (cursor unchanged) sends nothing');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000003');
select parley.send_message(pg_temp.g(), 'carol speaks');
select tests.clear_authentication();
select tests.take();
select is((select count(*) from taken where event in ('member_read', 'membership_updated')), 0::bigint,
  'RT-MEM-08 a send moves the sender''s cursor without a member_read (message_created implies it)');

-- Mute and hide (a member's own columns).
select tests.authenticate_as('e3000000-0000-0000-0000-000000000003');
update parley.conversation_members set muted_until = '2030-01-01T00:00:00Z'
 where conversation_id = pg_temp.g() and user_id = 'e3000000-0000-0000-0000-000000000003';
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['membership_updated user:03'], 'RT-MEM-09 muting sends membership_updated to that member only');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000003', 'membership_updated') ->> 'muted_until', '2030-01-01T00:00:00+00:00',
  'RT-MEM-10 with muted_until');

-- Role changes
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.set_member_role(pg_temp.g(), 'e3000000-0000-0000-0000-000000000002', 'admin');
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['member_role_changed user:01', 'member_role_changed user:02', 'member_role_changed user:03',
    'membership_updated user:02', 'message_created user:01', 'message_created user:02', 'message_created user:03'],
  'RT-MEM-11 set_member_role: member_role_changed to every member, membership_updated to that member, the role_changed message to every member');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000003', 'member_role_changed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'user_id', 'e3000000-0000-0000-0000-000000000002', 'role', 'admin', 'previous_role', 'member'),
  'RT-MEM-12 member_role_changed carries the new and previous role');

-- Group details
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.update_group(pg_temp.g(), 'E3 renamed', 'about us');
select tests.clear_authentication();
select tests.take();
select is(tests.ev('user:e3000000-0000-0000-0000-000000000003', 'conversation_updated'),
  (select jsonb_build_object('conversation_id', c.id, 'conversation', jsonb_build_object('id', c.id, 'kind', 'group', 'title', 'E3 renamed',
     'description', 'about us', 'avatar_url', null, 'slow_mode_seconds', 0, 'updated_at', c.updated_at)) from parley.conversations c where c.id = pg_temp.g()),
  'RT-MEM-13 update_group: conversation_updated with the new details');
select is((select array_agg(right(topic, 2) || ' ' || event || ' ' || coalesce(payload -> 'inbox' ->> 'title', payload -> 'conversation' ->> 'title') order by topic, event) from taken),
  array['01 conversation_updated E3 renamed', '01 message_created E3 renamed', '02 conversation_updated E3 renamed', '02 message_created E3 renamed',
        '03 conversation_updated E3 renamed', '03 message_created E3 renamed'],
  'RT-MEM-14 each member gets conversation_updated once, and their inbox the new title with the group_updated message');
select tests.take();
select is((select count(*) from taken where event = 'conversation_updated'), 0::bigint,
  'RT-MEM-15 messages (last_seq moves) never send conversation_updated');

-- Removal and re-adding
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.remove_member(pg_temp.g(), 'e3000000-0000-0000-0000-000000000003');
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['conversation_removed user:03', 'members_removed user:01', 'members_removed user:02',
    'message_created user:01', 'message_created user:02'],
  'RT-MEM-16 remove_member: members_removed and the message to those who remain, only conversation_removed to the removed member');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000001', 'members_removed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'user_ids', jsonb_build_array('e3000000-0000-0000-0000-000000000003'), 'member_count', 2),
  'RT-MEM-17 members_removed lists who left and the new member_count');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000003', 'conversation_removed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'reason', 'removed'), 'RT-MEM-18 conversation_removed says removed');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.send_message(pg_temp.g(), 'after carol left');
select tests.clear_authentication();
select tests.take();
select is((select count(*) from taken where topic = 'user:e3000000-0000-0000-0000-000000000003'), 0::bigint,
  'RT-MEM-19 a removed member''s inbox no longer gets the conversation''s messages');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.add_members(pg_temp.g(), array['e3000000-0000-0000-0000-000000000004', 'e3000000-0000-0000-0000-000000000003']::uuid[]);
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['conversation_added user:03', 'conversation_added user:04', 'members_added user:01', 'members_added user:02',
    'message_created user:01', 'message_created user:02', 'message_created user:03', 'message_created user:04'],
  'RT-MEM-20 add_members of two: members_added to the two already there, conversation_added to each newcomer, the message to all four');
select is((tests.ev('user:e3000000-0000-0000-0000-000000000004', 'conversation_added') ->> 'last_seq')::int,
  (select last_seq::int - 1 from parley.conversations where id = pg_temp.g()),
  'RT-MEM-21 a newcomer''s conversation_added carries the last_seq to catch up from');

-- Leaving
select tests.authenticate_as('e3000000-0000-0000-0000-000000000004');
select parley.leave_group(pg_temp.g());
select tests.clear_authentication();
select tests.take();
select is(tests.ev('user:e3000000-0000-0000-0000-000000000004', 'conversation_removed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'reason', 'left'), 'RT-MEM-22 leave_group: conversation_removed says left');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.leave_group(pg_temp.g());
select tests.clear_authentication();
select tests.take();
select is(tests.ev('user:e3000000-0000-0000-0000-000000000002', 'member_role_changed') - 'conversation_id',
  jsonb_build_object('user_id', 'e3000000-0000-0000-0000-000000000002', 'role', 'owner', 'previous_role', 'admin'),
  'RT-MEM-23 the owner leaving hands the group over: member_role_changed to owner for the successor');

-- Deleting the group
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.delete_group(pg_temp.g());
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['conversation_removed user:02', 'conversation_removed user:03'],
  'RT-MEM-24 delete_group: conversation_removed to each member, nothing else (no conversation_deleted within the bound)');
select is((select array_agg(payload ->> 'reason') from taken where event = 'conversation_removed'), array['deleted', 'deleted'],
  'RT-MEM-25 with reason deleted');

-- The last member leaving deletes the group
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
insert into ids select 'solo', id from parley.create_group('E3 solo');
select tests.clear_authentication();
select tests.take();
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.leave_group((select id from ids where name = 'solo'));
select tests.clear_authentication();
select tests.take();
select is(pg_temp.summary(), array['conversation_removed user:05'],
  'RT-MEM-26 the last member leaving: their conversation_removed, nothing else');

-- Rolled back membership changes send nothing.
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
insert into ids select 'g2', id from parley.create_group('E3 again', null, array['e3000000-0000-0000-0000-000000000001']::uuid[]);
select tests.clear_authentication();
select tests.take();
savepoint before_change;
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.add_members((select id from ids where name = 'g2'), array['e3000000-0000-0000-0000-000000000003']::uuid[]);
select parley.set_member_role((select id from ids where name = 'g2'), 'e3000000-0000-0000-0000-000000000001', 'admin');
rollback to savepoint before_change;
select tests.clear_authentication();
select is(tests.take(), 0::bigint, 'RT-MEM-27 rolled-back membership changes leave no realtime row');
-- realtime.send (membership_updated) leaves realtime.topic set for the rest of the transaction: the
-- policies still show a member only the rows of that very topic, never the copies fanned out to others.
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.send_message((select id from ids where name = 'g2'), 'stored event rows');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.mark_read((select id from ids where name = 'g2'));
select is((select current_setting('realtime.topic', true) || ' ' || array_agg(m.topic || ' ' || m.event order by m.event)::text from realtime.messages m),
  'user:e3000000-0000-0000-0000-000000000001 {"user:e3000000-0000-0000-0000-000000000001 member_read","user:e3000000-0000-0000-0000-000000000001 membership_updated","user:e3000000-0000-0000-0000-000000000001 message_created"}',
  'RT-MEM-28 after writes in the same transaction, a member sees only their own inbox''s copies, not the other member''s');
select tests.clear_authentication();

-- An account deleted by Auth (its role, not a Parley RPC) still announces the memberships it ends.
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
insert into ids select 'g3', id from parley.create_group('E3 accounts', null, array['e3000000-0000-0000-0000-000000000003']::uuid[]);
select tests.clear_authentication();
select tests.take();
set local role supabase_auth_admin;
delete from auth.users where id = 'e3000000-0000-0000-0000-000000000002';
reset role;
select tests.take();
select is(pg_temp.summary(), array['conversation_removed user:02', 'member_role_changed user:03', 'members_removed user:03',
    'membership_updated user:03'],
  'RT-MEM-29 deleting the owner''s account: members_removed, the successor''s member_role_changed and membership_updated to the one left');
select is(tests.ev('user:e3000000-0000-0000-0000-000000000003', 'member_role_changed') - 'conversation_id',
  jsonb_build_object('user_id', 'e3000000-0000-0000-0000-000000000003', 'role', 'owner', 'previous_role', 'member'),
  'RT-MEM-30 the remaining member became owner');

-- A removed member hears nothing more of the conversation on user:<id>, whatever happens in it; the
-- others keep hearing each event exactly once.
select tests.create_user('e3000000-0000-0000-0000-000000000006', 'e3_frank');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
insert into ids select 'g4', id from parley.create_group('E3 afterwards', null,
  array['e3000000-0000-0000-0000-000000000001', 'e3000000-0000-0000-0000-000000000003', 'e3000000-0000-0000-0000-000000000004']::uuid[]);
insert into ids select 'g4m1', id from parley.send_message((select id from ids where name = 'g4'), 'before the removal');
select tests.clear_authentication();
select tests.take();
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.remove_member((select id from ids where name = 'g4'), 'e3000000-0000-0000-0000-000000000004');
select tests.clear_authentication();
select tests.take();
select is((select array_agg(event || ' ' || (payload - 'id')::text) from taken where topic = 'user:e3000000-0000-0000-0000-000000000004'),
  array['conversation_removed ' || jsonb_build_object('conversation_id', (select id from ids where name = 'g4'), 'reason', 'removed')::text],
  'RT-MEM-31 the removed member''s user:<id> gets conversation_removed, and nothing else of the removal');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
insert into ids select 'g4m2', id from parley.send_message((select id from ids where name = 'g4'), 'after the removal');
select parley.edit_message((select id from ids where name = 'g4m2'), 'after the removal, edited');
select parley.edit_message((select id from ids where name = 'g4m1'), 'before the removal, edited');
select parley.delete_message((select id from ids where name = 'g4m1'));
select parley.set_member_role((select id from ids where name = 'g4'), 'e3000000-0000-0000-0000-000000000001', 'admin');
select parley.update_group((select id from ids where name = 'g4'), 'E3 renamed afterwards');
select parley.add_members((select id from ids where name = 'g4'), array['e3000000-0000-0000-0000-000000000006']::uuid[]);
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.mark_read((select id from ids where name = 'g4'));
select parley.remove_member((select id from ids where name = 'g4'), 'e3000000-0000-0000-0000-000000000003');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000006');
select parley.leave_group((select id from ids where name = 'g4'));
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.delete_group((select id from ids where name = 'g4'));
select tests.clear_authentication();
select tests.take();
select is((select count(*) from taken where topic = 'user:e3000000-0000-0000-0000-000000000004'), 0::bigint,
  'RT-MEM-32 after removal: no send, edit, delete, read receipt, role change, rename, join, leave or deletion reaches the removed member');
select is((select count(*) from taken where topic not like 'user:%'), 0::bigint,
  'RT-MEM-33 and none of it is written on conversation:<id> or conversation:<id>:events (within the bound)');
select is((select count(*) - count(distinct (topic, event, payload - 'id')) from taken), 0::bigint,
  'RT-MEM-34 while every member still there heard each event exactly once (no duplicate copy on any user:<id>)');

select * from finish();
rollback;
