-- send_message / send_direct_message / get_or_create_direct_conversation: rules, errors, idempotent retry, limits.
begin;
select plan(61);

-- Cast: owner 01, admin 02, member 03, stranger 04, direct partner 05 (prefix b4).
select tests.create_user('b4000000-0000-0000-0000-000000000001', 'b4_owner');
select tests.create_user('b4000000-0000-0000-0000-000000000002', 'b4_admin');
select tests.create_user('b4000000-0000-0000-0000-000000000003', 'b4_member');
select tests.create_user('b4000000-0000-0000-0000-000000000004', 'b4_stranger');
select tests.create_user('b4000000-0000-0000-0000-000000000005', 'b4_partner');
insert into parley.conversations (id, kind, title, created_by)
values ('b4c00000-0000-0000-0000-000000000001', 'group', 'B4 group', 'b4000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('b4c00000-0000-0000-0000-000000000001', 'b4000000-0000-0000-0000-000000000001', 'owner'),
  ('b4c00000-0000-0000-0000-000000000001', 'b4000000-0000-0000-0000-000000000002', 'admin'),
  ('b4c00000-0000-0000-0000-000000000001', 'b4000000-0000-0000-0000-000000000003', 'member');
insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', 'b4c00000-0000-0000-0000-000000000001/photo.png', 'b4000000-0000-0000-0000-000000000003', '{"size": 2048, "mimetype": "image/png"}'),
  ('parley-attachments', 'b4c00000-0000-0000-0000-000000000001/huge.png', 'b4000000-0000-0000-0000-000000000003', '{"size": 10485761, "mimetype": "image/png"}'),
  ('parley-attachments', 'b4c00000-0000-0000-0000-000000000001/clip.mp4', 'b4000000-0000-0000-0000-000000000003', '{"size": 5000000, "mimetype": "video/mp4"}'),
  ('parley-attachments', 'b4c00000-0000-0000-0000-000000000001/tool.exe', 'b4000000-0000-0000-0000-000000000003', '{"size": 100, "mimetype": "application/x-msdownload"}'),
  ('parley-attachments', 'b4c00000-0000-0000-0000-000000000001/doc.pdf', 'b4000000-0000-0000-0000-000000000003', '{"size": 100, "mimetype": "application/pdf; charset=binary"}');

-- Sending to a group as a member
select tests.authenticate_as('b4000000-0000-0000-0000-000000000003');
select is((select seq from parley.send_message('b4c00000-0000-0000-0000-000000000001', 'first')), 1::bigint,
  'SEND-01 a member sends a text message; it gets seq 1');
select is((select seq from parley.send_message('b4c00000-0000-0000-0000-000000000001', 'second')), 2::bigint,
  'SEND-02 the next message gets seq 2');
select is((select sender_id from parley.messages where conversation_id = 'b4c00000-0000-0000-0000-000000000001' and seq = 2),
  'b4000000-0000-0000-0000-000000000003'::uuid, 'SEND-03 sender_id is the caller, never client-chosen');
select is((select last_seq from parley.conversations where id = 'b4c00000-0000-0000-0000-000000000001'), 2::bigint,
  'SEND-04 conversations.last_seq follows the newest message');
select isnt((select last_message_at from parley.conversations where id = 'b4c00000-0000-0000-0000-000000000001'), null,
  'SEND-05 conversations.last_message_at is set');
select is((select last_read_seq from parley.list_receipts('b4c00000-0000-0000-0000-000000000001')
           where user_id = 'b4000000-0000-0000-0000-000000000003'), 2::bigint,
  'SEND-06 the sender''s read cursor moves to their own message (own messages are never unread)');
select is((select last_read_seq from parley.list_receipts('b4c00000-0000-0000-0000-000000000001')
           where user_id = 'b4000000-0000-0000-0000-000000000001'), 0::bigint,
  'SEND-07 other members'' cursors stay, so they have unread messages');

-- Replies
select is((select reply_to_id from parley.send_message('b4c00000-0000-0000-0000-000000000001', 're: first',
            reply_to_id => (select id from parley.messages where conversation_id = 'b4c00000-0000-0000-0000-000000000001' and seq = 1))),
  (select id from parley.messages where conversation_id = 'b4c00000-0000-0000-0000-000000000001' and seq = 1),
  'SEND-08 a reply records reply_to_id');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', reply_to_id => 'b4000000-0000-0000-0000-0000000000ff')$$),
  'PT404 reply_not_found', 'SEND-09 replying to a message outside the conversation is refused');

