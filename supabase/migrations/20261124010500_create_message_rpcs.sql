-- Purpose: the message operations — send (to a conversation or a user), history and catch-up, edit,
-- tombstone delete, mark read, and the flat inbox.
-- Objects: public RPCs send_message, send_direct_message, get_or_create_direct_conversation,
--   list_messages, list_direct_messages, edit_message, delete_message, mark_read, list_conversations;
--   private implementations and internal helpers.
-- Security definer functions created here (see docs/messaging.md § Definer audit). Each derives the
-- caller from auth.uid() and checks membership itself; none takes a user id to act as:
--   private.send_message(...)                      — bumps conversations.last_seq and fans out to members' rows.
--   private.get_or_create_direct_conversation(uuid) — creates a conversation and both memberships.
--   private.send_direct_message(...)               — the two above in one call.
--   private.edit_message(uuid, text, jsonb)        — writes a row the caller may only read.
--   private.delete_message(uuid)                   — same (tombstone), also for group owners/admins.
--   private.mark_read(uuid, bigint)                — moves the caller's cursor, bounded by last_seq.
--   private.list_conversations(...)                — reads the inbox from one index without the RLS
--                                                    membership hash, so its cost is flat.
-- Internal helpers (invoker, executable by nobody but their definer callers): private.check_page,
--   private.check_metadata, private.check_message_content, private.append_message.

-- Page size guard shared by the list RPCs.
create or replace function private.check_page(max_count integer)
returns void
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  if max_count is null or max_count < 1 or max_count > (private.limits() ->> 'page_max')::int then
    raise exception 'max_count must be between 1 and % (got %)', private.limits() ->> 'page_max', max_count
      using errcode = '22023', hint = 'invalid_page_size';
  end if;
end;
$$;
comment on function private.check_page(integer) is 'Raises 22023 invalid_page_size unless 1 <= max_count <= page_max.';
revoke execute on function private.check_page(integer) from public, anon;
grant execute on function private.check_page(integer) to authenticated, service_role;

-- Metadata: a JSON object of bounded size (null means {}).
create or replace function private.check_metadata(metadata jsonb)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  v_max int := (private.limits() ->> 'metadata_max_bytes')::int;
begin
  if metadata is null then
    return '{}'::jsonb;
  end if;
  if jsonb_typeof(metadata) <> 'object' then
    raise exception 'metadata must be a JSON object (got %)', jsonb_typeof(metadata)
      using errcode = '22023', hint = 'metadata_invalid';
  end if;
  if octet_length(metadata::text) > v_max then
    raise exception 'metadata is % bytes; the limit is %', octet_length(metadata::text), v_max
      using errcode = '22023', hint = 'metadata_too_large';
  end if;
  return metadata;
end;
$$;
comment on function private.check_metadata(jsonb) is 'Validates message metadata; returns {} for null.';
revoke execute on function private.check_metadata(jsonb) from public, anon, authenticated, service_role;

