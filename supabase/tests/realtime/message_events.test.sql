-- Message events: each write sends exactly the documented realtime.messages rows, in its own transaction
-- (docs/realtime-events.md § Events). Within the inbox fan-out bound every message event goes once to
-- each member's receive-only user:<id> topic, carrying the row and that member's inbox summary; nothing
-- is written on conversation:<id> (client signals only). IDs: RT-MSG-xx.
begin;
select plan(33);

-- tests.take() (the helpers) moves the events sent so far into the temp table taken; made here, empty.
select tests.take();
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

-- Cast (prefix e2): A 01 (owner), B 02 (member), stranger C 03, D 04 (no conversation with A yet).
select tests.create_user('e2000000-0000-0000-0000-000000000001', 'e2_alice');
select tests.create_user('e2000000-0000-0000-0000-000000000002', 'e2_bob');
select tests.create_user('e2000000-0000-0000-0000-000000000003', 'e2_carol');
select tests.create_user('e2000000-0000-0000-0000-000000000004', 'e2_dave');
insert into parley.conversations (id, kind, title, created_by) values
  ('e2c00000-0000-0000-0000-000000000001', 'group', 'E2 group', 'e2000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('e2c00000-0000-0000-0000-000000000001', 'e2000000-0000-0000-0000-000000000001', 'owner'),
  ('e2c00000-0000-0000-0000-000000000001', 'e2000000-0000-0000-0000-000000000002', 'member');
select tests.take();

-- A sends a message.
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
insert into ids select 'm1', id from parley.send_message('e2c00000-0000-0000-0000-000000000001', 'hello bob');
select tests.clear_authentication();
select is(tests.take(), 2::bigint, 'RT-MSG-01 a message to two members sends exactly 2 rows: one message_created per member');
select is((select array_agg(topic || ' ' || event order by topic) from taken),
  array['user:e2000000-0000-0000-0000-000000000001 message_created', 'user:e2000000-0000-0000-0000-000000000002 message_created'],
  'RT-MSG-02 each member''s own user:<id> gets it once; nothing on conversation:<id> (signals only) or conversation:<id>:events');
select is(tests.ev('user:e2000000-0000-0000-0000-000000000002', 'message_created') - 'inbox',
  (select jsonb_build_object('conversation_id', m.conversation_id, 'message', to_jsonb(m)) from parley.messages m where m.id = (select id from ids where name = 'm1')),
  'RT-MSG-03 message_created carries {conversation_id, message} with every column of the message row (no second event needed)');
select ok((select bool_and(private and extension = 'broadcast' and payload ->> 'id' = id::text) from taken),
  'RT-MSG-04 every event is a private broadcast whose payload.id is the event''s own id (meta.id, for dedupe)');
select is(tests.ev('user:e2000000-0000-0000-0000-000000000002', 'message_created') -> 'inbox',
  (select jsonb_build_object('kind', 'group', 'title', 'E2 group', 'avatar_url', null, 'last_seq', 1, 'unread_count', 1,
     'last_message', jsonb_build_object('id', m.id, 'seq', 1, 'sender_id', 'e2000000-0000-0000-0000-000000000001', 'kind', 'text',
       'preview', 'hello bob', 'attachment', null, 'system', null, 'created_at', m.created_at, 'edited_at', null, 'deleted_at', null))
     from parley.messages m where m.id = (select id from ids where name = 'm1')),
  'RT-MSG-05 the recipient''s copy carries the inbox summary: kind, title, avatar, last_seq, preview, sender, created_at, their unread_count');
select is(tests.ev('user:e2000000-0000-0000-0000-000000000001', 'message_created'),
  jsonb_set(tests.ev('user:e2000000-0000-0000-0000-000000000002', 'message_created'), '{inbox,unread_count}', '0'),
  'RT-MSG-06 the sender''s own copy (their other devices) is the same event with unread_count 0');
select is((select count(*) from taken where topic = 'user:e2000000-0000-0000-0000-000000000003'), 0::bigint,
  'RT-MSG-07 a non-member''s inbox gets nothing');

-- B sends two; A's copies count A's unread.
select tests.authenticate_as('e2000000-0000-0000-0000-000000000002');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', 'one');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', repeat('x', 200));
select tests.clear_authentication();
select is(tests.take(), 4::bigint, 'RT-MSG-08 two messages in one transaction: 4 rows (2 messages x 2 members)');
select is((select array_agg(right(topic, 2) || ' seq ' || (payload -> 'message' ->> 'seq') || ' unread ' || (payload -> 'inbox' ->> 'unread_count')
                            order by topic, (payload -> 'message' ->> 'seq')::int) from taken),
  array['01 seq 2 unread 1', '01 seq 3 unread 2', '02 seq 2 unread 0', '02 seq 3 unread 0'],
  'RT-MSG-09 each member''s copy has their own unread_count: the other member''s grows with each message, the sender''s stays 0');