-- Idempotent retry
select is((select seq from parley.send_message('b4c00000-0000-0000-0000-000000000001', 'once', client_id => 'b4d00000-0000-0000-0000-000000000001')),
  4::bigint, 'SEND-10 a send with a client_id is stored');
select is((select seq from parley.send_message('b4c00000-0000-0000-0000-000000000001', 'once', client_id => 'b4d00000-0000-0000-0000-000000000001')),
  4::bigint, 'SEND-11 retrying with the same client_id returns the first row');
select is((select count(*) from parley.messages where client_id = 'b4d00000-0000-0000-0000-000000000001'), 1::bigint,
  'SEND-12 the retry stored no duplicate');
select is((select last_seq from parley.conversations where id = 'b4c00000-0000-0000-0000-000000000001'), 4::bigint,
  'SEND-13 the retry consumed no seq');

-- Attachments
select is((select attachment from parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image',
            attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/photo.png", "width": 640, "height": 480}')),
  '{"bucket": "parley-attachments", "path": "b4c00000-0000-0000-0000-000000000001/photo.png", "mime_type": "image/png", "size": 2048, "name": "photo.png", "width": 640, "height": 480}'::jsonb,
  'SEND-14 an image message stores the attachment facts, size and mime type taken from Storage');
select is((select kind from parley.send_message('b4c00000-0000-0000-0000-000000000001', 'see this', kind => 'file',
            attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/doc.pdf", "name": "Report.pdf"}')),
  'file', 'SEND-15 a file message with a caption is accepted (mime parameters ignored)');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/huge.png"}')$$),
  '22023 attachment_too_large', 'SEND-16 an image over 10 MB is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/clip.mp4"}')$$),
  '22023 attachment_mime_not_allowed', 'SEND-17 a video file sent as kind image is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'file', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/tool.exe"}')$$),
  '22023 attachment_mime_not_allowed', 'SEND-18 a mime type outside every list is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'video', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/missing.mp4", "size": 1, "mime_type": "video/mp4"}')$$),
  'PT404 attachment_not_found', 'SEND-19 an attachment that was never uploaded is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image', attachment => '{"path": "b4c00000-0000-0000-0000-0000000000ff/photo.png"}')$$),
  '22023 attachment_path_invalid', 'SEND-20 an attachment outside the conversation''s folder is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/../x/photo.png"}')$$),
  '22023 attachment_path_invalid', 'SEND-21 ".." in an attachment path is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image')$$),
  '22023 attachment_required', 'SEND-22 kind image without an attachment is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/photo.png"}')$$),
  '22023 attachment_not_allowed', 'SEND-23 a text message with an attachment is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image', attachment => '"b4c00000-0000-0000-0000-000000000001/photo.png"')$$),
  '22023 attachment_invalid', 'SEND-24 an attachment that is not an object is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', null, kind => 'image', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/photo.png", "width": "wide"}')$$),
  '22023 attachment_invalid', 'SEND-25 a non-numeric media fact is refused');

-- Bad input and limits
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', '   ')$$),
  '22023 body_required', 'SEND-26 a blank text message is refused');