-- Validates kind, body and attachment of a message to be sent; returns the attachment as stored.
create or replace function private.check_message_content(conversation_id uuid, kind text, body text, attachment jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_limits jsonb := private.limits();
  v_rule jsonb;
  v_path text;
  v_object_meta jsonb;
  v_mime text;
  v_size bigint;
  v_name text;
  v_key text;
begin
  if kind = 'system' then
    raise exception 'kind "system" is reserved for messages Parley writes itself'
      using errcode = '22023', hint = 'system_kind_reserved';
  end if;
  if kind is null or kind not in ('text', 'image', 'video', 'audio', 'file') then
    raise exception 'kind "%" is not one of text, image, video, audio, file', kind
      using errcode = '22023', hint = 'invalid_kind';
  end if;
  if char_length(body) > (v_limits ->> 'body_max_chars')::int then
    raise exception 'body is % characters; the limit is %', char_length(body), v_limits ->> 'body_max_chars'
      using errcode = '22023', hint = 'body_too_long';
  end if;
  if kind = 'text' then
    if body is null or btrim(body) = '' then
      raise exception 'body is required for a text message'
        using errcode = '22023', hint = 'body_required';
    end if;
    if attachment is not null then
      raise exception 'a text message cannot carry an attachment; use kind image, video, audio or file'
        using errcode = '22023', hint = 'attachment_not_allowed';
    end if;
    return null;
  end if;

  if attachment is null then
    raise exception 'kind "%" needs an attachment', kind
      using errcode = '22023', hint = 'attachment_required';
  end if;
  if jsonb_typeof(attachment) <> 'object' then
    raise exception 'attachment must be a JSON object (got %)', jsonb_typeof(attachment)
      using errcode = '22023', hint = 'attachment_invalid';
  end if;
  if coalesce(attachment ->> 'bucket', 'attachments') <> 'attachments' then
    raise exception 'attachment.bucket must be "attachments" (got "%")', attachment ->> 'bucket'
      using errcode = '22023', hint = 'attachment_invalid';
  end if;
  v_path := attachment ->> 'path';
  if v_path is null or jsonb_typeof(attachment -> 'path') <> 'string'
     or char_length(v_path) > (v_limits ->> 'attachment_path_max_chars')::int
     or not starts_with(v_path, conversation_id::text || '/')
     or v_path ~ '(^|/)\.\.?(/|$)' or v_path like '%//%' or right(v_path, 1) = '/' then
    raise exception 'attachment.path "%" must be "%/<file>" (at most % characters, no "." or ".." segments)',
      v_path, conversation_id, v_limits ->> 'attachment_path_max_chars'
      using errcode = '22023', hint = 'attachment_path_invalid';
  end if;
  foreach v_key in array array['size', 'duration_ms', 'width', 'height'] loop
    if attachment ? v_key and (jsonb_typeof(attachment -> v_key) <> 'number'
        or (attachment ->> v_key)::numeric < 0 or (attachment ->> v_key)::numeric <> trunc((attachment ->> v_key)::numeric)
        or (attachment ->> v_key)::numeric > 9007199254740991) then
      raise exception 'attachment.% must be a non-negative integer (got %)', v_key, attachment -> v_key
        using errcode = '22023', hint = 'attachment_invalid';
    end if;
  end loop;
  if attachment ? 'mime_type' and jsonb_typeof(attachment -> 'mime_type') <> 'string' then
    raise exception 'attachment.mime_type must be a string'
      using errcode = '22023', hint = 'attachment_invalid';
  end if;
  if attachment ? 'name' and jsonb_typeof(attachment -> 'name') <> 'string' then
    raise exception 'attachment.name must be a string'
      using errcode = '22023', hint = 'attachment_invalid';
  end if;

  -- The object must have been uploaded; what Storage recorded wins over what the client claims.
  select o.metadata into v_object_meta
  from storage.objects o
  where o.bucket_id = 'attachments' and o.name = v_path;
  if not found then
    raise exception 'attachment "%" has not been uploaded to bucket attachments', v_path
      using errcode = 'P0002', hint = 'attachment_not_found';
  end if;
  v_mime := lower(btrim(split_part(coalesce(v_object_meta ->> 'mimetype', attachment ->> 'mime_type', ''), ';', 1)));
  v_size := coalesce(case when jsonb_typeof(v_object_meta -> 'size') = 'number' then (v_object_meta ->> 'size')::bigint end,
                     (attachment ->> 'size')::bigint);
  v_rule := v_limits -> 'attachments' -> kind;
  if v_mime = '' or not (v_rule -> 'mime_types') ? v_mime then
    raise exception 'mime type "%" is not allowed for kind %', v_mime, kind
      using errcode = '22023', hint = 'attachment_mime_not_allowed';
  end if;
  if v_size is null then
    raise exception 'attachment.size is required'
      using errcode = '22023', hint = 'attachment_invalid';
  end if;
  if v_size > (v_rule ->> 'max_size')::bigint then
    raise exception 'attachment is % bytes; the limit for kind % is %', v_size, kind, v_rule ->> 'max_size'
      using errcode = '22023', hint = 'attachment_too_large';
  end if;
  v_name := coalesce(attachment ->> 'name', split_part(v_path, '/', -1));
  if char_length(v_name) > (v_limits ->> 'attachment_name_max_chars')::int then
    raise exception 'attachment.name is % characters; the limit is %', char_length(v_name), v_limits ->> 'attachment_name_max_chars'
      using errcode = '22023', hint = 'attachment_invalid';
  end if;
  return jsonb_strip_nulls(jsonb_build_object(
    'bucket', 'attachments', 'path', v_path, 'mime_type', v_mime, 'size', v_size, 'name', v_name,
    'duration_ms', attachment -> 'duration_ms', 'width', attachment -> 'width', 'height', attachment -> 'height'));
end;
$$;
comment on function private.check_message_content(uuid, text, text, jsonb) is 'Validates a message''s kind, body and attachment against private.limits(); returns the attachment to store.';
revoke execute on function private.check_message_content(uuid, text, text, jsonb) from public, anon, authenticated, service_role;

-- Appends a message: takes the next seq under the conversation's row lock (held to commit, so commit
-- order equals seq order), then moves every member's inbox key and the sender's read cursor.
-- No permission checks: callers (definer RPCs) have done them.
create or replace function private.append_message(
  conversation_id uuid, sender_id uuid, kind text, body text, attachment jsonb, metadata jsonb,
  reply_to_id uuid, client_id uuid)
