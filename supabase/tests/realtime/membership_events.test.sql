-- Membership, read-receipt and conversation events (docs/realtime-events.md § Events). IDs: RT-MEM-xx.
begin;
select plan(30);

create temp table taken (id uuid, topic text, event text, payload jsonb, private boolean, extension text);
create function pg_temp.take() returns bigint language plpgsql as $f$
declare n bigint;
begin
  truncate taken;
  with d as (delete from realtime.messages m returning m.id, m.topic, m.event, m.payload, m.private, m.extension)
  insert into taken select * from d;
  get diagnostics n = row_count;
  return n;
end $f$;
create function pg_temp.ev(p_topic text, p_event text) returns jsonb language sql as $f$
  select t.payload - 'id' from taken t where t.topic = p_topic and t.event = p_event;
$f$;
-- summary(): the taken rows as sorted 'event topic-kind:user-suffix' strings, e.g. 'member_read conversation'.
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
create function pg_temp.topic() returns text language sql as $f$ select 'conversation:' || pg_temp.g() $f$;
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_activity user:01', 'conversation_activity user:02', 'conversation_activity user:03',
    'conversation_added user:01', 'conversation_added user:02', 'conversation_added user:03',
    'members_added conversation', 'members_added conversation', 'message_created conversation'],
  'RT-MEM-01 create_group: conversation_added to each member, members_added (owner, then the others), the group_created message');
select is(pg_temp.ev('user:e3000000-0000-0000-0000-000000000002', 'conversation_added'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'kind', 'group', 'title', 'E3 group', 'avatar_url', null, 'role', 'member',
    'joined_at', (select joined_at from parley.conversation_members where conversation_id = pg_temp.g() and user_id = 'e3000000-0000-0000-0000-000000000002'),
    'last_seq', 0, 'member_count', 3, 'inbox_fanout', true),
  'RT-MEM-02 conversation_added carries what the inbox row needs, with member_count and inbox_fanout');
select is((select payload - 'id' from taken where event = 'members_added' and jsonb_array_length(payload -> 'members') = 2),
  jsonb_build_object('conversation_id', pg_temp.g(), 'member_count', 3, 'members',
    (select jsonb_agg(jsonb_build_object('user_id', m.user_id, 'role', m.role, 'joined_at', m.joined_at) order by m.user_id)
       from parley.conversation_members m where m.conversation_id = pg_temp.g() and m.role = 'member')),
  'RT-MEM-03 members_added lists the new members (user_id, role, joined_at) once per statement');

-- Read receipts
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.mark_read(pg_temp.g());
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['member_read conversation', 'membership_updated user:02'],
  'RT-MEM-04 mark_read: member_read on the conversation, membership_updated to the reader''s own inbox, nothing else');
select is(pg_temp.ev(pg_temp.topic(), 'member_read') - 'read_at',
  jsonb_build_object('conversation_id', pg_temp.g(), 'user_id', 'e3000000-0000-0000-0000-000000000002', 'last_read_seq', 1,
    'message_id', (select id from parley.messages where conversation_id = pg_temp.g() and seq = 1)),
  'RT-MEM-05 member_read says who read up to which seq and message');
select is(pg_temp.ev('user:e3000000-0000-0000-0000-000000000002', 'membership_updated'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'role', 'member', 'last_read_seq', 1, 'unread_count', 0,
    'muted_until', null, 'hidden_at', null),
  'RT-MEM-06 membership_updated gives the reader''s other devices the new cursor and unread count');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.mark_read(pg_temp.g());
select tests.clear_authentication();
select is(pg_temp.take(), 0::bigint, 'RT-MEM-07 marking read again (cursor unchanged) sends nothing');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000003');
select parley.send_message(pg_temp.g(), 'carol speaks');
select tests.clear_authentication();
select pg_temp.take();
select is((select count(*) from taken where event in ('member_read', 'membership_updated')), 0::bigint,
  'RT-MEM-08 a send moves the sender''s cursor without a member_read (message_created implies it)');

