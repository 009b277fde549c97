-- What database events carry: message_json (every column members may read), last_message_json (the
-- inbox summary: a cut preview, the attachment's name and type, nothing of a tombstone) and inbox_json
-- (the inbox part of v2 message events). IDs: RT-PAY-*.
begin;
select plan(5);

-- Cast (prefix bd): sender 01; group c…01 with a text message, an attachment message and a tombstone.
select tests.create_user('bd000000-0000-0000-0000-000000000001', 'bd_sender');
insert into parley.conversations (id, kind, title, last_seq) values ('bdc00000-0000-0000-0000-000000000001', 'group', 'BD group', 3);
insert into parley.conversation_members (conversation_id, user_id, role)
values ('bdc00000-0000-0000-0000-000000000001', 'bd000000-0000-0000-0000-000000000001', 'owner');
insert into parley.messages (id, conversation_id, seq, sender_id, kind, body, attachment, metadata, created_at) values
  ('bdd00000-0000-0000-0000-000000000001', 'bdc00000-0000-0000-0000-000000000001', 1, 'bd000000-0000-0000-0000-000000000001', 'text',
   repeat('x', 200), null, '{"k": 1}', '2026-01-01T00:00:00Z'),
  ('bdd00000-0000-0000-0000-000000000002', 'bdc00000-0000-0000-0000-000000000001', 2, 'bd000000-0000-0000-0000-000000000001', 'image',
   'caption', '{"bucket": "parley-attachments", "path": "bdc00000-0000-0000-0000-000000000001/a.png", "mime_type": "image/png", "size": 10, "name": "a.png"}', '{}', '2026-01-01T00:00:01Z'),
  ('bdd00000-0000-0000-0000-000000000003', 'bdc00000-0000-0000-0000-000000000001', 3, 'bd000000-0000-0000-0000-000000000001', 'text',
   null, null, '{}', '2026-01-01T00:00:02Z');
update parley.messages set deleted_at = '2026-01-02T00:00:00Z' where id = 'bdd00000-0000-0000-0000-000000000003';

select is((select parley_internal.message_json(m) from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000001'),
  (select jsonb_build_object('id', m.id, 'conversation_id', m.conversation_id, 'seq', m.seq, 'sender_id', m.sender_id,
     'kind', m.kind, 'body', m.body, 'attachment', m.attachment, 'metadata', m.metadata, 'reply_to_id', m.reply_to_id,
     'client_id', m.client_id, 'created_at', m.created_at, 'edited_at', m.edited_at, 'deleted_at', m.deleted_at,
     'reactions', m.reactions, 'thread_root_id', m.thread_root_id, 'shown_in_conversation', m.shown_in_conversation,
     'thread_reply_count', m.thread_reply_count, 'thread_last_reply_at', m.thread_last_reply_at,
     'thread_participants', m.thread_participants)
     from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000001'),
  'RT-PAY-01 message_json carries every column members may read');
select is((select parley_internal.last_message_json(m) ->> 'preview' from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000001'),
  repeat('x', 140), 'RT-PAY-02 last_message_json cuts the preview to inbox_preview_chars');
select is((select parley_internal.last_message_json(m) -> 'attachment' from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000002'),
  '{"name": "a.png", "mime_type": "image/png"}'::jsonb, 'RT-PAY-03 last_message_json names the attachment and its type, nothing more');
select is((select parley_internal.last_message_json(m) - 'created_at' - 'deleted_at' from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000003'),
  '{"id": "bdd00000-0000-0000-0000-000000000003", "seq": 3, "kind": "text", "system": null, "preview": null, "sender_id": "bd000000-0000-0000-0000-000000000001", "edited_at": null, "attachment": null}'::jsonb,
  'RT-PAY-04 a tombstone''s summary has ids and times only');

select is((select parley_internal.inbox_json(m) from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000001'),
  (select jsonb_build_object('kind', 'group', 'title', 'BD group', 'avatar_url', null, 'last_seq', 3,
     'last_message', parley_internal.last_message_json(m)) from parley.messages m where m.id = 'bdd00000-0000-0000-0000-000000000001'),
  'RT-PAY-05 inbox_json: the conversation''s kind, title, avatar and last_seq with the message''s summary (no unread_count: filled in per member)');

select * from finish();
rollback;
