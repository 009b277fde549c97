-- Storage bucket `attachments` and its storage.objects policies: members under their conversation's folder, nobody else.
begin;
select plan(21);

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

select * from finish();
rollback;