-- Mute and hide (a member's own columns).
select tests.authenticate_as('e3000000-0000-0000-0000-000000000003');
update parley.conversation_members set muted_until = '2030-01-01T00:00:00Z'
 where conversation_id = pg_temp.g() and user_id = 'e3000000-0000-0000-0000-000000000003';
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['membership_updated user:03'], 'RT-MEM-09 muting sends membership_updated to that member only');
select is(pg_temp.ev('user:e3000000-0000-0000-0000-000000000003', 'membership_updated') ->> 'muted_until', '2030-01-01T00:00:00+00:00',
  'RT-MEM-10 with muted_until');

-- Role changes
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.set_member_role(pg_temp.g(), 'e3000000-0000-0000-0000-000000000002', 'admin');
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_activity user:01', 'conversation_activity user:02', 'conversation_activity user:03',
    'member_role_changed conversation', 'membership_updated user:02', 'message_created conversation'],
  'RT-MEM-11 set_member_role: member_role_changed, membership_updated to that member, the role_changed message');
select is(pg_temp.ev(pg_temp.topic(), 'member_role_changed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'user_id', 'e3000000-0000-0000-0000-000000000002', 'role', 'admin', 'previous_role', 'member'),
  'RT-MEM-12 member_role_changed carries the new and previous role');

-- Group details
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.update_group(pg_temp.g(), 'E3 renamed', 'about us');
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.ev(pg_temp.topic(), 'conversation_updated'),
  (select jsonb_build_object('conversation_id', c.id, 'conversation', jsonb_build_object('id', c.id, 'kind', 'group', 'title', 'E3 renamed',
     'description', 'about us', 'avatar_url', null, 'updated_at', c.updated_at)) from parley.conversations c where c.id = pg_temp.g()),
  'RT-MEM-13 update_group: conversation_updated with the new details');
select is((select array_agg(distinct payload ->> 'title') from taken where event = 'conversation_activity'), array['E3 renamed'],
  'RT-MEM-14 and every inbox learns the new title from the group_updated activity');
select pg_temp.take();
select is((select count(*) from taken where event = 'conversation_updated'), 0::bigint,
  'RT-MEM-15 messages (last_seq moves) never send conversation_updated');

-- Removal and re-adding
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.remove_member(pg_temp.g(), 'e3000000-0000-0000-0000-000000000003');
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_activity user:01', 'conversation_activity user:02', 'conversation_removed user:03',
    'members_removed conversation', 'message_created conversation'],
  'RT-MEM-16 remove_member: members_removed, conversation_removed to the removed member, the message to those who remain');
select is(pg_temp.ev(pg_temp.topic(), 'members_removed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'user_ids', jsonb_build_array('e3000000-0000-0000-0000-000000000003'), 'member_count', 2),
  'RT-MEM-17 members_removed lists who left and the new member_count');
select is(pg_temp.ev('user:e3000000-0000-0000-0000-000000000003', 'conversation_removed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'reason', 'removed'), 'RT-MEM-18 conversation_removed says removed');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.send_message(pg_temp.g(), 'after carol left');
select tests.clear_authentication();
select pg_temp.take();
select is((select count(*) from taken where topic = 'user:e3000000-0000-0000-0000-000000000003'), 0::bigint,
  'RT-MEM-19 a removed member''s inbox no longer gets the conversation''s activity');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.add_members(pg_temp.g(), array['e3000000-0000-0000-0000-000000000004', 'e3000000-0000-0000-0000-000000000003']::uuid[]);
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_activity user:01', 'conversation_activity user:02', 'conversation_activity user:03',
    'conversation_activity user:04', 'conversation_added user:03', 'conversation_added user:04',
    'members_added conversation', 'message_created conversation'],
  'RT-MEM-20 add_members of two: one members_added, conversation_added to each newcomer, the message to all four');
select is((pg_temp.ev('user:e3000000-0000-0000-0000-000000000004', 'conversation_added') ->> 'last_seq')::int,
  (select last_seq::int - 1 from parley.conversations where id = pg_temp.g()),
  'RT-MEM-21 a newcomer''s conversation_added carries the last_seq to catch up from');

-- Leaving
select tests.authenticate_as('e3000000-0000-0000-0000-000000000004');
select parley.leave_group(pg_temp.g());
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.ev('user:e3000000-0000-0000-0000-000000000004', 'conversation_removed'),
  jsonb_build_object('conversation_id', pg_temp.g(), 'reason', 'left'), 'RT-MEM-22 leave_group: conversation_removed says left');
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.leave_group(pg_temp.g());
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.ev(pg_temp.topic(), 'member_role_changed') - 'conversation_id',
  jsonb_build_object('user_id', 'e3000000-0000-0000-0000-000000000002', 'role', 'owner', 'previous_role', 'admin'),
  'RT-MEM-23 the owner leaving hands the group over: member_role_changed to owner for the successor');

