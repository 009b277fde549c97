-- Purpose: "not found" refusals (conversation_not_found, message_not_found, user_not_found, member_not_found,
-- reply_not_found, attachment_not_found, call_not_found) move from SQLSTATE P0002 to PT404.
-- Why: PostgREST answers every P0 code but P0001 with HTTP 500, so a missing (or invisible) conversation
-- looked like a server failure to every client; a PTxyz SQLSTATE is PostgREST's documented way to choose
-- the HTTP status, so PT404 reaches supabase-js as status 404 with code 'PT404' and the Parley code in
-- the hint, unchanged. Nothing else in these functions changes: each is re-created from its latest
-- definition (messaging, groups, calls, and the streamlined send path of 20261201300200) with only the
-- errcode replaced. `create or replace` keeps their owners, grants and comments.
-- Security definer functions re-created here (unchanged: same schema, search_path, checks and grants):
--   private.send_message, get_or_create_direct_conversation, edit_message, delete_message, mark_read,
--   create_group, add_members, remove_member, set_member_role, start_call, get_call_grant.

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
      using errcode = 'PT404', hint = 'attachment_not_found';
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
      using errcode = 'PT404', hint = 'conversation_not_found';
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
  v_metadata jsonb := '{}'::jsonb;
  v_existing public.messages;
begin
  -- Membership and the conversation's row lock in one statement. The lock serialises sends to the
  -- conversation (seq order = commit order) and makes the client_id lookup below see every earlier
  -- attempt; append_message's update of the same row would take it a moment later anyway.
  perform 1 from public.conversations c
   where c.id = send_message.conversation_id
     and exists (select 1 from public.conversation_members m
                  where m.conversation_id = c.id and m.user_id = v_user_id)
     for update of c;
  if not found then
    raise exception 'conversation % not found', send_message.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  v_attachment := private.check_message_content(send_message.conversation_id, coalesce(send_message.kind, 'text'),
                                                send_message.body, send_message.attachment);
  if send_message.metadata is not null then
    v_metadata := private.check_metadata(send_message.metadata);
  end if;

  if send_message.client_id is not null then
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
      using errcode = 'PT404', hint = 'reply_not_found';
  end if;

  return private.append_message(send_message.conversation_id, v_user_id, coalesce(send_message.kind, 'text'),
                                send_message.body, v_attachment, v_metadata, send_message.reply_to_id,
                                send_message.client_id);
end;
$$;

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
      using errcode = 'PT404', hint = 'user_not_found';
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
      using errcode = 'PT404', hint = 'conversation_not_found';
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
      using errcode = 'PT404', hint = 'message_not_found';
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
      using errcode = 'PT404', hint = 'message_not_found';
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
      using errcode = 'PT404', hint = 'conversation_not_found';
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

create or replace function private.lock_group(group_id uuid, user_id uuid)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_kind text;
  v_role text;
begin
  select c.kind into v_kind from public.conversations c where c.id = lock_group.group_id for update;
  if found then
    select m.role into v_role from public.conversation_members m
     where m.conversation_id = lock_group.group_id and m.user_id = lock_group.user_id;
  end if;
  if v_role is null then
    raise exception 'conversation % not found', lock_group.group_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if v_kind <> 'group' then
    raise exception 'conversation % is a direct conversation, not a group', lock_group.group_id
      using errcode = '22023', hint = 'not_a_group';
  end if;
  return v_role;
end;
$$;

create or replace function private.create_group(title text, description text, member_ids uuid[], avatar_url text)
returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_max int := (private.limits() ->> 'group_max_members')::int;
  v_others uuid[];
  v_missing uuid;
  v_row public.conversations;