select is((select char_length(payload -> 'inbox' -> 'last_message' ->> 'preview') || ' ' || char_length(payload -> 'message' ->> 'body') from taken
            where topic = 'user:e2000000-0000-0000-0000-000000000001' and (payload -> 'message' ->> 'seq')::int = 3), '140 200',
  'RT-MSG-10 the inbox preview is cut to inbox_preview_chars (140); the message itself keeps its whole body');
select is((select array_agg((payload -> 'message' ->> 'seq')::int order by (payload -> 'message' ->> 'seq')::int) from taken
            where topic = 'user:e2000000-0000-0000-0000-000000000001'), array[2, 3],
  'RT-MSG-11 each message_created carries its seq (clients order and catch up by it)');

-- Rolled-back and failed writes send nothing.
savepoint before_send;
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', 'never committed');
rollback to savepoint before_send;
select tests.clear_authentication();
select is(tests.take(), 0::bigint, 'RT-MSG-12 a rolled-back send leaves no realtime row');
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.send_message('e2c00000-0000-0000-0000-000000000001', '   ')$$), '22023 body_required',
  'RT-MSG-13 a refused send ...');
select tests.authenticate_as('e2000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.send_message('e2c00000-0000-0000-0000-000000000001', 'let me in')$$), 'PT404 conversation_not_found',
  'RT-MSG-14 ... and a stranger''s send ...');
select tests.clear_authentication();
select is(tests.take(), 0::bigint, 'RT-MSG-15 ... send nothing');

-- Retries with the same client_id return the first message and send no second event.
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', 'once', client_id => 'e2e00000-0000-0000-0000-000000000001');
select tests.clear_authentication();
select tests.take();
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', 'once', client_id => 'e2e00000-0000-0000-0000-000000000001');
select tests.clear_authentication();
select is(tests.take(), 0::bigint, 'RT-MSG-16 a retried send (same client_id) sends no duplicate event');

-- Edits.
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.edit_message((select id from ids where name = 'm1'), 'hello again');
select tests.clear_authentication();
select tests.take();
select is((select array_agg(topic || ' ' || event || ' inbox ' || jsonb_typeof(payload -> 'inbox') order by topic) from taken),
  array['user:e2000000-0000-0000-0000-000000000001 message_edited inbox null', 'user:e2000000-0000-0000-0000-000000000002 message_edited inbox null'],
  'RT-MSG-17 editing an older message: one message_edited per member, with inbox null (the inbox shows the latest, unchanged)');
select is(tests.ev('user:e2000000-0000-0000-0000-000000000002', 'message_edited'),
  (select jsonb_build_object('conversation_id', m.conversation_id, 'message', to_jsonb(m), 'inbox', null) from parley.messages m where m.id = (select id from ids where name = 'm1')),
  'RT-MSG-18 message_edited carries the edited row (new body, edited_at)');
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
insert into ids select 'm5', id from parley.send_message('e2c00000-0000-0000-0000-000000000001', 'the secret plan');
select tests.clear_authentication();
select tests.take();
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.edit_message((select id from ids where name = 'm5'), 'the secret plan, revised');
select tests.clear_authentication();
select tests.take();
select is((select array_agg(topic || ' ' || event || ' ' || (payload -> 'inbox' -> 'last_message' ->> 'preview')
                              || ' unread ' || (payload -> 'inbox' ->> 'unread_count') order by topic) from taken),
  (select array_agg('user:' || x.user_id || ' message_edited the secret plan, revised unread ' || (c.last_seq - x.last_read_seq) order by x.user_id)
     from parley.conversation_members x join parley.conversations c on c.id = x.conversation_id
    where x.conversation_id = 'e2c00000-0000-0000-0000-000000000001'),
  'RT-MSG-19 editing the latest message: each member''s copy also updates their inbox preview, with their own unread_count');

-- Deletes (tombstones).
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.delete_message((select id from ids where name = 'm5'));
select tests.clear_authentication();
select is(tests.take(), 2::bigint, 'RT-MSG-20 deleting the latest message: one message_deleted per member, nothing else');
select is((select array_agg(distinct payload -> 'message') from taken where event = 'message_deleted'),
  (select array_agg(to_jsonb(m)) from parley.messages m where m.id = (select id from ids where name = 'm5')),
  'RT-MSG-21 every copy of message_deleted carries the tombstone');
select ok((select bool_and((payload -> 'message' ->> 'body') is null and (payload -> 'message' -> 'attachment') = 'null'::jsonb
                  and payload -> 'message' -> 'metadata' = '{}'::jsonb and payload -> 'message' ->> 'deleted_at' is not null)
             from taken where event = 'message_deleted'),
  'RT-MSG-22 the tombstone has no body, attachment or metadata, and a deleted_at');
select is((select count(*) from taken where payload::text like '%secret%'), 0::bigint,
  'RT-MSG-23 no event of the delete mentions the deleted text');
