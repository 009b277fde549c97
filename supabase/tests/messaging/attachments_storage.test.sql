-- Storage bucket `attachments` and its storage.objects policies: members under their conversation's folder, nobody else;
-- an object a message refers to is immutable (no update, upsert or move by anyone), only its uploader deletes it, and
-- the message then shows the attachment as removed (attachment.removed_at, edited_at, message_edited).
begin;
select plan(41);

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix ba): owner 01, member 03, stranger 04, partner 05.
select tests.create_user('ba000000-0000-0000-0000-000000000001', 'ba_owner');
select tests.create_user('ba000000-0000-0000-0000-000000000003', 'ba_member');
select tests.create_user('ba000000-0000-0000-0000-000000000004', 'ba_stranger');
select tests.create_user('ba000000-0000-0000-0000-000000000005', 'ba_partner');
insert into parley.conversations (id, kind, title, created_by) values
  ('bac00000-0000-0000-0000-000000000001', 'group', 'BA group', 'ba000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('bac00000-0000-0000-0000-000000000002', 'direct', 'ba000000-0000-0000-0000-000000000001:ba000000-0000-0000-0000-000000000005', 'ba000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('bac00000-0000-0000-0000-000000000001', 'ba000000-0000-0000-0000-000000000001', 'owner'),
  ('bac00000-0000-0000-0000-000000000001', 'ba000000-0000-0000-0000-000000000003', 'member'),
  ('bac00000-0000-0000-0000-000000000002', 'ba000000-0000-0000-0000-000000000001', 'member'),
  ('bac00000-0000-0000-0000-000000000002', 'ba000000-0000-0000-0000-000000000005', 'member');
insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/seed.png', 'ba000000-0000-0000-0000-000000000001', '{"size": 1, "mimetype": "image/png"}'),
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000002/dm.png', 'ba000000-0000-0000-0000-000000000001', '{"size": 1, "mimetype": "image/png"}');

-- the bucket
select is((select public from storage.buckets where id = 'parley-attachments'), false, 'STO-01 the attachments bucket is private');
select is((select file_size_limit from storage.buckets where id = 'parley-attachments'), 104857600::bigint, 'STO-02 its size ceiling is the largest per-kind limit (100 MB)');
select ok((select allowed_mime_types @> array['image/png', 'video/mp4', 'audio/mpeg', 'application/pdf'] and not ('application/x-msdownload' = any (allowed_mime_types))
             from storage.buckets where id = 'parley-attachments'), 'STO-03 it allows exactly the per-kind mime types');

-- read
select tests.authenticate_as('ba000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select string_agg(name, ',') from storage.objects where bucket_id = 'parley-attachments' and name like 'bac%'$$),
  'bac00000-0000-0000-0000-000000000001/seed.png', 'STO-04 a member reads the files of their group only');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select string_agg(name, ',') from storage.objects where bucket_id = 'parley-attachments' and name like 'bac%'$$),
  'bac00000-0000-0000-0000-000000000002/dm.png', 'STO-05 the other party reads the direct conversation''s files only');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select count(*) from storage.objects where bucket_id = 'parley-attachments' and name like 'bac%'$$), '0',
  'STO-06 a stranger reads no file');
select tests.authenticate_as_anon();
select is(tests.value_of($$select count(*) from storage.objects where bucket_id = 'parley-attachments'$$), '0', 'STO-07 anon reads no file');
select tests.authenticate_as_service_role();
select is(tests.value_of($$select count(*) from storage.objects where bucket_id = 'parley-attachments' and name like 'bac%'$$), '2', 'STO-08 service_role reads every file');

-- upload
select tests.authenticate_as('ba000000-0000-0000-0000-000000000003');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/up.png', 'ba000000-0000-0000-0000-000000000003', '{"size": 5, "mimetype": "image/png"}')$$),
  'no error', 'STO-09 a member uploads under their conversation''s folder');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000002/sneak.png', 'ba000000-0000-0000-0000-000000000003')$$),
  '42501 -', 'STO-10 a member cannot upload into another conversation''s folder');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id) values
  ('parley-attachments', 'loose.png', 'ba000000-0000-0000-0000-000000000003')$$),
  '42501 -', 'STO-11 nobody uploads outside a conversation folder');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id) values
  ('parley-attachments', 'not-a-uuid/x.png', 'ba000000-0000-0000-0000-000000000003')$$),
  '42501 -', 'STO-12 a folder that is not a conversation id is refused');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000004');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/spam.png', 'ba000000-0000-0000-0000-000000000004')$$),
  '42501 -', 'STO-13 a stranger cannot upload');