begin
  perform private.check_group_fields(create_group.title, create_group.description, create_group.avatar_url);
  select coalesce(array_agg(distinct u), '{}') into v_others
    from unnest(coalesce(create_group.member_ids, '{}')) u where u is not null and u <> v_user_id;
  if cardinality(v_others) + 1 > v_max then
    raise exception 'a group holds at most % members (asked for %)', v_max, cardinality(v_others) + 1
      using errcode = '22023', hint = 'too_many_members';
  end if;
  select u into v_missing from unnest(v_others) u where not exists (select 1 from public.profiles p where p.id = u) limit 1;
  if v_missing is not null then
    raise exception 'user % not found', v_missing
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  insert into public.conversations (kind, title, description, avatar_url, created_by)
  values ('group', btrim(create_group.title), nullif(create_group.description, ''), nullif(create_group.avatar_url, ''), v_user_id)
  returning * into v_row;
  insert into public.conversation_members (conversation_id, user_id, role, joined_at)
  values (v_row.id, v_user_id, 'owner', now());
  insert into public.conversation_members (conversation_id, user_id, role, joined_at)
  select v_row.id, u, 'member', now() from unnest(v_others) u;
  perform private.post_system_message(v_row.id, v_user_id, 'group_created', jsonb_build_object('member_ids', to_jsonb(v_others)));
  select * into v_row from public.conversations c where c.id = v_row.id;
  return v_row;
end;
$$;

create or replace function public.get_group(group_id uuid)
returns public.conversations
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_row public.conversations;
begin
  perform private.require_user();
  select * into v_row from public.conversations c where c.id = get_group.group_id;
  if not found then
    raise exception 'conversation % not found', get_group.group_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  if v_row.kind <> 'group' then
    raise exception 'conversation % is a direct conversation, not a group', get_group.group_id
      using errcode = '22023', hint = 'not_a_group';
  end if;
  return v_row;
end;
$$;

create or replace function private.add_members(group_id uuid, user_ids uuid[])
returns setof public.conversation_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_role text := private.lock_group(add_members.group_id, v_user_id);
  v_max int := (private.limits() ->> 'group_max_members')::int;
  v_new uuid[];
  v_missing uuid;
  v_count int;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may add members to group %', add_members.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  select coalesce(array_agg(distinct u), '{}') into v_new
    from unnest(coalesce(add_members.user_ids, '{}')) u
   where u is not null
     and not exists (select 1 from public.conversation_members m where m.conversation_id = add_members.group_id and m.user_id = u);
  select u into v_missing from unnest(v_new) u where not exists (select 1 from public.profiles p where p.id = u) limit 1;
  if v_missing is not null then
    raise exception 'user % not found', v_missing
      using errcode = 'PT404', hint = 'user_not_found';
  end if;
  select count(*) into v_count from public.conversation_members m where m.conversation_id = add_members.group_id;
  if v_count + cardinality(v_new) > v_max then
    raise exception 'a group holds at most % members (it has %, adding %)', v_max, v_count, cardinality(v_new)
      using errcode = '22023', hint = 'too_many_members';
  end if;
  if cardinality(v_new) = 0 then
    return;
  end if;
  return query
    insert into public.conversation_members (conversation_id, user_id, role, joined_at)
    select add_members.group_id, u, 'member', now() from unnest(v_new) u
    returning *;
  perform private.post_system_message(add_members.group_id, v_user_id, 'members_added', jsonb_build_object('user_ids', to_jsonb(v_new)));
end;
$$;

