-- Reactions, pins, edit history with the edit / delete windows, and delete-for-me.
-- IDs: REACT-xx, PIN-xx, HIST-xx, HIDE-xx (docs/messaging.md § Tests).
begin;
-- Adds here are memberships at once (consent for group adds is tested in supabase/tests/safety/).
insert into parley.settings (key, value) values ('group_invitations', '"off"');
select plan(44);

create function pg_temp.events(p_topic text, p_event text) returns bigint language sql as $f$
  select count(*) from realtime.messages m where m.topic = p_topic and m.event = p_event;
$f$;

-- Cast (prefix c9): ann 01 (owner), bob 02 (member), cat 03 (member), out 04 (stranger).
select tests.create_user('c9000000-0000-0000-0000-000000000001', 'c9_ann');
select tests.create_user('c9000000-0000-0000-0000-000000000002', 'c9_bob');
select tests.create_user('c9000000-0000-0000-0000-000000000003', 'c9_cat');
select tests.create_user('c9000000-0000-0000-0000-000000000004', 'c9_out');
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

select tests.authenticate_as('c9000000-0000-0000-0000-000000000001');
insert into ids select 'group', id from parley.create_group('C9', null,
  array['c9000000-0000-0000-0000-000000000002', 'c9000000-0000-0000-0000-000000000003']::uuid[]);
insert into ids select 'm1', id from parley.send_message((select id from ids where name = 'group'), 'hello all');
insert into ids select 'dm', id from parley.get_or_create_direct_conversation('c9000000-0000-0000-0000-000000000002');
insert into ids select 'd1', id from parley.send_message((select id from ids where name = 'dm'), 'hi bob');

-- Reactions.
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is(parley.add_reaction((select id from ids where name = 'm1'), '👍') - 'message_id',
  '{"reactions": {"👍": 1}, "mine": ["👍"]}'::jsonb, 'REACT-01 a member reacts; the answer has the counts and mine');
select is(parley.add_reaction((select id from ids where name = 'm1'), '👍') -> 'reactions', '{"👍": 1}'::jsonb,
  'REACT-02 reacting twice with the same emoji counts once');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000003');
select parley.add_reaction((select id from ids where name = 'm1'), '👍');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000001');
select is(parley.add_reaction((select id from ids where name = 'm1'), '👨‍👩‍👧‍👦') -> 'reactions', '{"👍": 2, "👨‍👩‍👧‍👦": 1}'::jsonb,
  'REACT-03 counts per emoji; a ZWJ family is one emoji');
select is((select reactions from parley.messages where id = (select id from ids where name = 'm1')), '{"👍": 2, "👨‍👩‍👧‍👦": 1}'::jsonb,
  'REACT-04 the message row carries the counts');
select is(tests.error_of($$select parley.add_reaction((select id from ids where name = 'm1'), 'lol')$$), '22023 invalid_emoji',
  'REACT-05 text is not a reaction');
select is(tests.error_of($$select parley.add_reaction((select id from ids where name = 'm1'), '👍👍')$$), '22023 invalid_emoji',
  'REACT-06 nor are two emoji');
select ok(parley.add_reaction((select id from ids where name = 'm1'), ':party_parrot:') ? 'reactions', 'REACT-07 a :shortcode: is');
select tests.clear_authentication();
select is(pg_temp.events('user:c9000000-0000-0000-0000-000000000003', 'reaction_added'), 4::bigint,
  'REACT-08 each member hears reaction_added once per real change (not for the repeat)');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.add_reaction((select id from ids where name = 'm1'), '👍')$$), 'PT404 message_not_found',
  'REACT-09 a stranger cannot react (the message looks missing)');
select is((select count(*) from parley.message_reactions), 0::bigint, 'REACT-10 nor read who reacted');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000003');
select is((select count(*) from parley.message_reactions where message_id = (select id from ids where name = 'm1')), 4::bigint,
  'REACT-11 members read who reacted');
select is(parley.remove_reaction((select id from ids where name = 'm1'), '👍') -> 'reactions', '{"👍": 1, "👨‍👩‍👧‍👦": 1, ":party_parrot:": 1}'::jsonb,
  'REACT-12 removing a reaction takes one off the count');
select is(parley.remove_reaction((select id from ids where name = 'm1'), '👍') -> 'mine', '[]'::jsonb,
  'REACT-13 removing it again changes nothing');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is(parley.remove_reaction((select id from ids where name = 'm1'), '👍') -> 'reactions', '{"👨‍👩‍👧‍👦": 1, ":party_parrot:": 1}'::jsonb,
  'REACT-14 the last one out removes the emoji');
-- The bound on distinct emoji.
insert into ids select 'm2', id from parley.send_message((select id from ids where name = 'group'), 'react to me');
select parley.add_reaction((select id from ids where name = 'm2'), ':e' || i || ':') from generate_series(1, 50) i;
select is(tests.error_of($$select parley.add_reaction((select id from ids where name = 'm2'), ':e51:')$$), '22023 too_many_reactions',
  'REACT-15 a 51st different emoji is refused');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000003');
select is((parley.add_reaction((select id from ids where name = 'm2'), ':e1:') -> 'reactions' ->> ':e1:'), '2',
  'REACT-16 one of the 50 still takes more people');

-- Pins.
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.pin_message((select id from ids where name = 'm1'))$$), '42501 insufficient_role',
  'PIN-01 a group member cannot pin');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000001');
select is((parley.pin_message((select id from ids where name = 'm1')) ->> 'pinned'), 'true', 'PIN-02 the owner pins');
select is((parley.pin_message((select id from ids where name = 'm1')) ->> 'pinned_by'), 'c9000000-0000-0000-0000-000000000001',
  'PIN-03 pinning again is a no-op');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000003');