returns public.messages
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_seq bigint;
  v_row public.messages;
begin
  update public.conversations c
     set last_seq = c.last_seq + 1, last_message_at = clock_timestamp()
   where c.id = append_message.conversation_id
  returning c.last_seq into v_seq;
  if v_seq is null then
    raise exception 'conversation % not found', append_message.conversation_id
      using errcode = 'P0002', hint = 'conversation_not_found';
  end if;
  insert into public.messages (conversation_id, seq, sender_id, kind, body, attachment, metadata, reply_to_id, client_id)
  values (append_message.conversation_id, v_seq, append_message.sender_id, append_message.kind, append_message.body,
          append_message.attachment, coalesce(append_message.metadata, '{}'::jsonb), append_message.reply_to_id,
          append_message.client_id)
  returning * into v_row;
  -- Inbox fan-out, bounded by group_max_members: activity key, unhide, sender has read their own message.
  -- clock_timestamp(), not now(): several sends in one transaction still order by activity.
  update public.conversation_members m
     set last_activity_at = clock_timestamp(),
         hidden_at = null,
         last_read_seq = case when m.user_id = append_message.sender_id then greatest(m.last_read_seq, v_seq) else m.last_read_seq end
   where m.conversation_id = append_message.conversation_id;
  return v_row;
