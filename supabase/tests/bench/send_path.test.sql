-- The streamlined send path (migration 20261201300200): same limits, same rules and errors, fewer
-- statements. IDs: BENCH-10..16.
begin;
select plan(7);

-- Cast (prefix bf): member 01, other member 02, stranger 03; group c…01 and c…02.
select tests.create_user('bf000000-0000-0000-0000-000000000001', 'bf_member');
select tests.create_user('bf000000-0000-0000-0000-000000000002', 'bf_other');
select tests.create_user('bf000000-0000-0000-0000-000000000003', 'bf_stranger');
insert into parley.conversations (id, kind, title) values
  ('bfc00000-0000-0000-0000-000000000001', 'group', 'BF one'),
  ('bfc00000-0000-0000-0000-000000000002', 'group', 'BF two');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('bfc00000-0000-0000-0000-000000000001', 'bf000000-0000-0000-0000-000000000001', 'owner'),
  ('bfc00000-0000-0000-0000-000000000001', 'bf000000-0000-0000-0000-000000000002', 'member'),
  ('bfc00000-0000-0000-0000-000000000002', 'bf000000-0000-0000-0000-000000000001', 'owner');

-- The limits are the very values the first definition built (it is copied here to guard the constant),
-- plus metadata_max_depth (issue 23).
select is(parley_internal.limits(), jsonb_build_object(
    'body_max_chars', 4000,
    'metadata_max_bytes', 4096,
    'metadata_max_depth', 32,
    'title_max_chars', 100,
    'description_max_chars', 1000,
    'avatar_url_max_chars', 2048,
    'group_max_members', 256,
    'page_max', 200,
    'attachment_path_max_chars', 512,
    'attachment_name_max_chars', 255,
    'slow_mode_max_seconds', 21600,
    'pins_max', 50,
    'mentions_max', 50,
    'thread_participants_max', 20,
    'reactions_max_distinct', 50,
    'attachments', jsonb_build_object(
      'image', jsonb_build_object('max_size', 10485760, 'mime_types', jsonb_build_array(
        'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif')),
      'video', jsonb_build_object('max_size', 104857600, 'mime_types', jsonb_build_array(
        'video/mp4', 'video/webm', 'video/quicktime')),
      'audio', jsonb_build_object('max_size', 26214400, 'mime_types', jsonb_build_array(
        'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/webm', 'audio/wav')),
      'file', jsonb_build_object('max_size', 52428800, 'mime_types', jsonb_build_array(
        'application/pdf', 'application/zip', 'application/json', 'text/plain', 'text/csv',
        'application/msword', 'application/vnd.ms-excel',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'application/octet-stream',
        'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif',
        'video/mp4', 'video/webm', 'video/quicktime',
        'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/webm', 'audio/wav'))
    )), 'BENCH-10 parley_internal.limits() returns exactly the limits it always did');
select is(array(select p.proname::text || ':' || l.lanname from pg_proc p join pg_language l on l.oid = p.prolang
                 where p.oid in ('parley_internal.limits()'::regprocedure, 'parley.send_message(uuid,text,text,jsonb,jsonb,uuid,uuid)'::regprocedure)
                 order by 1),
  array['limits:plpgsql', 'send_message:plpgsql'], 'BENCH-11 limits and the send_message wrapper are plpgsql (plans cached per session)');

select tests.authenticate_as('bf000000-0000-0000-0000-000000000001');
select is((select metadata from parley.send_message('bfc00000-0000-0000-0000-000000000001', 'hello')), '{}'::jsonb,
  'BENCH-12 a send without metadata stores {}');
select is((select x.id from parley.send_message('bfc00000-0000-0000-0000-000000000001', 'again', client_id => 'bfd00000-0000-0000-0000-000000000001') x),
          (select x.id from parley.send_message('bfc00000-0000-0000-0000-000000000001', 'again', client_id => 'bfd00000-0000-0000-0000-000000000001') x),
  'BENCH-13 a retried client_id returns the first message');
select is(tests.error_of($$select parley.send_message('bfc00000-0000-0000-0000-000000000002', 'elsewhere', client_id => 'bfd00000-0000-0000-0000-000000000001')$$),
  '23505 client_id_conflict', 'BENCH-14 a client_id reused in another conversation is refused');
select tests.authenticate_as('bf000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.send_message('bfc00000-0000-0000-0000-000000000001', 'intruder')$$),
  'PT404 conversation_not_found', 'BENCH-15 a stranger cannot send');
select tests.clear_authentication();
select is((select last_seq from parley.conversations where id = 'bfc00000-0000-0000-0000-000000000001'), 2::bigint,
  'BENCH-16 only the two accepted sends took a seq (the retry and the refusals took none)');

select * from finish();
rollback;