select is((select array_agg((message).body) from parley.list_pins((select id from ids where name = 'group'))), array['hello all'],
  'PIN-04 members list the pins with their messages');
select tests.clear_authentication();
select is(pg_temp.events('user:c9000000-0000-0000-0000-000000000003', 'message_pinned'), 1::bigint, 'PIN-05 members hear message_pinned once');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is((parley.pin_message((select id from ids where name = 'd1')) ->> 'pinned'), 'true', 'PIN-06 either person pins in a direct conversation');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select * from parley.list_pins((select id from ids where name = 'group'))$$), 'PT404 conversation_not_found',
  'PIN-07 strangers see no pins');
select tests.clear_authentication();
insert into parley.message_pins (conversation_id, message_id, pinned_by)
select c.id, m.id, 'c9000000-0000-0000-0000-000000000001'
  from (select id from ids where name = 'group') c, lateral (select parley_internal.append_message(c.id, 'c9000000-0000-0000-0000-000000000001', 'text', 'pin ' || i, null, null, null, null) as m from generate_series(1, 49) i) x,
       lateral (select (x.m).id) m(id);
select tests.authenticate_as('c9000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.pin_message((select id from ids where name = 'm2'))$$), '22023 too_many_pins',
  'PIN-08 a 51st pin is refused');
select is((parley.unpin_message((select id from ids where name = 'm1')) ->> 'pinned'), 'false', 'PIN-09 unpinning');
select is((select count(*) from parley.message_pins where message_id = (select id from ids where name = 'm1')), 0::bigint, 'PIN-10 removes the pin');

-- Edit history and the edit window.
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
insert into ids select 'e1', id from parley.send_message((select id from ids where name = 'group'), 'v1');
select parley.edit_message((select id from ids where name = 'e1'), 'v2');
select parley.edit_message((select id from ids where name = 'e1'), 'v3');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000003');
select is((select array_agg(version || ':' || body order by version) from parley.list_message_edits((select id from ids where name = 'e1'))),
  array['1:v1', '2:v2'], 'HIST-01 members read the earlier versions, oldest first');
select is((select body from parley.messages where id = (select id from ids where name = 'e1')), 'v3', 'HIST-02 the message shows the latest');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select * from parley.list_message_edits((select id from ids where name = 'e1'))$$), 'PT404 message_not_found',
  'HIST-03 strangers read no history');
select tests.clear_authentication();
update parley.messages set created_at = now() - interval '49 hours' where id = (select id from ids where name = 'e1');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.edit_message((select id from ids where name = 'e1'), 'v4')$$), '22023 edit_window_closed',
  'HIST-04 a message older than the edit window (48 h by default) cannot be edited');
select tests.authenticate_as_service_role();
select is(tests.error_of($$insert into parley.settings values ('edit_window_seconds', '-5')$$), '23514 -', 'HIST-05 a negative window is refused');
insert into parley.settings (key, value) values ('edit_window_seconds', 'null');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is((select body from parley.edit_message((select id from ids where name = 'e1'), 'v4')), 'v4', 'HIST-06 with no window, old messages are editable');

-- The delete window: the sender is limited, the group's owner and admins are not.
select tests.authenticate_as_service_role();
insert into parley.settings (key, value) values ('delete_window_seconds', '60');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.delete_message((select id from ids where name = 'e1'))$$), '22023 delete_window_closed',
  'HIST-07 the sender cannot delete for everyone after the delete window');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000001');
select ok((select deleted_at is not null from parley.delete_message((select id from ids where name = 'e1'))), 'HIST-08 the group owner still can');
select is((select count(*) from parley.message_edits where message_id = (select id from ids where name = 'e1')), 0::bigint,
  'HIST-09 deleting a message deletes its edit history');
select parley.delete_message((select id from ids where name = 'm2'));
select is((select reactions from parley.messages where id = (select id from ids where name = 'm2')), '{}'::jsonb, 'HIST-10 and its reactions');
select is(tests.error_of($$select parley.add_reaction((select id from ids where name = 'm2'), '👍')$$), '22023 message_deleted',
  'HIST-11 a tombstone takes no reaction');

-- Delete for me.
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select is((parley.hide_message((select id from ids where name = 'm1')) ->> 'hidden'), 'true', 'HIDE-01 a member hides a message for themselves');
select ok(not exists (select 1 from parley.list_messages((select id from ids where name = 'group'), max_count => 200) where id = (select id from ids where name = 'm1')),
  'HIDE-02 their history leaves it out');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000003');
select ok(exists (select 1 from parley.list_messages((select id from ids where name = 'group'), max_count => 200) where id = (select id from ids where name = 'm1')),
  'HIDE-03 everyone else still sees it');
select is((select count(*) from parley.message_hides), 0::bigint, 'HIDE-04 and cannot see who hid what');
select tests.clear_authentication();
select is((pg_temp.events('user:c9000000-0000-0000-0000-000000000002', 'message_hidden'), pg_temp.events('user:c9000000-0000-0000-0000-000000000003', 'message_hidden')),
  (1::bigint, 0::bigint), 'HIDE-05 only the hider''s devices hear message_hidden');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000002');
select parley.unhide_message((select id from ids where name = 'm1'));
select ok(exists (select 1 from parley.list_messages((select id from ids where name = 'group'), max_count => 200) where id = (select id from ids where name = 'm1')),
  'HIDE-06 unhiding brings it back');
select tests.authenticate_as('c9000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.hide_message((select id from ids where name = 'm1'))$$), 'PT404 message_not_found', 'HIDE-07 strangers cannot hide');

select * from finish();
rollback;