-- Deleting the group
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
select parley.delete_group(pg_temp.g());
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_deleted conversation', 'conversation_removed user:02', 'conversation_removed user:03'],
  'RT-MEM-24 delete_group: one conversation_deleted and conversation_removed to each member, nothing else');
select is((select array_agg(payload ->> 'reason') from taken where event = 'conversation_removed'), array['deleted', 'deleted'],
  'RT-MEM-25 with reason deleted');

-- The last member leaving deletes the group
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
insert into ids select 'solo', id from parley.create_group('E3 solo');
select tests.clear_authentication();
select pg_temp.take();
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.leave_group((select id from ids where name = 'solo'));
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_deleted conversation', 'conversation_removed user:05'],
  'RT-MEM-26 the last member leaving: conversation_deleted and their conversation_removed');

-- Rolled back membership changes send nothing.
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
insert into ids select 'g2', id from parley.create_group('E3 again', null, array['e3000000-0000-0000-0000-000000000001']::uuid[]);
select tests.clear_authentication();
select pg_temp.take();
savepoint before_change;
select tests.authenticate_as('e3000000-0000-0000-0000-000000000005');
select parley.add_members((select id from ids where name = 'g2'), array['e3000000-0000-0000-0000-000000000003']::uuid[]);
select parley.set_member_role((select id from ids where name = 'g2'), 'e3000000-0000-0000-0000-000000000001', 'admin');
rollback to savepoint before_change;
select tests.clear_authentication();
select is(pg_temp.take(), 0::bigint, 'RT-MEM-27 rolled-back membership changes leave no realtime row');
-- realtime.send leaves realtime.topic set for the rest of the transaction: the policies still show a
-- member only rows of that very topic, never another conversation's or anyone's inbox rows.
select tests.authenticate_as('e3000000-0000-0000-0000-000000000001');
select parley.send_message((select id from ids where name = 'g2'), 'stored event rows');
select is((select array_agg(distinct topic) from realtime.messages), array['conversation:' || (select id from ids where name = 'g2')],
  'RT-MEM-28 after a send in the same transaction, a member sees only that conversation''s rows, not the inbox rows it wrote');
select tests.clear_authentication();

-- An account deleted by Auth (its role, not a Parley RPC) still announces the memberships it ends.
select tests.authenticate_as('e3000000-0000-0000-0000-000000000002');
insert into ids select 'g3', id from parley.create_group('E3 accounts', null, array['e3000000-0000-0000-0000-000000000003']::uuid[]);
select tests.clear_authentication();
select pg_temp.take();
set local role supabase_auth_admin;
delete from auth.users where id = 'e3000000-0000-0000-0000-000000000002';
reset role;
select pg_temp.take();
select is(pg_temp.summary(), array['conversation_removed user:02', 'member_role_changed conversation', 'members_removed conversation',
    'membership_updated user:03'],
  'RT-MEM-29 deleting the owner''s account: members_removed, the successor''s member_role_changed and membership_updated');
select is(pg_temp.ev('conversation:' || (select id from ids where name = 'g3'), 'member_role_changed') - 'conversation_id',
  jsonb_build_object('user_id', 'e3000000-0000-0000-0000-000000000003', 'role', 'owner', 'previous_role', 'member'),
  'RT-MEM-30 the remaining member became owner');

select * from finish();
rollback;