select is(array(select tests.error_of(format('select parley.send_message(%L, %L)', 'b4c00000-0000-0000-0000-000000000001', b))
                  from unnest(array[E'\n', E'\t', E' \r\n ', U&'\00A0', U&'\200B', U&'\3000\FEFF', U&'\2060 \202F']) b),
  array_fill('22023 body_required'::text, array[7]),
  'SEND-48 a body of only other white space or invisible characters (newline, tab, NBSP, zero-width, ideographic space) is refused');
select is(parley_internal.is_blank(U&' \200Bhi\00A0'), false,
  'SEND-49 one visible character among them is a message');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', repeat('x', 4001))$$),
  '22023 body_too_long', 'SEND-27 a body over 4000 characters is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', repeat('x', 4000))$$),
  'no error', 'SEND-28 a body of exactly 4000 characters is accepted');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', metadata => jsonb_build_object('k', repeat('x', 4100)))$$),
  '22023 metadata_too_large', 'SEND-29 metadata over 4096 bytes is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', metadata => '[1,2]')$$),
  '22023 metadata_invalid', 'SEND-30 metadata that is not an object is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', kind => 'sticker')$$),
  '22023 invalid_kind', 'SEND-31 an unknown kind is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', kind => 'system')$$),
  '22023 system_kind_reserved', 'SEND-32 clients cannot send system messages');
select is((select last_seq from parley.conversations where id = 'b4c00000-0000-0000-0000-000000000001'), 7::bigint,
  'SEND-33 refused sends changed nothing (last_seq counts only the 7 accepted messages)');

-- Who may send
select tests.authenticate_as('b4000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'let me in')$$),
  'PT404 conversation_not_found', 'SEND-34 a non-member cannot send (and learns nothing about the conversation)');
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'anon')$$),
  '42501 -', 'SEND-35 anon has no execute grant on send_message');
select tests.authenticate_as_service_role();
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'service')$$),
  '42501 not_authenticated', 'SEND-36 send_message needs a signed-in user (service_role writes tables directly)');

-- Direct messages
select tests.authenticate_as('b4000000-0000-0000-0000-000000000001');
select is((select seq from parley.send_direct_message('b4000000-0000-0000-0000-000000000005', 'hello partner')), 1::bigint,
  'SEND-37 the first direct message creates the conversation (seq 1)');
select is((select count(*) from parley.conversation_members m join parley.conversations c on c.id = m.conversation_id
           where c.kind = 'direct' and c.direct_key = 'b4000000-0000-0000-0000-000000000001:b4000000-0000-0000-0000-000000000005'),
  2::bigint, 'SEND-38 both people are members of the new direct conversation');
select is((select seq from parley.send_direct_message('b4000000-0000-0000-0000-000000000005', 'again')), 2::bigint,
  'SEND-39 the second direct message reuses the conversation');
select tests.authenticate_as('b4000000-0000-0000-0000-000000000005');
select is((select id from parley.get_or_create_direct_conversation('b4000000-0000-0000-0000-000000000001')),
  (select id from parley.conversations where direct_key = 'b4000000-0000-0000-0000-000000000001:b4000000-0000-0000-0000-000000000005'),
  'SEND-40 the other party gets the same direct conversation (one per pair)');
select is((select seq from parley.send_direct_message('b4000000-0000-0000-0000-000000000001', 'hi back')), 3::bigint,
  'SEND-41 the other party replies in the same conversation');
select is(tests.error_of($$select parley.send_direct_message('b4000000-0000-0000-0000-000000000005', 'me')$$),
  '22023 cannot_message_self', 'SEND-42 a direct message to yourself is refused');
select is(tests.error_of($$select parley.send_direct_message('b4000000-0000-0000-0000-0000000000ff', 'ghost')$$),
  'PT404 user_not_found', 'SEND-43 a direct message to an unknown user is refused');
select is(tests.error_of($$select parley.get_or_create_direct_conversation(null)$$),
  'PT404 user_not_found', 'SEND-44 get_or_create_direct_conversation needs a user');
