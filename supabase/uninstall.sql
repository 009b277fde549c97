-- Removes Parley from a Supabase project: its two schemas (every table, function, trigger function and
-- row in them: messages, conversations, calls, profiles), its trigger on auth.users, its policies on
-- realtime.messages, its policies and triggers on storage.objects, the Supabase Cron job, and its rows in
-- the migration history, so that `supabase db push` neither complains about the missing files nor
-- installs it again unasked.
-- The app's own objects (public, private, its triggers and policies) are not touched.
--
-- Before: empty and delete the bucket with the Storage API, which removes the files themselves
-- (Supabase refuses deleting storage rows in SQL, which would orphan the bytes), e.g. as service role:
--   await supabase.storage.emptyBucket('parley-attachments'); await supabase.storage.deleteBucket('parley-attachments');
-- Run:    psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f supabase/uninstall.sql   (or the dashboard's SQL editor)
-- After:  delete Parley's files from supabase/migrations, unexpose `parley` in the Data API settings.
-- One transaction: it removes everything or, when refused, nothing.
begin;

do $$
begin
  if exists (select 1 from storage.buckets where id = 'parley-attachments') then
    raise exception 'the Storage bucket parley-attachments still exists: empty and delete it with the Storage API first (supabase.storage.emptyBucket, then deleteBucket), so its files are removed too'
      using errcode = '55006', hint = 'bucket_not_empty';
  end if;
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.unschedule(j.jobid) from cron.job j where j.jobname in ('parley_sweep_calls', 'parley_sweep_push');
  end if;
end;
$$;

drop trigger if exists parley_on_auth_user_created on auth.users;

drop policy if exists realtime_messages_select_parley_topics on realtime.messages;
drop policy if exists realtime_messages_insert_parley_topics on realtime.messages;

drop policy if exists parley_attachments_select_member on storage.objects;
drop policy if exists parley_attachments_insert_member on storage.objects;
drop policy if exists parley_attachments_update_member on storage.objects;  -- the name before sent_attachments_immutable
drop policy if exists parley_attachments_update_own on storage.objects;
drop policy if exists parley_attachments_delete_own on storage.objects;
drop trigger if exists parley_attachments_guard_sent on storage.objects;
drop trigger if exists parley_attachments_mark_removed on storage.objects;

-- Dropping the tables also takes parley.messages out of the supabase_realtime publication.
drop schema if exists parley, parley_internal cascade;

do $$
begin
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    delete from supabase_migrations.schema_migrations where name in ('install_parley', 'schedule_call_sweep');
  end if;
end;
$$;

commit;
