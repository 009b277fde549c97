-- Attachments: the private Storage bucket parley-attachments and who may touch its objects. Every object
-- lives under "<conversation_id>/…" and messages point at it (messages.attachment.path). Members read and
-- upload under its folder; only the uploader replaces, moves or deletes an object; nobody else sees or
-- writes anything in the bucket. Once a message refers to an object it is immutable for everyone: what
-- send_message checked (size, type) is what stays stored for the life of the message. Its uploader
-- may still delete it; the message then keeps its attachment marked removed.
-- Security definer functions here (see docs/SECURITY.md § Definer functions):
--   parley_internal.is_referenced_by_my_conversations(text) — the select policy's predicate for forwarded
--                                              attachments; reads messages and memberships without
--                                              re-entering their RLS; answers only for auth.uid().
--   parley_internal.mark_attachment_removed() — trigger: marks the messages of a deleted object, which
--                                              the deleting uploader may only read.
-- parley_internal.guard_sent_attachment() is a trigger function run as the writer (invoker).
--
-- Signed URLs: Storage authorises createSignedUrl with a SELECT of the object as the caller and never
-- passes expiresIn to SQL (only the role, JWT claims, headers, method, path and storage.operation reach
-- it), so no policy can bound a URL's lifetime, and a URL cannot be revoked; the SDK mints short ones.

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

-- The storage policy's second way in: an object that a message of one of the caller's conversations
-- refers to (a forwarded attachment). One probe of the messages' path index per object checked.
create or replace function parley_internal.is_referenced_by_my_conversations(name text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from parley.messages x
     where x.attachment is not null and x.attachment ->> 'path' = is_referenced_by_my_conversations.name
       and exists (select 1 from parley.conversation_members m
                    where m.conversation_id = x.conversation_id and m.user_id = (select auth.uid())));
$$;
comment on function parley_internal.is_referenced_by_my_conversations(text) is 'True when a message of one of auth.uid()''s conversations refers to this Storage object (storage select policy).';
revoke execute on function parley_internal.is_referenced_by_my_conversations(text) from public, anon;
grant execute on function parley_internal.is_referenced_by_my_conversations(text) to authenticated, service_role;

-- Members read the files of their conversations (folder name = conversation id), and the files messages
-- of their conversations refer to (forwarded into them, forwarding.sql).
create policy parley_attachments_select_member on storage.objects
  for select to authenticated
  using (bucket_id = 'parley-attachments'
         and ((storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text)
              or parley_internal.is_referenced_by_my_conversations(name)));
comment on policy parley_attachments_select_member on storage.objects is 'Parley: members read attachments under their conversation''s folder, and those a message of their conversations refers to (forwarded).';

-- Members upload only into the folder of a conversation they belong to.
create policy parley_attachments_insert_member on storage.objects
  for insert to authenticated
  with check (bucket_id = 'parley-attachments'
              and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_insert_member on storage.objects is 'Parley: members upload attachments under their conversation''s folder.';

-- Only the uploader replaces (upsert) or moves an object, and only inside a folder they belong to. Storage
-- authorises an upsert with insert ... on conflict do update as the caller (this policy's using clause on
-- the stored row, its check on the new one) and a move with an update of name and owner; an object a
-- message refers to is refused to everyone by the trigger below.
create policy parley_attachments_update_own on storage.objects
  for update to authenticated
  using (bucket_id = 'parley-attachments'
         and owner_id = (select auth.uid())::text
         and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text))
  with check (bucket_id = 'parley-attachments'
              and owner_id = (select auth.uid())::text
              and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_update_own on storage.objects is 'Parley: uploaders replace or move their own attachments within their conversations'' folders (never one a message refers to: parley_attachments_guard_sent).';

-- Only the uploader removes a file, and only while still a member.
create policy parley_attachments_delete_own on storage.objects
  for delete to authenticated
  using (bucket_id = 'parley-attachments'
         and owner_id = (select auth.uid())::text
         and (storage.foldername(name))[1] in (select parley_internal.my_conversation_ids()::text));
comment on policy parley_attachments_delete_own on storage.objects is 'Parley: uploaders delete their own attachments.';

-- A sent attachment is immutable: no role (members, service_role, the Storage server's own superuser write
-- that completes an upload or a move) may change the stored object a live message refers to, nor put a new
-- object where one was removed. Invoker: the writer's own view of parley.messages decides, so a stranger
-- (who sees no message) meets the plain RLS refusal and learns nothing. Bookkeeping columns
-- (last_accessed_at, updated_at) may change. A plain re-upload over an existing object is left to the
-- unique key (409) and an upsert to the update branch.
create or replace function parley_internal.guard_sent_attachment()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and old.bucket_id = 'parley-attachments'
     and (new.bucket_id, new.name, new.owner, new.owner_id, new.metadata, new.user_metadata, new.version)
         is distinct from (old.bucket_id, old.name, old.owner, old.owner_id, old.metadata, old.user_metadata, old.version)
     and exists (select 1 from parley.messages m
                  where m.attachment is not null and m.attachment ->> 'path' = old.name) then
    raise exception 'attachment "%" belongs to a sent message and cannot be changed', old.name
      using errcode = '42501', hint = 'attachment_immutable';
  end if;
  if new.bucket_id = 'parley-attachments'
     and (tg_op = 'INSERT' or new.name is distinct from old.name or new.bucket_id is distinct from old.bucket_id)
     and not exists (select 1 from storage.objects o where o.bucket_id = new.bucket_id and o.name = new.name)
     and exists (select 1 from parley.messages m
                  where m.attachment is not null and m.attachment ->> 'path' = new.name) then
    raise exception 'attachment "%" belongs to a sent message and cannot be changed', new.name
      using errcode = '42501', hint = 'attachment_immutable';
  end if;
  return new;
end;
$$;
comment on function parley_internal.guard_sent_attachment() is 'Trigger on storage.objects: refuses (42501 attachment_immutable) any change to an object a message refers to, and a new object at its path.';
revoke execute on function parley_internal.guard_sent_attachment() from public, anon, authenticated, service_role;

create trigger parley_attachments_guard_sent
  before insert or update on storage.objects
  for each row execute function parley_internal.guard_sent_attachment();

-- Deleting a sent object (its uploader, or service_role) leaves the message in place with its attachment
-- marked removed: attachment.removed_at is set, the rest (path, name, type, size) kept, and edited_at moves
-- so members get message_edited. Definer: the uploader may only read the messages it changes.
create or replace function parley_internal.mark_attachment_removed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update parley.messages m
     set attachment = m.attachment || jsonb_build_object('removed_at', now()),
         edited_at = now()
   where m.attachment is not null
     and m.attachment ->> 'path' = old.name
     and not m.attachment ? 'removed_at';
  return null;
end;
$$;
comment on function parley_internal.mark_attachment_removed() is 'Trigger on storage.objects: marks the attachment of every message referring to a deleted object removed (attachment.removed_at, edited_at).';
revoke execute on function parley_internal.mark_attachment_removed() from public, anon, authenticated, service_role;

create trigger parley_attachments_mark_removed
  after delete on storage.objects
  for each row when (old.bucket_id = 'parley-attachments')
  execute function parley_internal.mark_attachment_removed();
