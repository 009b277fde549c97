-- edit_message and delete_message: who may, tombstones, and refusals that change nothing.
begin;
select plan(29);

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b6): owner 01, admin 02, member 03, stranger 04, partner 05, member2 06.
select tests.create_user('b6000000-0000-0000-0000-000000000001', 'b6_owner');
select tests.create_user('b6000000-0000-0000-0000-000000000002', 'b6_admin');
select tests.create_user('b6000000-0000-0000-0000-000000000003', 'b6_member');
select tests.create_user('b6000000-0000-0000-0000-000000000004', 'b6_stranger');
select tests.create_user('b6000000-0000-0000-0000-000000000005', 'b6_partner');
select tests.create_user('b6000000-0000-0000-0000-000000000006', 'b6_member2');
insert into parley.conversations (id, kind, title, created_by) values
  ('b6c00000-0000-0000-0000-000000000001', 'group', 'B6 group', 'b6000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('b6c00000-0000-0000-0000-000000000001', 'b6000000-0000-0000-0000-000000000001', 'owner'),
  ('b6c00000-0000-0000-0000-000000000001', 'b6000000-0000-0000-0000-000000000002', 'admin'),
  ('b6c00000-0000-0000-0000-000000000001', 'b6000000-0000-0000-0000-000000000003', 'member'),
  ('b6c00000-0000-0000-0000-000000000001', 'b6000000-0000-0000-0000-000000000006', 'member');
insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', 'b6c00000-0000-0000-0000-000000000001/a.png', 'b6000000-0000-0000-0000-000000000003', '{"size": 10, "mimetype": "image/png"}');
-- messages 1..5 by the member, 6 by member2; 7 an image by the member
select tests.authenticate_as('b6000000-0000-0000-0000-000000000003');
select count(*) from (select parley.send_message('b6c00000-0000-0000-0000-000000000001', 'm' || s) from generate_series(1, 5) s) x;
select tests.authenticate_as('b6000000-0000-0000-0000-000000000006');
select count(*) from parley.send_message('b6c00000-0000-0000-0000-000000000001', 'm6');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000003');
select count(*) from parley.send_message('b6c00000-0000-0000-0000-000000000001', 'caption', kind => 'image',
  attachment => '{"path": "b6c00000-0000-0000-0000-000000000001/a.png"}');
create function pg_temp.msg(s bigint) returns uuid language sql as $f$
  select id from parley.messages where conversation_id = 'b6c00000-0000-0000-0000-000000000001' and seq = s $f$;

-- edit
select is(tests.value_of($$select body from parley.edit_message(pg_temp.msg(1), 'm1 (edited)')$$), 'm1 (edited)',
  'EDIT-01 the sender edits their message');
select isnt((select edited_at from parley.messages where id = pg_temp.msg(1)), null, 'EDIT-02 edited_at is set');
select is(tests.value_of($$select metadata::text from parley.edit_message(pg_temp.msg(2), 'm2', '{"mentions": []}')$$), '{"mentions": []}',
  'EDIT-03 an edit may replace metadata');
select is(tests.value_of($$select coalesce(body, '<null>') from parley.edit_message(pg_temp.msg(7), '')$$), '<null>',
  'EDIT-04 an attachment''s caption can be cleared');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), '  ')$$), '22023 body_required',
  'EDIT-05 a text message cannot be edited to blank');
select is(tests.error_of(format('select parley.edit_message(%L, %L)', pg_temp.msg(3), U&'\00A0\000A\200B')), '22023 body_required',
  'EDIT-12 nor to only NBSP, newlines or zero-width spaces');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), repeat('x', 4001))$$), '22023 body_too_long',
  'EDIT-06 an edit over 4000 characters is refused');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), 'x', jsonb_build_object('big', repeat('x', 5000)))$$), '22023 metadata_too_large',
  'EDIT-07 oversized metadata in an edit is refused');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), E'\n\t\r')$$), '22023 body_required',
  'EDIT-30 a text message cannot be edited to newlines and tabs');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), E'\u00a0\u200b\u2060\ufeff')$$), '22023 body_required',
  'EDIT-31 nor to no-break and zero-width spaces');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), 'x', (repeat('{"a":', 33) || '1' || repeat('}', 33))::jsonb)$$), '22023 metadata_too_deep',
  'EDIT-32 metadata nested 33 deep in an edit is refused');