select is((tests.ev('user:e2000000-0000-0000-0000-000000000002', 'message_deleted') -> 'inbox' -> 'last_message' -> 'preview'), 'null'::jsonb,
  'RT-MSG-24 the inbox preview of a deleted latest message is null');
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.delete_message((select id from ids where name = 'm5'));
select tests.clear_authentication();
select is(tests.take(), 0::bigint, 'RT-MSG-25 deleting it again changes nothing and sends nothing');

-- Attachments: the inbox gets the file's name and type, members get the attachment.
insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', 'e2c00000-0000-0000-0000-000000000001/cat.png', 'e2000000-0000-0000-0000-000000000001', '{"size": 10, "mimetype": "image/png"}');
select tests.take();
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', null, 'image',
  '{"path": "e2c00000-0000-0000-0000-000000000001/cat.png", "name": "cat.png"}');
select tests.clear_authentication();
select tests.take();
select is(tests.ev('user:e2000000-0000-0000-0000-000000000002', 'message_created') -> 'inbox' -> 'last_message' -> 'attachment',
  '{"name": "cat.png", "mime_type": "image/png"}'::jsonb,
  'RT-MSG-26 an attachment''s inbox preview is its name and mime type');

-- A first direct message creates the conversation: membership and message events together.
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
insert into ids select 'dm', conversation_id from parley.send_direct_message('e2000000-0000-0000-0000-000000000004', 'hi dave');
select tests.clear_authentication();
select tests.take();
select is((select array_agg(event || ' ' || split_part(topic, ':', 1) order by event, topic) from taken),
  array['conversation_added user', 'conversation_added user', 'message_created user', 'message_created user'],
  'RT-MSG-27 a first direct message: conversation_added and message_created to each of the two (no members_added: both are new)');
select is((select array_agg(topic order by topic) from taken where event = 'message_created'),
  array['user:e2000000-0000-0000-0000-000000000001', 'user:e2000000-0000-0000-0000-000000000004'],
  'RT-MSG-28 to exactly the two people in it');

-- Writers other than the RPCs still send (the triggers are definer): the service role inserting a message.
select tests.authenticate_as_service_role();
insert into parley.messages (conversation_id, seq, sender_id, kind, body)
values ('e2c00000-0000-0000-0000-000000000001', 100, 'e2000000-0000-0000-0000-000000000002', 'text', 'from a server');
select tests.clear_authentication();
select tests.take();
select is((select array_agg(topic order by topic) from taken where event = 'message_created'),
  array['user:e2000000-0000-0000-0000-000000000001', 'user:e2000000-0000-0000-0000-000000000002'],
  'RT-MSG-29 a message the service role inserts directly is announced too, once per member');
select is((tests.ev('user:e2000000-0000-0000-0000-000000000001', 'message_created') -> 'inbox' ->> 'last_seq')::int, 100,
  'RT-MSG-30 with last_seq at least the message''s seq');

-- Deleting an older message: its tombstone to every member, the inbox untouched.
select tests.authenticate_as('e2000000-0000-0000-0000-000000000001');
select parley.delete_message((select id from ids where name = 'm1'));
select tests.clear_authentication();
select tests.take();
select is((select array_agg(topic || ' ' || event || ' inbox ' || jsonb_typeof(payload -> 'inbox') || ' body ' || jsonb_typeof(payload -> 'message' -> 'body')
                            order by topic) from taken),
  array['user:e2000000-0000-0000-0000-000000000001 message_deleted inbox null body null',
        'user:e2000000-0000-0000-0000-000000000002 message_deleted inbox null body null'],
  'RT-MSG-31 deleting an older message: one tombstone per member, inbox null');
-- A third member: every copy is the same event but for its id and the reader's own unread_count.
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('e2c00000-0000-0000-0000-000000000001', 'e2000000-0000-0000-0000-000000000003', 'member');
select tests.take();
select tests.authenticate_as('e2000000-0000-0000-0000-000000000002');
select parley.mark_read('e2c00000-0000-0000-0000-000000000001');
select parley.send_message('e2c00000-0000-0000-0000-000000000001', 'three of us');
select tests.clear_authentication();
select tests.take();
select is((select count(distinct jsonb_set(payload - 'id', '{inbox,unread_count}', '0')) || ' distinct, ' || count(*) || ' copies, ' || count(distinct id) || ' ids'
             from taken where event = 'message_created'), '1 distinct, 3 copies, 3 ids',
  'RT-MSG-32 a message to three members: three copies of one event, each with its own id');
select is((select array_agg(right(topic, 2) || ' ' || (payload -> 'inbox' ->> 'unread_count') order by topic) from taken where event = 'message_created'),
  (select array_agg(right(x.user_id::text, 2) || ' ' || (c.last_seq - x.last_read_seq) order by x.user_id)
     from parley.conversation_members x join parley.conversations c on c.id = x.conversation_id
    where x.conversation_id = 'e2c00000-0000-0000-0000-000000000001'),
  'RT-MSG-33 each copy''s unread_count is that member''s own (what their inbox shows after the send)');

select * from finish();
rollback;