select is(tests.error_of($$select parley.send_direct_message('b4000000-0000-0000-0000-000000000001', 'x', client_id => 'b4d00000-0000-0000-0000-000000000002')$$),
  'no error', 'SEND-45 a direct send with a client_id is accepted');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', client_id => 'b4d00000-0000-0000-0000-000000000002')$$),
  'PT404 conversation_not_found', 'SEND-46 (partner is no group member) membership is checked before idempotency');
select tests.authenticate_as('b4000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.send_direct_message('b4000000-0000-0000-0000-000000000001', 'x', client_id => 'b4d00000-0000-0000-0000-000000000001')$$),
  '23505 client_id_conflict', 'SEND-47 reusing a client_id in another conversation is a conflict');

-- Blank bodies beyond spaces, and metadata depth (issue 23). Still the member (03) in the group.
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', E' \t\r\n\f\v\u0085 ')$$),
  '22023 body_required', 'SEND-61 a text body of tabs, CR/LF, form feed, vertical tab and NEL is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', E'\u00a0\u2007\u202f\u3000')$$),
  '22023 body_required', 'SEND-62 a text body of no-break and ideographic spaces is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', E'\u200c\u200d\u2060\ufeff\u00ad\u034f\u2800\u3164\ufe0f\u202e\U000e0041')$$),
  '22023 body_required', 'SEND-64 a text body of joiners, word joiner, BOM, soft hyphen, Braille blank, Hangul filler, selectors, bidi and tag characters is refused');
select is(tests.value_of($$select body from parley.send_message('b4c00000-0000-0000-0000-000000000001', E'\u200b\U0001f469\u200d\U0001f4bb\u00a0')$$),
  E'\u200b\U0001f469\u200d\U0001f4bb\u00a0', 'SEND-65 a body with one visible character is accepted and stored as sent');
select is(tests.value_of($$select body from parley.send_message('b4c00000-0000-0000-0000-000000000001', E'\ufffd')$$),
  E'\ufffd', 'SEND-66 U+FFFD is a character like any other (lone surrogates never reach the database: PostgREST refuses them)');
select is(tests.value_of($$select coalesce(body, '<null>') from parley.send_message('b4c00000-0000-0000-0000-000000000001', E'\n', kind => 'image', attachment => '{"path": "b4c00000-0000-0000-0000-000000000001/photo.png"}')$$),
  E'\n', 'SEND-67 a caption is optional, so a blank caption is still accepted as before');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', metadata => (repeat('{"a":', 33) || '1' || repeat('}', 33))::jsonb)$$),
  '22023 metadata_too_deep', 'SEND-68 metadata with objects nested 33 deep is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', metadata => ('{"a":' || repeat('[', 32) || repeat(']', 32) || '}')::jsonb)$$),
  '22023 metadata_too_deep', 'SEND-69 metadata with arrays nested 33 deep is refused');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', metadata => (repeat('{"a":', 31) || '[1, "x", null]' || repeat('}', 31))::jsonb)$$),
  'no error', 'SEND-70 metadata exactly 32 levels deep (31 objects and an array; the scalars in it add no level) is accepted');
select is(tests.error_of($$select parley.send_message('b4c00000-0000-0000-0000-000000000001', 'x', metadata => ('{"a":' || repeat('[', 5000) || repeat(']', 5000) || '}')::jsonb)$$),
  '22023 metadata_too_large', 'SEND-71 metadata 5,000 levels deep (10 KB) is refused with a clear code, the size checked first');
select is((select count(*) from parley.messages where conversation_id = 'b4c00000-0000-0000-0000-000000000001'
            and (body ~ '^[\n\t \u00a0\u200b]*$' and kind = 'text' or metadata ? 'a' and jsonb_typeof(metadata -> 'a') = 'array')), 0::bigint,
  'SEND-72 refused sends stored nothing');
select is(tests.value_of($$select metadata from parley.send_message('b4c00000-0000-0000-0000-000000000001', 'no metadata')$$),
  '{}', 'SEND-73 a send without metadata stores {}');

select * from finish();
rollback;
