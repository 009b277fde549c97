-- Attachments: the private Storage bucket parley-attachments and who may touch its objects. Every object
-- lives under "<conversation_id>/…" and messages point at it (messages.attachment.path). Members of a
-- conversation read and upload under its folder and delete what they uploaded; nobody else sees or
-- writes anything in the bucket. No security definer here.

-- The bucket. Its ceiling is the union of the per-kind rules in parley_internal.limits() (send_message
-- applies the per-kind limit). A row, not schema: `supabase db diff` does not capture it, so the
-- migration that installs Parley carries the same statement (the drift test compares the rows).
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
select 'parley-attachments', 'parley-attachments', false,
       (select max((r.value ->> 'max_size')::bigint) from jsonb_each(parley_internal.limits() -> 'attachments') r),
       (select array_agg(distinct t.mime order by t.mime)
          from jsonb_each(parley_internal.limits() -> 'attachments') r, jsonb_array_elements_text(r.value -> 'mime_types') t(mime))
on conflict (id) do update
  set public = excluded.public, file_size_limit = excluded.file_size_limit, allowed_mime_types = excluded.allowed_mime_types;

-- Members read the files of their conversations (folder name = conversation id).
create policy parley_attachments_select_member on storage.objects
  for select to authenticated
  using (bucket_id = 'parley-attachments'
         and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_select_member on storage.objects is 'Parley: members read attachments under their conversation''s folder.';

-- Members upload only into the folder of a conversation they belong to.
create policy parley_attachments_insert_member on storage.objects
  for insert to authenticated
  with check (bucket_id = 'parley-attachments'
              and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_insert_member on storage.objects is 'Parley: members upload attachments under their conversation''s folder.';

-- Overwrites (upsert) stay inside a folder the member belongs to.
create policy parley_attachments_update_member on storage.objects
  for update to authenticated
  using (bucket_id = 'parley-attachments'
         and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text))
  with check (bucket_id = 'parley-attachments'
              and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_update_member on storage.objects is 'Parley: members overwrite attachments under their conversation''s folder.';

-- Only the uploader removes a file, and only while still a member.
create policy parley_attachments_delete_own on storage.objects
  for delete to authenticated
  using (bucket_id = 'parley-attachments'
         and owner_id = (select auth.uid())::text
         and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_delete_own on storage.objects is 'Parley: uploaders delete their own attachments.';