create or replace function private.remove_member(group_id uuid, user_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_role text := private.lock_group(remove_member.group_id, v_user_id);
  v_target_role text;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may remove members from group %', remove_member.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if remove_member.user_id = v_user_id then
    raise exception 'use leave_group to leave group %', remove_member.group_id
      using errcode = '22023', hint = 'cannot_remove_self';
  end if;
  select m.role into v_target_role from public.conversation_members m
   where m.conversation_id = remove_member.group_id and m.user_id = remove_member.user_id;
  if v_target_role is null then
    raise exception 'user % is not a member of group %', remove_member.user_id, remove_member.group_id
      using errcode = 'PT404', hint = 'member_not_found';
  end if;
  if v_target_role = 'owner' then
    raise exception 'the owner of group % cannot be removed', remove_member.group_id
      using errcode = '42501', hint = 'cannot_remove_owner';
  end if;
  delete from public.conversation_members m
   where m.conversation_id = remove_member.group_id and m.user_id = remove_member.user_id;
  perform private.post_system_message(remove_member.group_id, v_user_id, 'member_removed', jsonb_build_object('user_id', remove_member.user_id));
end;
$$;

create or replace function private.set_member_role(group_id uuid, user_id uuid, role text)
returns public.conversation_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_role text := private.lock_group(set_member_role.group_id, v_user_id);
  v_row public.conversation_members;
begin
  if v_role <> 'owner' then
    raise exception 'only the owner may change roles in group %', set_member_role.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if set_member_role.role is null or set_member_role.role not in ('owner', 'admin', 'member') then
    raise exception 'role "%" is not one of owner, admin, member', set_member_role.role
      using errcode = '22023', hint = 'invalid_role';
  end if;
  if set_member_role.user_id = v_user_id then
    raise exception 'the owner cannot change their own role; make another member owner instead'
      using errcode = '22023', hint = 'cannot_change_own_role';
  end if;
  if not exists (select 1 from public.conversation_members m
                  where m.conversation_id = set_member_role.group_id and m.user_id = set_member_role.user_id) then
    raise exception 'user % is not a member of group %', set_member_role.user_id, set_member_role.group_id
      using errcode = 'PT404', hint = 'member_not_found';
  end if;
  -- Making someone owner hands ownership over: the old owner becomes an admin (one owner, always).
  if set_member_role.role = 'owner' then
    update public.conversation_members m set role = 'admin'
     where m.conversation_id = set_member_role.group_id and m.user_id = v_user_id;
  end if;
  update public.conversation_members m set role = set_member_role.role
   where m.conversation_id = set_member_role.group_id and m.user_id = set_member_role.user_id
  returning * into v_row;
  perform private.post_system_message(set_member_role.group_id, v_user_id, 'role_changed',
    jsonb_build_object('user_id', set_member_role.user_id, 'role', set_member_role.role));
  return v_row;
end;
$$;

create or replace function public.list_members(conversation_id uuid)
returns table (user_id uuid, role text, joined_at timestamptz, last_read_seq bigint, username text,
               display_name text, avatar_url text, last_seen_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.require_user();
  if not private.is_member(list_members.conversation_id) then
    raise exception 'conversation % not found', list_members.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  return query
    select m.user_id, m.role, m.joined_at, m.last_read_seq, p.username, p.display_name, p.avatar_url, p.last_seen_at
      from public.conversation_members m join public.profiles p on p.id = m.user_id
     where m.conversation_id = list_members.conversation_id
     order by (m.role = 'owner') desc, (m.role = 'admin') desc, m.joined_at, m.user_id;
end;
$$;

create or replace function private.lock_call(p_call_id uuid, p_user_id uuid)
returns public.calls
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_call public.calls;
begin
  if p_call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from public.calls c where c.id = p_call_id for update;
  if not found
     or not (exists (select 1 from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = p_user_id)
             or exists (select 1 from public.call_participants p
                        where p.call_id = p_call_id and p.user_id = p_user_id)) then
    raise exception 'call % not found', p_call_id using errcode = 'PT404', hint = 'call_not_found';
  end if;
  return v_call;
end;
$$;

create or replace function private.start_call(p_conversation_id uuid, p_media text)
returns public.calls
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_conversation public.conversations;
  v_member_count integer;
  v_call public.calls;
  v_call_id uuid;
  v_live uuid[];
  v_row public.call_participants;
  v_attempt integer := 0;
begin
  if p_conversation_id is null then
    raise exception 'conversation_id is required' using errcode = '22023', hint = 'conversation_id_required';
  end if;
  if p_media is null or p_media not in ('audio', 'video') then
    raise exception 'media must be audio or video (got %)', coalesce(p_media, 'null') using errcode = '22023', hint = 'invalid_media';
  end if;
  select * into v_conversation from public.conversations c where c.id = p_conversation_id;
  if not found or not exists (select 1 from public.conversation_members m
                              where m.conversation_id = p_conversation_id and m.user_id = v_user_id) then
    raise exception 'conversation % not found', p_conversation_id using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  select count(*) into v_member_count from public.conversation_members m where m.conversation_id = p_conversation_id;
  if v_member_count < 2 then
    raise exception 'conversation % has nobody else to call', p_conversation_id using errcode = '22023', hint = 'no_one_to_call';
  end if;

  perform private.sweep_calls();

  loop
    v_attempt := v_attempt + 1;
    -- One live call per conversation: if there is one, join it instead of starting another.
    select * into v_call from public.calls c
    where c.conversation_id = p_conversation_id and c.status in ('ringing', 'active')
    for update;
    if found then
      perform private.join_participant(v_call, v_user_id, now());
      select * into v_call from public.calls c where c.id = v_call.id;
      return v_call;
    end if;
    v_call_id := gen_random_uuid();
    insert into public.calls (id, conversation_id, kind, media, initiated_by, room_name, max_participants)
    values (v_call_id, p_conversation_id, v_conversation.kind, p_media, v_user_id, 'parley-call-' || v_call_id,
            case v_conversation.kind when 'direct' then 2 else 50 end)
    on conflict (conversation_id) where status in ('ringing', 'active') do nothing
    returning * into v_call;
    exit when found;
    -- Another transaction started a call here first: loop to join it.
    if v_attempt >= 3 then
      raise exception 'could not start a call in conversation %: it keeps changing', p_conversation_id
        using errcode = '40001', hint = 'retry';
    end if;
  end loop;

  -- Ring every member, the caller joined. Rows go in user id order so concurrent start_calls lock
  -- users in the same order. A user live in another call hits the partial unique index: not inserted.
  with inserted as (
    insert into public.call_participants (call_id, user_id, state, invited_at, joined_at, state_changed_at)
    select v_call.id, m.user_id, case when m.user_id = v_user_id then 'joined' else 'ringing' end,
           now(), case when m.user_id = v_user_id then now() end, now()
    from public.conversation_members m
    where m.conversation_id = p_conversation_id
    order by m.user_id
    on conflict (user_id) where state in ('ringing', 'joined') do nothing
    returning user_id
  )
  select coalesce(array_agg(user_id), '{}') into v_live from inserted;

  if not (v_user_id = any (v_live)) then
    raise exception 'you are already in another call; leave it before starting one'
      using errcode = '23505', hint = 'already_in_call';
  end if;

  -- Everyone else is busy in another call: they are recorded as such (and told).
  insert into public.call_participants (call_id, user_id, state, invited_at, state_changed_at)
  select v_call.id, m.user_id, 'busy', now(), now()
  from public.conversation_members m
  where m.conversation_id = p_conversation_id and not (m.user_id = any (v_live));

  for v_row in select * from public.call_participants p where p.call_id = v_call.id order by p.user_id loop
    perform private.emit_call_event('user:' || v_row.user_id,
      case v_row.state when 'ringing' then 'call_incoming' else 'call_state' end,
      jsonb_build_object('call', private.call_json(v_call), 'participant', private.participant_json(v_row)));
  end loop;

  -- A direct callee who is busy ends the call as busy right away.
  return private.settle_call(v_call.id, now());
end;
$$;

create or replace function private.get_call_grant(p_call_id uuid)
returns table (id uuid, room_name text, kind text, media text, max_participants integer,
               user_id uuid, display_name text, member_role text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_call public.calls;
  v_state text;
begin
  perform private.sweep_calls();
  if p_call_id is null then
    raise exception 'call_id is required' using errcode = '22023', hint = 'call_id_required';
  end if;
  select * into v_call from public.calls c where c.id = p_call_id;
  if not found
     or not (exists (select 1 from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id)
             or exists (select 1 from public.call_participants p where p.call_id = p_call_id and p.user_id = v_user_id)) then
    raise exception 'call % not found', p_call_id using errcode = 'PT404', hint = 'call_not_found';
  end if;
  if v_call.status not in ('ringing', 'active') then
    raise exception 'call % is over (status %)', p_call_id, v_call.status using errcode = '23505', hint = 'call_over';
  end if;
  select p.state into v_state from public.call_participants p where p.call_id = p_call_id and p.user_id = v_user_id;
  if v_state is null then
    raise exception 'you are not a participant of call %; accept_call joins it', p_call_id
      using errcode = '42501', hint = 'not_a_participant';
  elsif v_state <> 'joined' then
    raise exception 'you have not accepted call % (your state is %); accept_call first', p_call_id, v_state
      using errcode = '42501', hint = 'not_accepted';
  end if;
  return query
    select v_call.id, v_call.room_name, v_call.kind, v_call.media, v_call.max_participants, v_user_id,
           (select pr.display_name from public.profiles pr where pr.id = v_user_id),
           coalesce((select m.role from public.conversation_members m
                     where m.conversation_id = v_call.conversation_id and m.user_id = v_user_id), 'member');
end;
$$;