end;
$$;
comment on function private.append_message(uuid, uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Internal: appends a message with the next seq and updates members'' inbox rows.';
revoke execute on function private.append_message(uuid, uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon, authenticated, service_role;

-- Send a message to a conversation the caller belongs to.
create or replace function private.send_message(
  conversation_id uuid, kind text, body text, attachment jsonb, metadata jsonb, reply_to_id uuid, client_id uuid)
returns public.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_attachment jsonb;
  v_metadata jsonb;
  v_existing public.messages;
begin
  if not exists (select 1 from public.conversation_members m
                 where m.conversation_id = send_message.conversation_id and m.user_id = v_user_id) then
    raise exception 'conversation % not found', send_message.conversation_id
      using errcode = 'P0002', hint = 'conversation_not_found';
  end if;
  v_attachment := private.check_message_content(send_message.conversation_id, coalesce(send_message.kind, 'text'),
                                                send_message.body, send_message.attachment);
  v_metadata := private.check_metadata(send_message.metadata);

  if send_message.client_id is not null then
    -- Serialise with other sends to this conversation, then look for an earlier attempt (each
    -- statement sees rows committed while we waited for the lock).
    perform 1 from public.conversations c where c.id = send_message.conversation_id for update;
    select * into v_existing from public.messages x
     where x.sender_id = v_user_id and x.client_id = send_message.client_id;
    if found then
      if v_existing.conversation_id <> send_message.conversation_id then
        raise exception 'client_id % was already used for a message in another conversation', send_message.client_id
          using errcode = '23505', hint = 'client_id_conflict';
      end if;
      return v_existing;
    end if;
  end if;

  if send_message.reply_to_id is not null and not exists (
      select 1 from public.messages r
       where r.id = send_message.reply_to_id and r.conversation_id = send_message.conversation_id) then
    raise exception 'reply_to_id % is not a message of conversation %', send_message.reply_to_id, send_message.conversation_id
      using errcode = 'P0002', hint = 'reply_not_found';
  end if;

  return private.append_message(send_message.conversation_id, v_user_id, coalesce(send_message.kind, 'text'),
                                send_message.body, v_attachment, v_metadata, send_message.reply_to_id,
                                send_message.client_id);
end;
$$;
comment on function private.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Implementation of public.send_message (definer: writes seq, message and inbox rows).';
revoke execute on function private.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function private.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

create or replace function public.send_message(
  conversation_id uuid, body text default null, kind text default 'text', attachment jsonb default null,
  metadata jsonb default null, reply_to_id uuid default null, client_id uuid default null)
returns public.messages
language sql
security invoker
set search_path = ''
as $$
  select * from private.send_message(send_message.conversation_id, send_message.kind, send_message.body,
    send_message.attachment, send_message.metadata, send_message.reply_to_id, send_message.client_id);
$$;
comment on function public.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Send a message (text, image, video, audio, file) to a conversation you belong to. A repeated client_id returns the first message.';
revoke execute on function public.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function public.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

-- The direct conversation between the caller and another user, created on first use.
create or replace function private.get_or_create_direct_conversation(other_user_id uuid)
returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_key text;
  v_row public.conversations;
begin
  if other_user_id is null or not exists (select 1 from public.profiles p where p.id = other_user_id) then
    raise exception 'user % not found', other_user_id
      using errcode = 'P0002', hint = 'user_not_found';
  end if;
  if other_user_id = v_user_id then
    raise exception 'a direct conversation needs another user (got your own id %)', other_user_id
      using errcode = '22023', hint = 'cannot_message_self';
  end if;
  v_key := least(v_user_id, other_user_id)::text || ':' || greatest(v_user_id, other_user_id)::text;
  insert into public.conversations (kind, direct_key, created_by)
  values ('direct', v_key, v_user_id)
  on conflict (direct_key) do nothing
  returning * into v_row;
  if found then
    insert into public.conversation_members (conversation_id, user_id, role)
    values (v_row.id, v_user_id, 'member'), (v_row.id, other_user_id, 'member');
    return v_row;
  end if;
  select * into v_row from public.conversations c where c.direct_key = v_key;
  return v_row;
end;
$$;
comment on function private.get_or_create_direct_conversation(uuid) is 'Implementation of public.get_or_create_direct_conversation (definer: creates the conversation and both memberships).';
revoke execute on function private.get_or_create_direct_conversation(uuid) from public, anon;
grant execute on function private.get_or_create_direct_conversation(uuid) to authenticated, service_role;

create or replace function public.get_or_create_direct_conversation(other_user_id uuid)
returns public.conversations
language sql
security invoker
set search_path = ''
as $$
  select * from private.get_or_create_direct_conversation(get_or_create_direct_conversation.other_user_id);
$$;
comment on function public.get_or_create_direct_conversation(uuid) is 'The direct conversation between you and another user; created (with both as members) on first use.';
revoke execute on function public.get_or_create_direct_conversation(uuid) from public, anon;
grant execute on function public.get_or_create_direct_conversation(uuid) to authenticated, service_role;

create or replace function private.send_direct_message(
  recipient_id uuid, kind text, body text, attachment jsonb, metadata jsonb, reply_to_id uuid, client_id uuid)
returns public.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_conversation public.conversations;
begin
  v_conversation := private.get_or_create_direct_conversation(send_direct_message.recipient_id);
  return private.send_message(v_conversation.id, send_direct_message.kind, send_direct_message.body,
    send_direct_message.attachment, send_direct_message.metadata, send_direct_message.reply_to_id,
    send_direct_message.client_id);
end;
$$;
comment on function private.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Implementation of public.send_direct_message.';
revoke execute on function private.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function private.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

create or replace function public.send_direct_message(
  recipient_id uuid, body text default null, kind text default 'text', attachment jsonb default null,
  metadata jsonb default null, reply_to_id uuid default null, client_id uuid default null)
returns public.messages
language sql
security invoker
set search_path = ''
as $$
  select * from private.send_direct_message(send_direct_message.recipient_id, send_direct_message.kind,
    send_direct_message.body, send_direct_message.attachment, send_direct_message.metadata,
    send_direct_message.reply_to_id, send_direct_message.client_id);
$$;
comment on function public.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Send a message to a user, creating your direct conversation with them on first use.';
revoke execute on function public.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function public.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

-- History (newest first, before_seq cursor) or catch-up (oldest first, after_seq) through RLS.
create or replace function public.list_messages(
  conversation_id uuid, before_seq bigint default null, after_seq bigint default null, max_count integer default 50)
returns setof public.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.require_user();
  perform private.check_page(list_messages.max_count);
  if list_messages.before_seq is not null and list_messages.after_seq is not null then
    raise exception 'give before_seq (history) or after_seq (catch-up), not both'
      using errcode = '22023', hint = 'cursor_conflict';
  end if;
  if not private.is_member(list_messages.conversation_id) then
    raise exception 'conversation % not found', list_messages.conversation_id
      using errcode = 'P0002', hint = 'conversation_not_found';
  end if;
  if list_messages.after_seq is not null then
    return query
      select * from public.messages m
       where m.conversation_id = list_messages.conversation_id and m.seq > list_messages.after_seq
       order by m.seq asc
       limit list_messages.max_count;
  else
    return query
      select * from public.messages m
       where m.conversation_id = list_messages.conversation_id
         and m.seq < coalesce(list_messages.before_seq, 9223372036854775807)
       order by m.seq desc
       limit list_messages.max_count;
  end if;
end;
$$;
comment on function public.list_messages(uuid, bigint, bigint, integer) is 'Messages of a conversation: newest first (page back with before_seq) or, with after_seq, oldest first to catch up.';
revoke execute on function public.list_messages(uuid, bigint, bigint, integer) from public, anon;
grant execute on function public.list_messages(uuid, bigint, bigint, integer) to authenticated, service_role;

-- The seed's GET /messages/direct/:userId: messages with one user (empty until the first message).
create or replace function public.list_direct_messages(
  other_user_id uuid, before_seq bigint default null, after_seq bigint default null, max_count integer default 50)
returns setof public.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_conversation_id uuid;
begin
  perform private.check_page(list_direct_messages.max_count);
  select c.id into v_conversation_id from public.conversations c
   where c.direct_key = least(v_user_id, list_direct_messages.other_user_id)::text || ':'
                        || greatest(v_user_id, list_direct_messages.other_user_id)::text;
  if v_conversation_id is null then
    return;
  end if;
  return query select * from public.list_messages(v_conversation_id, list_direct_messages.before_seq,
                                                  list_direct_messages.after_seq, list_direct_messages.max_count);
end;
$$;
comment on function public.list_direct_messages(uuid, bigint, bigint, integer) is 'Messages of your direct conversation with a user, like list_messages; empty when none exists yet.';
revoke execute on function public.list_direct_messages(uuid, bigint, bigint, integer) from public, anon;
grant execute on function public.list_direct_messages(uuid, bigint, bigint, integer) to authenticated, service_role;

-- Edit your own message's text (and optionally its metadata).
create or replace function private.edit_message(message_id uuid, body text, metadata jsonb)
returns public.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_row public.messages;
  v_max int := (private.limits() ->> 'body_max_chars')::int;
begin
  select x.* into v_row from public.messages x
   where x.id = edit_message.message_id
     and exists (select 1 from public.conversation_members m where m.conversation_id = x.conversation_id and m.user_id = v_user_id)
   for update of x;
  if not found then
    raise exception 'message % not found', edit_message.message_id
      using errcode = 'P0002', hint = 'message_not_found';
  end if;
  if v_row.kind = 'system' then
    raise exception 'system messages cannot be edited or deleted'
      using errcode = '22023', hint = 'message_not_editable';
  end if;
  if v_row.sender_id is distinct from v_user_id then
    raise exception 'only the sender may edit message %', edit_message.message_id
      using errcode = '42501', hint = 'not_message_sender';
  end if;
  if v_row.deleted_at is not null then
    raise exception 'message % was deleted and cannot be edited', edit_message.message_id
      using errcode = '22023', hint = 'message_deleted';
  end if;
  if char_length(edit_message.body) > v_max then
    raise exception 'body is % characters; the limit is %', char_length(edit_message.body), v_max
      using errcode = '22023', hint = 'body_too_long';
  end if;
  if v_row.kind = 'text' and (edit_message.body is null or btrim(edit_message.body) = '') then
    raise exception 'body is required for a text message'
      using errcode = '22023', hint = 'body_required';
  end if;
  update public.messages x
     set body = nullif(edit_message.body, ''),
         metadata = case when edit_message.metadata is null then x.metadata else private.check_metadata(edit_message.metadata) end,
         edited_at = now()
   where x.id = v_row.id
  returning * into v_row;
  return v_row;
end;
$$;
comment on function private.edit_message(uuid, text, jsonb) is 'Implementation of public.edit_message (definer: members may not write messages directly).';
revoke execute on function private.edit_message(uuid, text, jsonb) from public, anon;
grant execute on function private.edit_message(uuid, text, jsonb) to authenticated, service_role;

create or replace function public.edit_message(message_id uuid, body text, metadata jsonb default null)
returns public.messages
language sql
security invoker
set search_path = ''
as $$
  select * from private.edit_message(edit_message.message_id, edit_message.body, edit_message.metadata);
$$;
comment on function public.edit_message(uuid, text, jsonb) is 'Edit the text (caption) of your own message; sets edited_at. Not for deleted or system messages.';
revoke execute on function public.edit_message(uuid, text, jsonb) from public, anon;
grant execute on function public.edit_message(uuid, text, jsonb) to authenticated, service_role;

-- Tombstone a message: by its sender, or in a group by an owner or admin.
create or replace function private.delete_message(message_id uuid)
returns public.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_row public.messages;
  v_role text;
  v_kind text;
begin
  select x.* into v_row from public.messages x where x.id = delete_message.message_id for update;
  if found then
    select m.role, c.kind into v_role, v_kind
      from public.conversation_members m join public.conversations c on c.id = m.conversation_id
     where m.conversation_id = v_row.conversation_id and m.user_id = v_user_id;
  end if;
  if v_role is null then
    raise exception 'message % not found', delete_message.message_id
      using errcode = 'P0002', hint = 'message_not_found';
  end if;
  if v_row.kind = 'system' then
    raise exception 'system messages cannot be edited or deleted'
      using errcode = '22023', hint = 'message_not_editable';
  end if;
  if v_row.sender_id is distinct from v_user_id and not (v_kind = 'group' and v_role in ('owner', 'admin')) then
    raise exception 'only the sender or a group owner or admin may delete message %', delete_message.message_id
      using errcode = '42501', hint = 'not_allowed';
  end if;
  if v_row.deleted_at is not null then
    return v_row;
  end if;
  update public.messages x
     set body = null, attachment = null, metadata = '{}'::jsonb, deleted_at = now()
   where x.id = v_row.id
  returning * into v_row;
  return v_row;
end;
$$;
comment on function private.delete_message(uuid) is 'Implementation of public.delete_message (definer: writes a row the caller may only read).';
revoke execute on function private.delete_message(uuid) from public, anon;
grant execute on function private.delete_message(uuid) to authenticated, service_role;

create or replace function public.delete_message(message_id uuid)
returns public.messages
language sql
security invoker
set search_path = ''
as $$
  select * from private.delete_message(delete_message.message_id);
$$;
comment on function public.delete_message(uuid) is 'Delete a message (tombstone: body, attachment and metadata cleared, seq kept). Sender, or group owner/admin. Repeating it is a no-op.';
revoke execute on function public.delete_message(uuid) from public, anon;
grant execute on function public.delete_message(uuid) to authenticated, service_role;

-- Move the caller's read cursor forward (never back), at most to the conversation's last seq.
create or replace function private.mark_read(conversation_id uuid, seq bigint)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_last bigint;
  v_cursor bigint;
begin
  select c.last_seq into v_last
    from public.conversations c
    join public.conversation_members m on m.conversation_id = c.id and m.user_id = v_user_id
   where c.id = mark_read.conversation_id;
  if v_last is null then
    raise exception 'conversation % not found', mark_read.conversation_id
      using errcode = 'P0002', hint = 'conversation_not_found';
  end if;
  if mark_read.seq is not null and (mark_read.seq < 0 or mark_read.seq > v_last) then
    raise exception 'seq % is outside 0..% for conversation %', mark_read.seq, v_last, mark_read.conversation_id
      using errcode = '22023', hint = 'seq_out_of_range';
  end if;
  update public.conversation_members m
     set last_read_seq = greatest(m.last_read_seq, coalesce(mark_read.seq, v_last))
   where m.conversation_id = mark_read.conversation_id and m.user_id = v_user_id
  returning m.last_read_seq into v_cursor;
  return v_cursor;
end;
$$;
comment on function private.mark_read(uuid, bigint) is 'Implementation of public.mark_read (definer: last_read_seq is not client-writable).';
revoke execute on function private.mark_read(uuid, bigint) from public, anon;
grant execute on function private.mark_read(uuid, bigint) to authenticated, service_role;

create or replace function public.mark_read(conversation_id uuid, seq bigint default null)
returns bigint
language sql
security invoker
set search_path = ''
as $$
  select private.mark_read(mark_read.conversation_id, mark_read.seq);
$$;
comment on function public.mark_read(uuid, bigint) is 'Mark a conversation read up to seq (default: its last message). Returns your read cursor; it never moves back.';
revoke execute on function public.mark_read(uuid, bigint) from public, anon;
grant execute on function public.mark_read(uuid, bigint) to authenticated, service_role;

-- The inbox: my conversations by activity, keyset-paginated, read from
-- conversation_members_user_id_activity_idx so a page costs the same with 100 or 10,000 conversations.
create or replace function private.list_conversations(
  max_count integer, before_activity_at timestamptz, before_id uuid, include_hidden boolean)
returns table (
  conversation_id uuid, kind text, title text, description text, avatar_url text, role text,
  joined_at timestamptz, last_seq bigint, last_read_seq bigint, unread_count bigint,
  muted_until timestamptz, hidden_at timestamptz, last_activity_at timestamptz,
  last_message jsonb, other_user jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
begin
  perform private.check_page(list_conversations.max_count);
  if list_conversations.before_id is not null and list_conversations.before_activity_at is null then
    raise exception 'before_id needs before_activity_at (the cursor is the last row''s last_activity_at and conversation_id)'
      using errcode = '22023', hint = 'cursor_invalid';
  end if;
  return query
    select m.conversation_id, c.kind, c.title, c.description, c.avatar_url, m.role, m.joined_at,
           c.last_seq, m.last_read_seq, greatest(c.last_seq - m.last_read_seq, 0) as unread_count,
           m.muted_until, m.hidden_at, m.last_activity_at,
           (select to_jsonb(x) from public.messages x where x.conversation_id = c.id and x.seq = c.last_seq) as last_message,
           (select jsonb_build_object('id', p.id, 'username', p.username, 'display_name', p.display_name,
                                      'avatar_url', p.avatar_url, 'last_seen_at', p.last_seen_at)
              from public.conversation_members o join public.profiles p on p.id = o.user_id
             where c.kind = 'direct' and o.conversation_id = c.id and o.user_id <> v_user_id
             limit 1) as other_user
      from public.conversation_members m
      join public.conversations c on c.id = m.conversation_id
     where m.user_id = v_user_id
       and (list_conversations.include_hidden or m.hidden_at is null)
       and (m.last_activity_at, m.conversation_id)
           < (coalesce(list_conversations.before_activity_at, 'infinity'::timestamptz),
              coalesce(list_conversations.before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
     order by m.last_activity_at desc, m.conversation_id desc
     limit list_conversations.max_count;
end;
$$;
comment on function private.list_conversations(integer, timestamptz, uuid, boolean) is 'Implementation of public.list_conversations (definer: explicit user filter on one index instead of the RLS membership hash).';
revoke execute on function private.list_conversations(integer, timestamptz, uuid, boolean) from public, anon;
grant execute on function private.list_conversations(integer, timestamptz, uuid, boolean) to authenticated, service_role;

create or replace function public.list_conversations(
  max_count integer default 50, before_activity_at timestamptz default null, before_id uuid default null,
  include_hidden boolean default false)
returns table (
  conversation_id uuid, kind text, title text, description text, avatar_url text, role text,
  joined_at timestamptz, last_seq bigint, last_read_seq bigint, unread_count bigint,
  muted_until timestamptz, hidden_at timestamptz, last_activity_at timestamptz,
  last_message jsonb, other_user jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.list_conversations(list_conversations.max_count, list_conversations.before_activity_at,
                                           list_conversations.before_id, list_conversations.include_hidden);
$$;
comment on function public.list_conversations(integer, timestamptz, uuid, boolean) is 'Your inbox: conversations by latest activity with last message, unread count and (direct) the other person. Page with the last row''s (last_activity_at, conversation_id).';
revoke execute on function public.list_conversations(integer, timestamptz, uuid, boolean) from public, anon;
grant execute on function public.list_conversations(integer, timestamptz, uuid, boolean) to authenticated, service_role;