select is(tests.value_of($$select body from parley.edit_message(pg_temp.msg(5), E'\u00a0m5\u200b')$$), E'\u00a0m5\u200b',
  'EDIT-33 an edit with one visible character is accepted as sent');
select is(tests.error_of($$select parley.edit_message('b6000000-0000-0000-0000-0000000000ff', 'x')$$), 'PT404 message_not_found',
  'EDIT-08 editing an unknown message is refused');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), 'owner rewrite')$$), '42501 not_message_sender',
  'EDIT-09 even the group owner cannot edit someone else''s message');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(3), 'stranger')$$), 'PT404 message_not_found',
  'EDIT-10 a stranger cannot edit (and cannot tell the message exists)');
select tests.clear_authentication();
select is((select body from parley.messages where id = pg_temp.msg(3)), 'm3', 'EDIT-11 refused edits changed nothing');

-- delete
select tests.authenticate_as('b6000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select (deleted_at is not null and body is null and attachment is null and metadata = '{}')::text from parley.delete_message(pg_temp.msg(7))$$), 'true',
  'DEL-01 the sender deletes: a tombstone without body, attachment or metadata');
select is((select seq from parley.messages where id = pg_temp.msg(7)), 7::bigint, 'DEL-02 the tombstone keeps its seq (catch-up sees the deletion)');
select is(tests.value_of($$select (deleted_at is not null)::text from parley.delete_message(pg_temp.msg(7))$$), 'true',
  'DEL-03 deleting twice is a no-op');
select is(tests.error_of($$select parley.edit_message(pg_temp.msg(7), 'resurrect')$$), '22023 message_deleted',
  'DEL-04 a deleted message cannot be edited');
select is(tests.error_of($$select parley.delete_message(pg_temp.msg(6))$$), '42501 not_allowed',
  'DEL-05 a member cannot delete another member''s message');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select (deleted_at is not null)::text from parley.delete_message(pg_temp.msg(6))$$), 'true',
  'DEL-06 a group admin deletes a member''s message');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select (deleted_at is not null)::text from parley.delete_message(pg_temp.msg(5))$$), 'true',
  'DEL-07 the group owner deletes a member''s message');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.delete_message(pg_temp.msg(4))$$), 'PT404 message_not_found',
  'DEL-08 a stranger cannot delete');
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.delete_message(pg_temp.msg(4))$$), '42501 -', 'DEL-09 anon cannot call delete_message');
-- direct: the other party is no admin
select tests.authenticate_as('b6000000-0000-0000-0000-000000000001');
select count(*) from parley.send_direct_message('b6000000-0000-0000-0000-000000000005', 'mine');
select tests.authenticate_as('b6000000-0000-0000-0000-000000000005');
select is(tests.error_of($$select parley.delete_message((select id from parley.messages where body = 'mine' and sender_id = 'b6000000-0000-0000-0000-000000000001'))$$),
  '42501 not_allowed', 'DEL-10 in a direct conversation the other party cannot delete my message');
-- system messages
select tests.authenticate_as('b6000000-0000-0000-0000-000000000001');
select count(*) from parley.add_members('b6c00000-0000-0000-0000-000000000001', array['b6000000-0000-0000-0000-000000000004']::uuid[]);
select is(tests.error_of($$select parley.delete_message((select id from parley.messages where conversation_id = 'b6c00000-0000-0000-0000-000000000001' and kind = 'system' limit 1))$$),
  '22023 message_not_editable', 'DEL-11 system messages cannot be deleted');
select is(tests.error_of($$select parley.edit_message((select id from parley.messages where conversation_id = 'b6c00000-0000-0000-0000-000000000001' and kind = 'system' limit 1), 'x')$$),
  '22023 message_not_editable', 'DEL-12 system messages cannot be edited');
select tests.clear_authentication();
select is((select body from parley.messages where id = pg_temp.msg(4)), 'm4', 'DEL-13 refused deletes changed nothing');

select * from finish();
rollback;
