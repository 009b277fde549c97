-- Mentions (metadata.mentions, the inbox's unread mention count, muted members still counted) and
-- forwarding (a new message of the forwarder's; attachments by reference, readable by the target's members).
-- IDs: MEN-xx, FWD-xx (docs/messaging.md § Tests).
begin;
-- Adds here are memberships at once (consent for group adds is tested in supabase/tests/safety/).
insert into parley.settings (key, value) values ('group_invitations', '"off"');
select plan(26);

-- Cast (prefix ca): ann 01 (owner), bob 02 (member), cat 03 (member), dan 04 (outside the group).
select tests.create_user('ca000000-0000-0000-0000-000000000001', 'ca_ann');
select tests.create_user('ca000000-0000-0000-0000-000000000002', 'ca_bob');
select tests.create_user('ca000000-0000-0000-0000-000000000003', 'ca_cat');
select tests.create_user('ca000000-0000-0000-0000-000000000004', 'ca_dan');
create temp table ids (name text primary key, id uuid, seq bigint);
grant all on ids to authenticated;

-- Definer: reads a member's private count whoever the test is signed in as.
create function pg_temp.mentions_of(p_user uuid, p_conversation uuid) returns integer language sql security definer as $f$
  select mention_count from parley.conversation_members where user_id = p_user and conversation_id = p_conversation;
$f$;

select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
insert into ids (name, id) select 'group', id from parley.create_group('CA', null,
  array['ca000000-0000-0000-0000-000000000002', 'ca000000-0000-0000-0000-000000000003']::uuid[]);
insert into ids (name, id, seq) select 'm1', id, seq from parley.send_message((select id from ids where name = 'group'), 'hey @bob',
  metadata => '{"mentions": ["ca000000-0000-0000-0000-000000000002"]}');
select is((select count(*) from parley.message_mentions), 0::bigint, 'MEN-01 the sender reads no one else''s mentions');

select tests.authenticate_as('ca000000-0000-0000-0000-000000000002');
select is((select message_id from parley.message_mentions), (select id from ids where name = 'm1'), 'MEN-02 the mentioned member has the mention');
select is((select mention_count from parley.list_conversations() where conversation_id = (select id from ids where name = 'group')), 1,
  'MEN-03 and their inbox counts it next to unread');
update parley.conversation_members set muted_until = now() + interval '1 day'
 where conversation_id = (select id from ids where name = 'group') and user_id = 'ca000000-0000-0000-0000-000000000002';
select tests.authenticate_as('ca000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.send_message((select id from ids where name = 'group'), 'all!', metadata => '{"mentions": ["everyone"]}')$$),
  '42501 mention_everyone_not_allowed', 'MEN-04 a member cannot mention everyone');
select is(tests.error_of($$select parley.send_message((select id from ids where name = 'group'), 'hi dan', metadata => '{"mentions": ["ca000000-0000-0000-0000-000000000004"]}')$$),
  '22023 mention_not_member', 'MEN-05 nor someone outside the conversation');
select is(tests.error_of($$select parley.send_message((select id from ids where name = 'group'), 'x', metadata => '{"mentions": "bob"}')$$),
  '22023 mentions_invalid', 'MEN-06 mentions must be an array of user ids');
select is(tests.error_of($$select parley.send_message((select id from ids where name = 'group'), 'x', metadata => '{"mentions": ["@bob"]}')$$),
  '22023 mentions_invalid', 'MEN-07 of user ids or "everyone"');
select tests.clear_authentication();
select is((select count(*) from parley.messages where conversation_id = (select id from ids where name = 'group') and kind = 'text'), 1::bigint,
  'MEN-08 refused mentions sent nothing');

select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
insert into ids (name, id, seq) select 'm2', id, seq from parley.send_message((select id from ids where name = 'group'), '@everyone standup',
  metadata => '{"mentions": ["everyone"]}');
select tests.clear_authentication();
select is((select array_agg(user_id::text || ':' || everyone order by user_id) from parley.message_mentions where message_id = (select id from ids where name = 'm2')),
  array['ca000000-0000-0000-0000-000000000002:true', 'ca000000-0000-0000-0000-000000000003:true'],
  'MEN-09 the owner''s @everyone reaches every other member');
select is(pg_temp.mentions_of('ca000000-0000-0000-0000-000000000002', (select id from ids where name = 'group')), 2,
  'MEN-10 a member who muted the conversation still gets the mention counted');

select tests.authenticate_as('ca000000-0000-0000-0000-000000000002');
select parley.mark_read((select id from ids where name = 'group'), (select seq from ids where name = 'm1'));
select is(pg_temp.mentions_of('ca000000-0000-0000-0000-000000000002', (select id from ids where name = 'group')), 1,
  'MEN-11 reading up to a mention leaves the later ones counted');
select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
select parley.delete_message((select id from ids where name = 'm2'));
select is(pg_temp.mentions_of('ca000000-0000-0000-0000-000000000002', (select id from ids where name = 'group')), 0,
  'MEN-12 deleting a mentioning message takes its unread mention off');
select is(pg_temp.mentions_of('ca000000-0000-0000-0000-000000000003', (select id from ids where name = 'group')), 0,
  'MEN-13 for every member it reached');

-- Direct conversations: the other person may be mentioned, "everyone" is for groups.
insert into ids (name, id) select 'dm', id from parley.get_or_create_direct_conversation('ca000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.send_message((select id from ids where name = 'dm'), 'x', metadata => '{"mentions": ["everyone"]}')$$),
  '42501 mention_everyone_not_allowed', 'MEN-14 nobody mentions everyone in a direct conversation');
select tests.authenticate_as('ca000000-0000-0000-0000-000000000004');
select parley.mark_read((select id from ids where name = 'dm'));
select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
select parley.send_message((select id from ids where name = 'dm'), 'ping @dan', metadata => '{"mentions": ["ca000000-0000-0000-0000-000000000004", "ca000000-0000-0000-0000-000000000001"]}');
select is(pg_temp.mentions_of('ca000000-0000-0000-0000-000000000004', (select id from ids where name = 'dm')), 1,
  'MEN-15 the other person of a direct conversation can be mentioned');
select is(pg_temp.mentions_of('ca000000-0000-0000-0000-000000000001', (select id from ids where name = 'dm')), 0,
  'MEN-16 mentioning yourself counts nothing');

-- Forwarding a text.
select tests.authenticate_as('ca000000-0000-0000-0000-000000000002');
insert into ids (name, id) select 'bob_ann', id from parley.get_or_create_direct_conversation('ca000000-0000-0000-0000-000000000001');
insert into ids (name, id) select 'f1', id from parley.forward_message((select id from ids where name = 'm1'), (select id from ids where name = 'bob_ann'), 'ca0f0000-0000-0000-0000-000000000001');
select is((select body || ' ' || sender_id || ' ' || (metadata -> 'forwarded_from' ->> 'message_id') from parley.messages where id = (select id from ids where name = 'f1')),
  'hey @bob ca000000-0000-0000-0000-000000000002 ' || (select id from ids where name = 'm1'),
  'FWD-01 a forward is my new message with the text and where it came from');
select is((select id from parley.forward_message((select id from ids where name = 'm1'), (select id from ids where name = 'bob_ann'), 'ca0f0000-0000-0000-0000-000000000001')),
  (select id from ids where name = 'f1'), 'FWD-02 forwarding again with the same client_id returns the first copy');
select is((select metadata ? 'mentions' from parley.messages where id = (select id from ids where name = 'f1')), false,
  'FWD-03 the original''s mentions are not forwarded');
select is(tests.error_of($$select parley.forward_message((select id from ids where name = 'm1'), (select id from ids where name = 'dm'))$$),
  'PT404 conversation_not_found', 'FWD-04 only into a conversation I belong to');
select is(tests.error_of($$select parley.forward_message((select id from ids where name = 'm2'), (select id from ids where name = 'bob_ann'))$$),
  '22023 message_deleted', 'FWD-05 a deleted message cannot be forwarded');
select is(tests.error_of($$select parley.forward_message((select id from parley.messages where conversation_id = (select id from ids where name = 'group') and kind = 'system' limit 1), (select id from ids where name = 'bob_ann'))$$),
  '22023 message_not_forwardable', 'FWD-06 nor a system message');

-- Forwarding an attachment by reference: the target's members read the same object.
select tests.clear_authentication();
insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', (select id from ids where name = 'group') || '/photo.png', 'ca000000-0000-0000-0000-000000000001', '{"size": 70, "mimetype": "image/png"}'),
  ('parley-attachments', (select id from ids where name = 'group') || '/unsent.png', 'ca000000-0000-0000-0000-000000000001', '{"size": 70, "mimetype": "image/png"}');
select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
insert into ids (name, id) select 'photo', id from parley.send_message((select id from ids where name = 'group'), null, 'image',
  jsonb_build_object('path', (select id from ids where name = 'group') || '/photo.png'));
select tests.authenticate_as('ca000000-0000-0000-0000-000000000004');
select is((select count(*) from storage.objects where name like (select id from ids where name = 'group') || '/%'), 0::bigint,
  'FWD-07 dan cannot read the group''s files');
select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
select parley.forward_message((select id from ids where name = 'photo'), (select id from ids where name = 'dm'));
select tests.authenticate_as('ca000000-0000-0000-0000-000000000004');
select is((select array_agg(name) from storage.objects where bucket_id = 'parley-attachments' and name like (select id from ids where name = 'group') || '/%'),
  array[(select id from ids where name = 'group') || '/photo.png'], 'FWD-08 once forwarded to him, dan reads that one file and no other');
select is((select attachment ->> 'size' from parley.messages where conversation_id = (select id from ids where name = 'dm') and kind = 'image'), '70',
  'FWD-09 the forwarded message carries the attachment as Storage recorded it');
select tests.authenticate_as('ca000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.send_message((select id from ids where name = 'dm'), null, 'image', jsonb_build_object('path', (select id from ids where name = 'group') || '/unsent.png'))$$),
  '22023 attachment_path_invalid', 'FWD-10 a file of another conversation that was never sent cannot be attached');

select * from finish();
rollback;