select tests.authenticate_as_anon();
select is(tests.error_of($$insert into storage.objects (bucket_id, name) values ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/anon.png')$$),
  '42501 -', 'STO-14 anon cannot upload');

-- update / delete
select tests.authenticate_as('ba000000-0000-0000-0000-000000000003');
select is(tests.rows_affected($$update storage.objects set metadata = '{"size": 6}' where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/up.png'$$),
  1::bigint, 'STO-15 a member overwrites a file in their folder');
select is(tests.error_of($$update storage.objects set name = 'bac00000-0000-0000-0000-000000000002/moved.png' where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/up.png'$$),
  '42501 -', 'STO-16 a file cannot be moved into another conversation''s folder');
-- The Storage server sets this before its own deletes (Supabase blocks direct deletes otherwise).
select set_config('storage.allow_delete_query', 'true', true);
select is(tests.rows_affected($$delete from storage.objects where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/seed.png'$$),
  0::bigint, 'STO-17 a member cannot delete someone else''s upload');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000004');
select is(tests.rows_affected($$update storage.objects set metadata = '{}' where bucket_id = 'parley-attachments' and name like 'bac%'$$),
  0::bigint, 'STO-18 a stranger updates nothing');
select tests.clear_authentication();
select is((select count(*) from storage.objects where bucket_id = 'parley-attachments' and name like 'bac%'), 3::bigint, 'STO-19 refused writes changed nothing');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000003');
select is(tests.rows_affected($$delete from storage.objects where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/up.png'$$),
  1::bigint, 'STO-21 the uploader deletes their own file');
select is((select count(*) from pg_policies where schemaname = 'storage' and tablename = 'objects' and policyname like 'parley_attachments_%'), 4::bigint,
  'STO-20 one policy per command on storage.objects for attachments');

-- Sent attachments (STO-22…). Owner 01 uploaded sent.png (70 bytes) and sent it; draft.png is his, not sent yet.
select tests.clear_authentication();
insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/sent.png', 'ba000000-0000-0000-0000-000000000001', 'ba000000-0000-0000-0000-000000000001', 'v1', '{"size": 70, "mimetype": "image/png"}'),
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/draft.png', 'ba000000-0000-0000-0000-000000000001', 'ba000000-0000-0000-0000-000000000001', 'v1', '{"size": 70, "mimetype": "image/png"}');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000001');
create temp table sent_message as
  select * from parley.send_message('bac00000-0000-0000-0000-000000000001', null, 'image',
                                    '{"path": "bac00000-0000-0000-0000-000000000001/sent.png"}'::jsonb);
grant select on sent_message to authenticated, service_role;
-- Storage's canUpload for an upsert, as the caller (src/storage/database/pg.ts upsertObject).
create function pg_temp.upsert_as_storage(p_name text, p_owner text, p_size int, p_mime text) returns text language sql as $f$
  select tests.error_of(format($q$insert into storage.objects (name, owner, owner_id, bucket_id, metadata, version)
    values (%L, %L::uuid, %L, 'parley-attachments', %L::jsonb, '1')
    on conflict (name, bucket_id) do update set metadata = excluded.metadata, version = excluded.version,
                                                owner = excluded.owner, owner_id = excluded.owner_id
    returning *$q$, p_name, p_owner, p_owner, jsonb_build_object('mimetype', p_mime, 'contentLength', p_size)));
$f$;
grant execute on function pg_temp.upsert_as_storage(text, text, int, text) to authenticated, service_role;

select tests.authenticate_as('ba000000-0000-0000-0000-000000000003');
select is(pg_temp.upsert_as_storage('bac00000-0000-0000-0000-000000000001/sent.png', 'ba000000-0000-0000-0000-000000000003', 70, 'image/png'),
  '42501 -', 'STO-22 another member''s upsert over a sent attachment is refused by RLS (only the uploader may update)');
select is(pg_temp.upsert_as_storage('bac00000-0000-0000-0000-000000000001/draft.png', 'ba000000-0000-0000-0000-000000000003', 70, 'image/png'),
  '42501 -', 'STO-23 another member''s upsert over an unsent upload is refused too');
select is(tests.rows_affected($$update storage.objects set name = 'bac00000-0000-0000-0000-000000000001/stolen.png', owner_id = 'ba000000-0000-0000-0000-000000000003'
                                where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/draft.png'$$),
  0::bigint, 'STO-24 another member cannot move someone else''s upload (Storage''s move updates nothing: NoSuchKey)');
select is(tests.rows_affected($$delete from storage.objects where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  0::bigint, 'STO-25 another member cannot delete a sent attachment');

select tests.authenticate_as('ba000000-0000-0000-0000-000000000001');
select is(pg_temp.upsert_as_storage('bac00000-0000-0000-0000-000000000001/sent.png', 'ba000000-0000-0000-0000-000000000001', 11534336, 'application/octet-stream'),
  '42501 attachment_immutable', 'STO-26 the sender cannot re-upload his own sent attachment (11 MB of octet-stream over a 70-byte png)');
select is(tests.error_of($$update storage.objects set name = 'bac00000-0000-0000-0000-000000000001/elsewhere.png'
                           where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  '42501 attachment_immutable', 'STO-27 nor move it (the message would point at nothing)');
select is(tests.error_of($$update storage.objects set metadata = '{"size": 11534336, "mimetype": "application/octet-stream"}'
                           where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  '42501 attachment_immutable', 'STO-28 nor change what Storage recorded of it');
select is(pg_temp.upsert_as_storage('bac00000-0000-0000-0000-000000000001/draft.png', 'ba000000-0000-0000-0000-000000000001', 80, 'image/png'),
  'no error', 'STO-29 the uploader still replaces an upload no message refers to');
select tests.authenticate_as_service_role();
select is(tests.error_of($$update storage.objects set metadata = '{"size": 11534336, "mimetype": "application/octet-stream"}', version = 'v2'
                           where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  '42501 attachment_immutable', 'STO-30 service_role cannot change a sent attachment either');
select tests.clear_authentication();
-- Storage's completeUpload and move finish as its superuser connection, past RLS.
select is(tests.error_of($$insert into storage.objects (name, owner, owner_id, bucket_id, metadata, version)
    values ('bac00000-0000-0000-0000-000000000001/sent.png', 'ba000000-0000-0000-0000-000000000001', 'ba000000-0000-0000-0000-000000000001', 'parley-attachments',
            '{"size": 11534336, "mimetype": "application/octet-stream"}', 'v3')
    on conflict (name, bucket_id) do update set metadata = excluded.metadata, version = excluded.version$$),
  '42501 attachment_immutable', 'STO-31 nor the superuser write that completes an upload');
select is((select jsonb_build_object('owner_id', owner_id, 'version', version, 'size', metadata -> 'size', 'mimetype', metadata ->> 'mimetype')
             from storage.objects where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'),
  '{"owner_id": "ba000000-0000-0000-0000-000000000001", "version": "v1", "size": 70, "mimetype": "image/png"}'::jsonb,
  'STO-32 the sent object is as it was when sent: same owner, version, size and type');
select is(tests.error_of($$update storage.objects set last_accessed_at = now()
                           where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  'no error', 'STO-33 bookkeeping that leaves the object as it is (last_accessed_at) still works');

-- Deletion by the uploader: the message shows the attachment as removed.
delete from realtime.messages;
select tests.authenticate_as('ba000000-0000-0000-0000-000000000001');
select is(tests.rows_affected($$delete from storage.objects where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  1::bigint, 'STO-34 the uploader deletes his sent attachment');
select ok((select m.attachment ->> 'removed_at' is not null and m.edited_at is not null and m.deleted_at is null
                  and m.attachment ->> 'path' = 'bac00000-0000-0000-0000-000000000001/sent.png' and (m.attachment ->> 'size')::int = 70
             from parley.messages m where m.id = (select id from sent_message)),
  'STO-35 the message stays, its attachment marked removed (attachment.removed_at, edited_at set; path, size and type kept)');
select tests.clear_authentication();
select is((select array_agg(topic || ' ' || event || ' ' || (payload -> 'message' -> 'attachment' ? 'removed_at')::text order by topic) from realtime.messages
            where event = 'message_edited' and payload -> 'message' ->> 'id' = (select id::text from sent_message)),
  array['user:ba000000-0000-0000-0000-000000000001 message_edited true', 'user:ba000000-0000-0000-0000-000000000003 message_edited true'],
  'STO-36 members hear it as message_edited carrying the removed attachment');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000001');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/sent.png', 'ba000000-0000-0000-0000-000000000001', '{"size": 11534336, "mimetype": "application/octet-stream"}')$$),
  '42501 attachment_immutable', 'STO-37 nothing new can be uploaded where a removed attachment was');
select is(tests.error_of($$update storage.objects set name = 'bac00000-0000-0000-0000-000000000001/sent.png'
                           where bucket_id = 'parley-attachments' and name = 'bac00000-0000-0000-0000-000000000001/draft.png'$$),
  '42501 attachment_immutable', 'STO-38 nor moved there');
select tests.authenticate_as('ba000000-0000-0000-0000-000000000004');
select is(tests.error_of($$insert into storage.objects (bucket_id, name, owner_id) values
  ('parley-attachments', 'bac00000-0000-0000-0000-000000000001/sent.png', 'ba000000-0000-0000-0000-000000000004')$$),
  '42501 -', 'STO-39 a stranger trying that path gets the plain RLS refusal (learns nothing of the message)');
select tests.clear_authentication();
select is((select array_agg(p.oid::regprocedure::text || ' ' || p.prosecdef::text || ' ' || coalesce(p.proconfig @> array['search_path=""'], false)::text
                            || ' ' || (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute')
                                       or has_function_privilege('service_role', p.oid, 'execute'))::text order by p.proname)
             from pg_trigger t join pg_proc p on p.oid = t.tgfoid
            where t.tgrelid = 'storage.objects'::regclass and t.tgname like 'parley%'),
  array['parley_internal.guard_sent_attachment() false true false', 'parley_internal.mark_attachment_removed() true true false',
        'parley_internal.take_upload_token() true true false'],
  'STO-40 the storage.objects triggers: the guard runs as the writer (sees what the writer sees), the removal marker and the upload rate limit are definer; no API role executes either');
set local enable_seqscan = off;
select matches(tests.plan_of($$select 1 from parley.messages m
                               where m.attachment is not null and m.attachment ->> 'path' = 'bac00000-0000-0000-0000-000000000001/sent.png'$$),
  'messages_attachment_path_idx', 'STO-41 the triggers'' lookup of the messages referring to an object is one probe of messages_attachment_path_idx');
reset enable_seqscan;

select * from finish();
rollback;
