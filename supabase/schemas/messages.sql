-- Parley.messages — every message of every conversation, numbered by a per-conversation seq.
-- Security: members read the messages of their conversations; nobody writes the table directly
-- (send_message, edit_message, delete_message are the only writers). anon has no grants.
--
-- The message operations — send (to a conversation or a user), history and catch-up, edit,
-- tombstone delete (the conversation operations, mark read and the inbox, are in conversations.sql).
-- Security definer functions here (see docs/messaging.md § Definer audit). Each derives the
-- caller from auth.uid() and checks membership itself; none takes a user id to act as:
--   parley_internal.send_message(...)                      — bumps conversations.last_seq and fans out to members' rows.
--   parley_internal.send_direct_message(...)               — get_or_create_direct_conversation and a send in one call.
--   parley_internal.list_messages(uuid, bigint, bigint, int) — checks membership once, then reads the page without RLS.
--   parley_internal.edit_message(uuid, text, jsonb)        — writes a row the caller may only read.
--   parley_internal.delete_message(uuid)                   — same (tombstone), also for group owners/admins.
-- Internal helpers (invoker; check_page is also granted to the API roles, which the invoker list RPCs
-- run as; the rest are executable by nobody but their definer callers): parley_internal.check_page,
--   parley_internal.check_metadata, parley_internal.check_message_content, parley_internal.append_message.

create table parley.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  seq bigint not null,
  sender_id uuid references parley.profiles (id) on delete set null,
  kind text not null default 'text',
  body text,
  attachment jsonb,
  metadata jsonb not null default '{}'::jsonb,
  reply_to_id uuid references parley.messages (id) on delete set null,
  client_id uuid,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  reactions jsonb not null default '{}'::jsonb,
  thread_root_id uuid references parley.messages (id) on delete set null,
  shown_in_conversation boolean not null default true,
  thread_reply_count integer not null default 0,
  thread_last_reply_at timestamptz,
  thread_participants uuid[] not null default '{}',
  constraint messages_kind_check check (kind in ('text', 'image', 'video', 'audio', 'file', 'system')),
  constraint messages_seq_check check (seq > 0),
  constraint messages_body_check check (char_length(body) <= 4000),
  constraint messages_metadata_check check (jsonb_typeof(metadata) = 'object'),
  constraint messages_attachment_check check (
    deleted_at is not null or (attachment is not null) = (kind in ('image', 'video', 'audio', 'file'))),
  constraint messages_tombstone_check check (deleted_at is null or (body is null and attachment is null)),
  constraint messages_shown_in_conversation_check check (shown_in_conversation or thread_root_id is not null)
);
comment on table parley.messages is 'Messages. seq orders them within a conversation; commit order equals seq order.';
comment on column parley.messages.seq is 'Per-conversation number, strictly increasing in commit order: catch up with seq > last seen.';
comment on column parley.messages.attachment is 'For image/video/audio/file: {bucket, path, mime_type, size, name, duration_ms?, width?, height?, removed_at?}; path is "<conversation_id>/..." in bucket parley-attachments; removed_at is set when the uploader deleted the object (attachments.sql).';
comment on column parley.messages.client_id is 'Client-generated id; unique per sender, so a retried send returns the first row.';
comment on column parley.messages.deleted_at is 'Tombstone: when set, body, attachment, metadata, reactions, pins and edit history are cleared.';
comment on column parley.messages.thread_root_id is 'For a thread reply: the root message it answers (threads are one level deep). Replies take the conversation''s seq like any message.';
comment on column parley.messages.shown_in_conversation is 'False for a thread reply kept in its thread; true for every other message, and for a reply also sent to the conversation.';
comment on column parley.messages.thread_reply_count is 'On a thread root: how many replies it has.';
comment on column parley.messages.thread_last_reply_at is 'On a thread root: when the last reply was sent.';
comment on column parley.messages.thread_participants is 'On a thread root: who replied, first to reply first (at most thread_participants_max).';
comment on column parley.messages.reactions is 'Reaction counts by emoji, {"👍": 3}, kept by add_reaction / remove_reaction (reactions.sql); who reacted is in message_reactions.';
alter table parley.messages enable row level security;
revoke all on table parley.messages from public, anon, authenticated;
grant select on table parley.messages to authenticated;
grant all on table parley.messages to service_role;

-- History and catch-up: newest first by seq within one conversation (also makes seq unique).
create unique index messages_conversation_id_seq_idx on parley.messages (conversation_id, seq desc);

-- Idempotent retries: one row per (sender, client_id).
create unique index messages_sender_id_client_id_key on parley.messages (sender_id, client_id);

-- Foreign key lookups when a replied-to message is removed.
create index messages_reply_to_id_idx on parley.messages (reply_to_id);

-- A thread's replies by seq (list_thread), and the foreign key from replies to their root.
create index messages_thread_root_id_seq_idx on parley.messages (thread_root_id, seq desc) where thread_root_id is not null;

-- The messages that refer to a Storage object, for the triggers on storage.objects (attachments.sql) that
-- keep a sent object immutable and mark its messages when it is deleted: one probe per object write.
create index messages_attachment_path_idx on parley.messages ((attachment ->> 'path')) where attachment is not null;

-- Members read their conversations' messages: for each row, one probe of conversation_members_pkey
-- (conversation_id, user_id); the (conversation_id, seq) index bounds the rows to the page.
create policy messages_select_member on parley.messages
  for select to authenticated
  using ((select true from parley.conversation_members m
           where m.conversation_id = messages.conversation_id
             and m.user_id = (select auth.uid())));
comment on policy messages_select_member on parley.messages is 'Members read the messages of their conversations (one primary-key probe per row read).';

-- Page size guard shared by the list RPCs.
create or replace function parley_internal.check_page(max_count integer)
returns void
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  if max_count is null or max_count < 1 or max_count > (parley_internal.limits() ->> 'page_max')::int then
    raise exception 'max_count must be between 1 and % (got %)', parley_internal.limits() ->> 'page_max', max_count
      using errcode = '22023', hint = 'invalid_page_size';
  end if;
end;
$$;
comment on function parley_internal.check_page(integer) is 'Raises 22023 invalid_page_size unless 1 <= max_count <= page_max.';
revoke execute on function parley_internal.check_page(integer) from public, anon;
grant execute on function parley_internal.check_page(integer) to authenticated, service_role;

-- Metadata: a JSON object of bounded size and depth (null means {}).
create or replace function parley_internal.check_metadata(metadata jsonb)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  v_max int := (parley_internal.limits() ->> 'metadata_max_bytes')::int;
  v_depth int := (parley_internal.limits() ->> 'metadata_max_depth')::int;
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
  -- Depth is bounded here, not by a gateway: nothing stands between PostgREST and this function in
  -- production, and clients walk metadata recursively. An object or array at level v_depth (the root is
  -- level 0) is nesting v_depth + 1 deep. Checked after the size, so the walk covers at most v_max bytes.
  if jsonb_path_exists(metadata, ('strict $.**{' || v_depth || '} ? (@.type() == "object" || @.type() == "array")')::jsonpath) then
    raise exception 'metadata nests objects and arrays more than % levels deep', v_depth
      using errcode = '22023', hint = 'metadata_too_deep';
  end if;
  return metadata;
end;
$$;
comment on function parley_internal.check_metadata(jsonb) is 'Validates message metadata (an object, at most metadata_max_bytes and metadata_max_depth); returns {} for null.';
revoke execute on function parley_internal.check_metadata(jsonb) from public, anon, authenticated, service_role;

-- True when a body shows nothing: empty, or only characters that render as nothing. btrim() alone strips
-- only the ASCII space. The class: every control character (C0 incl. \t \n \v \f \r, DEL, C1 incl.
-- U+0085); Unicode White_Space (NBSP, U+1680, U+2000–U+200A, U+2028/U+2029, U+202F, U+205F, U+3000);
-- the default-ignorable code points, which fonts draw as nothing (soft hyphen, combining grapheme joiner,
-- U+061C, Hangul fillers U+115F/U+1160/U+3164/U+FFA0, Khmer U+17B4/U+17B5, Mongolian U+180B–U+180F,
-- zero-width space/joiners and direction marks U+200B–U+200F, bidi embeddings U+202A–U+202E, word joiner,
-- invisible operators and isolates U+2060–U+206F, variation selectors, U+FEFF, U+FFF0–U+FFF8, shorthand
-- format controls, musical format controls, tags and supplementary selectors U+E0000–U+E0FFF); and
-- U+2800 BRAILLE PATTERN BLANK, the usual way to post an "empty" message past such checks. Written as
-- escapes rather than [[:space:]] so the answer does not depend on the database's locale.
-- plpgsql, not sql: a sql function with `set search_path` is re-planned on every call (every text send).
create or replace function parley_internal.is_blank(body text)
returns boolean
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  return is_blank.body !~ ('[^\u0001-\u0020\u007f-\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5'
    || '\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0'
    || '\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]');
end;
$$;
comment on function parley_internal.is_blank(text) is 'True when a message body is empty or only white space, control or invisible (default-ignorable) characters (refused as body_required).';
revoke execute on function parley_internal.is_blank(text) from public, anon;
grant execute on function parley_internal.is_blank(text) to authenticated, service_role;

-- Volatile, not stable: it share-locks the attachment's storage.objects row (see below).
create or replace function parley_internal.check_message_content(conversation_id uuid, kind text, body text, attachment jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_limits jsonb := parley_internal.limits();
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
    if body is null or parley_internal.is_blank(body) then
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
  if coalesce(attachment ->> 'bucket', 'parley-attachments') <> 'parley-attachments' then
    raise exception 'attachment.bucket must be "parley-attachments" (got "%")', attachment ->> 'bucket'
      using errcode = '22023', hint = 'attachment_invalid';
  end if;
  v_path := attachment ->> 'path';
  if v_path is null or jsonb_typeof(attachment -> 'path') <> 'string'
     or char_length(v_path) > (v_limits ->> 'attachment_path_max_chars')::int
     or v_path ~ '(^|/)\.\.?(/|$)' or v_path like '%//%' or right(v_path, 1) = '/'
     -- In this conversation's folder, or an object already sent in one of the sender's conversations
     -- (forwarding by reference, forwarding.sql).
     or not (starts_with(v_path, conversation_id::text || '/') or parley_internal.is_forwardable_attachment(v_path)) then
    raise exception 'attachment.path "%" must be "%/<file>" (at most % characters, no "." or ".." segments), or an attachment already sent in one of your conversations',
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

  -- The object must have been uploaded; what Storage recorded wins over what the client claims. The
  -- share lock holds off a concurrent upsert, move or delete of the object until this send commits; from
  -- then on the message refers to it and the guard on storage.objects refuses every change.
  select o.metadata into v_object_meta
  from storage.objects o
  where o.bucket_id = 'parley-attachments' and o.name = v_path
  for share;
  if not found then
    raise exception 'attachment "%" has not been uploaded to bucket parley-attachments', v_path
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
    'bucket', 'parley-attachments', 'path', v_path, 'mime_type', v_mime, 'size', v_size, 'name', v_name,
    'duration_ms', attachment -> 'duration_ms', 'width', attachment -> 'width', 'height', attachment -> 'height'));
end;
$$;
comment on function parley_internal.check_message_content(uuid, text, text, jsonb) is 'Validates a message''s kind, body and attachment against parley_internal.limits(); returns the attachment to store.';
revoke execute on function parley_internal.check_message_content(uuid, text, text, jsonb) from public, anon, authenticated, service_role;

-- A message of a conversation the user belongs to, row-locked when `lock`; else 404 message_not_found
-- (a message of someone else's conversation answers like a missing one). Shared by the definer RPCs that
-- act on one message (reactions, hides, forwarding, thread replies).
create or replace function parley_internal.member_message(message_id uuid, user_id uuid, lock boolean)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.messages;
begin
  if member_message.lock then
    select x.* into v_row from parley.messages x
     where x.id = member_message.message_id
       and exists (select 1 from parley.conversation_members m where m.conversation_id = x.conversation_id and m.user_id = member_message.user_id)
       for update of x;
  else
    select x.* into v_row from parley.messages x
     where x.id = member_message.message_id
       and exists (select 1 from parley.conversation_members m where m.conversation_id = x.conversation_id and m.user_id = member_message.user_id);
  end if;
  if not found then
    raise exception 'message % not found', member_message.message_id using errcode = 'PT404', hint = 'message_not_found';
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.member_message(uuid, uuid, boolean) is 'Internal: a message the user may read (optionally row-locked), else 404 message_not_found.';
revoke execute on function parley_internal.member_message(uuid, uuid, boolean) from public, anon, authenticated, service_role;

create or replace function parley_internal.append_message(
  conversation_id uuid, sender_id uuid, kind text, body text, attachment jsonb, metadata jsonb,
  reply_to_id uuid, client_id uuid, thread_root_id uuid default null, shown_in_conversation boolean default true)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
-- Every statement here is an index lookup whatever the values, but Postgres judged a custom plan of the
-- member update cheaper than its generic one and so planned it again at every send (≈ 35 µs of a
-- ≈ 0.9 ms send: pg_stat_statements with track_planning counted one plan per call). A generic plan is
-- kept for the session instead.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_seq bigint;
  v_row parley.messages;
  v_large boolean;
begin
  -- The seq bump also tells whether the group is above inbox_fanout_max (at most max + 1 entries of the
  -- primary key, whatever its size; see the member update below).
  update parley.conversations c
     set last_seq = c.last_seq + 1, last_message_at = clock_timestamp()
   where c.id = append_message.conversation_id
  returning c.last_seq,
            exists (select from parley.conversation_members x where x.conversation_id = c.id
                    offset (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int)
    into v_seq, v_large;
  if v_seq is null then
    raise exception 'conversation % not found', append_message.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  insert into parley.messages (conversation_id, seq, sender_id, kind, body, attachment, metadata, reply_to_id, client_id,
                               thread_root_id, shown_in_conversation)
  values (append_message.conversation_id, v_seq, append_message.sender_id, append_message.kind, append_message.body,
          append_message.attachment, coalesce(append_message.metadata, '{}'::jsonb), append_message.reply_to_id,
          append_message.client_id, append_message.thread_root_id,
          append_message.thread_root_id is null or append_message.shown_in_conversation)
  returning * into v_row;
  -- A thread reply updates its root's summary (the conversation row lock serialises replies).
  if append_message.thread_root_id is not null then
    update parley.messages r
       set thread_reply_count = r.thread_reply_count + 1,
           thread_last_reply_at = v_row.created_at,
           thread_participants = case
             when append_message.sender_id is null or append_message.sender_id = any (r.thread_participants)
                  or cardinality(r.thread_participants) >= (parley_internal.limits() ->> 'thread_participants_max')::int
             then r.thread_participants else r.thread_participants || append_message.sender_id end
     where r.id = append_message.thread_root_id;
  end if;
  -- Inbox fan-out: activity key, unhide, sender has read their own message.
  -- clock_timestamp(), not now(): several sends in one transaction still order by activity.
  -- The sender's last_sent_at is what slow mode measures from (system messages do not count).
  -- Above inbox_fanout_max members (the groups whose events go to conversation:<id>:events) the
  -- members' rows move at most once a second: a member row is written when its inbox second is
  -- behind the current one, when it is hidden (a message unhides it) or when it is the sender's; the
  -- others already sort in the current second, which is what the inbox index keys on. So a busy large
  -- group's send does not rewrite every member's row (1,000 row versions a message); its inbox order
  -- within that second and last_activity_at lag by less than a second (docs/performance.md).
  update parley.conversation_members m
     set last_activity_at = clock_timestamp(),
         hidden_at = null,
         last_read_seq = case when m.user_id = append_message.sender_id then greatest(m.last_read_seq, v_seq) else m.last_read_seq end,
         last_sent_at = case when m.user_id = append_message.sender_id and append_message.kind <> 'system'
                             then clock_timestamp() else m.last_sent_at end
   where m.conversation_id = append_message.conversation_id
     and (not v_large or m.user_id = append_message.sender_id or m.hidden_at is not null
          or m.last_activity_second < date_bin('1 second', clock_timestamp(), timestamptz '2000-01-01 00:00:00+00'));
  return v_row;
end;
$$;
comment on function parley_internal.append_message(uuid, uuid, text, text, jsonb, jsonb, uuid, uuid, uuid, boolean) is 'Internal: appends a message with the next seq, updates members'' inbox rows and a thread root''s summary.';
revoke execute on function parley_internal.append_message(uuid, uuid, text, text, jsonb, jsonb, uuid, uuid, uuid, boolean) from public, anon, authenticated, service_role;

create or replace function parley_internal.send_message(
  conversation_id uuid, kind text, body text, attachment jsonb, metadata jsonb, reply_to_id uuid, client_id uuid,
  thread_root_id uuid default null, shown_in_conversation boolean default true)
returns parley.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_attachment jsonb;
  v_metadata jsonb := '{}'::jsonb;
  v_existing parley.messages;
  v_slow_mode_seconds integer;
  v_role text;
  v_last_sent_at timestamptz;
  v_read_only_until timestamptz;
  v_kind text;
  v_peer uuid;
  v_wait integer;
begin
  -- Membership, what slow mode needs, the other person of a direct conversation (for the block check)
  -- and the conversation's row lock in one statement. The lock serialises sends to the conversation
  -- (seq order = commit order), makes the client_id lookup below see every earlier attempt and the slow
  -- mode check see the member's last send; append_message's update of the same row would take it a
  -- moment later anyway.
  select c.slow_mode_seconds, c.kind, m.role, m.last_sent_at, m.read_only_until,
         case when c.kind = 'direct' then
           (select o.user_id from parley.conversation_members o
             where o.conversation_id = c.id and o.user_id <> v_user_id limit 1) end
    into v_slow_mode_seconds, v_kind, v_role, v_last_sent_at, v_read_only_until, v_peer
    from parley.conversations c
    join parley.conversation_members m on m.conversation_id = c.id and m.user_id = v_user_id
   where c.id = send_message.conversation_id
     for update of c;
  if not found then
    raise exception 'conversation % not found', send_message.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  v_attachment := parley_internal.check_message_content(send_message.conversation_id, coalesce(send_message.kind, 'text'),
                                                send_message.body, send_message.attachment);
  if send_message.metadata is not null then
    v_metadata := parley_internal.check_metadata(send_message.metadata);
  end if;

  if send_message.client_id is not null then
    select * into v_existing from parley.messages x
     where x.sender_id = v_user_id and x.client_id = send_message.client_id;
    if found then
      if v_existing.conversation_id <> send_message.conversation_id then
        raise exception 'client_id % was already used for a message in another conversation', send_message.client_id
          using errcode = '23505', hint = 'client_id_conflict';
      end if;
      return v_existing;
    end if;
  end if;

  -- Nested, so that a send without a reply evaluates no query (as one condition it was planned anew each time).
  if send_message.reply_to_id is not null then
    if not exists (select 1 from parley.messages r
                    where r.id = send_message.reply_to_id and r.conversation_id = send_message.conversation_id) then
      raise exception 'reply_to_id % is not a message of conversation %', send_message.reply_to_id, send_message.conversation_id
        using errcode = 'PT404', hint = 'reply_not_found';
    end if;
  end if;

  -- Safety (safety.sql) after the replay too, so a retry of a message that went through still answers it.
  -- A member muted by a group's owner or admin reads but does not send.
  if v_read_only_until > now() then
    raise exception 'you are muted in this group until %', v_read_only_until
      using errcode = '42501', hint = 'member_muted', detail = json_build_object('until', v_read_only_until)::text;
  end if;
  -- A direct conversation across a block: the blocked side hears what a missing user answers.
  if v_peer is not null then
    perform parley_internal.check_contact(v_user_id, v_peer);
  end if;

  -- The limits come after the idempotent replay above, so a retried client_id is never counted twice.
  -- Slow mode: members (not owners or admins) wait slow_mode_seconds after their last message.
  if v_slow_mode_seconds > 0 and v_role = 'member' and v_last_sent_at is not null
     and v_last_sent_at + make_interval(secs => v_slow_mode_seconds) > clock_timestamp() then
    v_wait := greatest(ceil(extract(epoch from v_last_sent_at + make_interval(secs => v_slow_mode_seconds) - clock_timestamp())), 1)::integer;
    raise exception 'slow mode: members of this group may send one message every % s; try again in % s', v_slow_mode_seconds, v_wait
      using errcode = 'PT429', hint = 'slow_mode', detail = json_build_object('retry_after', v_wait)::text;
  end if;
  perform parley_internal.take_token(v_user_id, 'send_message', 1);

  return parley_internal.append_message(send_message.conversation_id, v_user_id, coalesce(send_message.kind, 'text'),
                                send_message.body, v_attachment, v_metadata, send_message.reply_to_id,
                                send_message.client_id, send_message.thread_root_id, send_message.shown_in_conversation);
end;
$$;
comment on function parley_internal.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid, uuid, boolean) is 'Implementation of parley.send_message (definer: writes seq, message and inbox rows).';
revoke execute on function parley_internal.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid, uuid, boolean) from public, anon;
grant execute on function parley_internal.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid, uuid, boolean) to authenticated, service_role;

-- The API RPC: a thin invoker wrapper, plpgsql so its plan is cached per session.
create or replace function parley.send_message(
  conversation_id uuid, body text default null, kind text default 'text', attachment jsonb default null,
  metadata jsonb default null, reply_to_id uuid default null, client_id uuid default null)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.send_message(send_message.conversation_id, send_message.kind, send_message.body,
    send_message.attachment, send_message.metadata, send_message.reply_to_id, send_message.client_id);
end;
$$;
comment on function parley.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Send a message (text, image, video, audio, file) to a conversation you belong to. A repeated client_id returns the first message.';
revoke execute on function parley.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function parley.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

create or replace function parley_internal.send_direct_message(
  recipient_id uuid, kind text, body text, attachment jsonb, metadata jsonb, reply_to_id uuid, client_id uuid)
returns parley.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_conversation parley.conversations;
begin
  v_conversation := parley_internal.get_or_create_direct_conversation(send_direct_message.recipient_id);
  return parley_internal.send_message(v_conversation.id, send_direct_message.kind, send_direct_message.body,
    send_direct_message.attachment, send_direct_message.metadata, send_direct_message.reply_to_id,
    send_direct_message.client_id);
end;
$$;
comment on function parley_internal.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Implementation of parley.send_direct_message.';
revoke execute on function parley_internal.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function parley_internal.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

create or replace function parley.send_direct_message(
  recipient_id uuid, body text default null, kind text default 'text', attachment jsonb default null,
  metadata jsonb default null, reply_to_id uuid default null, client_id uuid default null)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.send_direct_message(send_direct_message.recipient_id, send_direct_message.kind,
      send_direct_message.body, send_direct_message.attachment, send_direct_message.metadata,
      send_direct_message.reply_to_id, send_direct_message.client_id);
end;
$$;
comment on function parley.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Send a message to a user, creating your direct conversation with them on first use.';
revoke execute on function parley.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) from public, anon;
grant execute on function parley.send_direct_message(uuid, text, text, jsonb, jsonb, uuid, uuid) to authenticated, service_role;

-- The history and catch-up page. Definer (the owner decision of issue 20): membership is checked once,
-- by one primary-key probe of conversation_members, and the page is then read without the per-row RLS
-- probe and without planning the table policy (with its nested conversation_members policy) on every
-- call: as an invoker, the page cost 1.8x the same page read as the superuser (docs/performance.md).
-- The caller comes from auth.uid() only; a non-member, a removed member and anon (no grant) read
-- nothing. Direct reads of parley.messages keep their RLS policy as the second line.
create or replace function parley_internal.list_messages(
  conversation_id uuid, before_seq bigint, after_seq bigint, max_count integer)
returns setof parley.messages
language plpgsql
stable
security definer
set search_path = ''
-- The page is an index range read whatever the values. Left to choose, Postgres took a custom plan
-- (it knows the limit and the cursor) and planned the page again at every call: 0.12 ms of planning
-- for 0.09 ms of execution (pg_stat_statements with track_planning). One generic plan per session.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_user_id uuid := parley_internal.require_user();
begin
  perform parley_internal.check_page(list_messages.max_count);
  if list_messages.before_seq is not null and list_messages.after_seq is not null then
    raise exception 'give before_seq (history) or after_seq (catch-up), not both'
      using errcode = '22023', hint = 'cursor_conflict';
  end if;
  perform from parley.conversation_members m
   where m.conversation_id = list_messages.conversation_id and m.user_id = v_user_id;
  if not found then
    raise exception 'conversation % not found', list_messages.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  -- Messages the caller deleted for themselves (message_hides, one primary-key probe each) are left out,
  -- and thread replies kept in their thread (list_thread reads those).
  if list_messages.after_seq is not null then
    return query
      select * from parley.messages m
       where m.conversation_id = list_messages.conversation_id and m.seq > list_messages.after_seq and m.shown_in_conversation
         and not exists (select 1 from parley.message_hides h where h.user_id = v_user_id and h.message_id = m.id)
       order by m.seq asc
       limit list_messages.max_count;
  else
    return query
      select * from parley.messages m
       where m.conversation_id = list_messages.conversation_id
         and m.seq < coalesce(list_messages.before_seq, 9223372036854775807) and m.shown_in_conversation
         and not exists (select 1 from parley.message_hides h where h.user_id = v_user_id and h.message_id = m.id)
       order by m.seq desc
       limit list_messages.max_count;
  end if;
end;
$$;
comment on function parley_internal.list_messages(uuid, bigint, bigint, integer) is 'Implementation of parley.list_messages (definer: one membership check for the page instead of the RLS probe per row).';
revoke execute on function parley_internal.list_messages(uuid, bigint, bigint, integer) from public, anon;
grant execute on function parley_internal.list_messages(uuid, bigint, bigint, integer) to authenticated, service_role;

-- The API RPC: a thin invoker wrapper, plpgsql so its plan is cached per session.
create or replace function parley.list_messages(
  conversation_id uuid, before_seq bigint default null, after_seq bigint default null, max_count integer default 50)
returns setof parley.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.list_messages(list_messages.conversation_id, list_messages.before_seq,
                                                           list_messages.after_seq, list_messages.max_count);
end;
$$;
comment on function parley.list_messages(uuid, bigint, bigint, integer) is 'Messages of a conversation: newest first (page back with before_seq) or, with after_seq, oldest first to catch up. Messages you hid (hide_message) and thread replies not also sent to the conversation (list_thread) are left out.';
revoke execute on function parley.list_messages(uuid, bigint, bigint, integer) from public, anon;
grant execute on function parley.list_messages(uuid, bigint, bigint, integer) to authenticated, service_role;

-- The seed's GET /messages/direct/:userId: messages with one user (empty until the first message).
create or replace function parley.list_direct_messages(
  other_user_id uuid, before_seq bigint default null, after_seq bigint default null, max_count integer default 50)
returns setof parley.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_conversation_id uuid;
begin
  perform parley_internal.check_page(list_direct_messages.max_count);
  select c.id into v_conversation_id from parley.conversations c
   where c.direct_key = least(v_user_id, list_direct_messages.other_user_id)::text || ':'
                        || greatest(v_user_id, list_direct_messages.other_user_id)::text;
  if v_conversation_id is null then
    return;
  end if;
  return query select * from parley.list_messages(v_conversation_id, list_direct_messages.before_seq,
                                                  list_direct_messages.after_seq, list_direct_messages.max_count);
end;
$$;
comment on function parley.list_direct_messages(uuid, bigint, bigint, integer) is 'Messages of your direct conversation with a user, like list_messages; empty when none exists yet.';
revoke execute on function parley.list_direct_messages(uuid, bigint, bigint, integer) from public, anon;
grant execute on function parley.list_direct_messages(uuid, bigint, bigint, integer) to authenticated, service_role;

create or replace function parley_internal.edit_message(message_id uuid, body text, metadata jsonb)
returns parley.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.messages;
  v_max int := (parley_internal.limits() ->> 'body_max_chars')::int;
  v_window jsonb;
begin
  select x.* into v_row from parley.messages x
   where x.id = edit_message.message_id
     and exists (select 1 from parley.conversation_members m where m.conversation_id = x.conversation_id and m.user_id = v_user_id)
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
  if v_row.kind = 'text' and (edit_message.body is null or parley_internal.is_blank(edit_message.body)) then
    raise exception 'body is required for a text message'
      using errcode = '22023', hint = 'body_required';
  end if;
  v_window := parley_internal.setting('edit_window_seconds', '172800');
  if v_window <> 'null'::jsonb and now() - v_row.created_at > make_interval(secs => (v_window #>> '{}')::numeric) then
    raise exception 'message % can no longer be edited: edits are allowed for % seconds after sending', edit_message.message_id, v_window #>> '{}'
      using errcode = '22023', hint = 'edit_window_closed',
            detail = jsonb_build_object('window_seconds', v_window)::text;
  end if;
  -- The version this edit replaces stays readable (message_history.sql).
  insert into parley.message_edits (message_id, version, conversation_id, body, metadata, written_at)
  values (v_row.id, (select count(*) + 1 from parley.message_edits e where e.message_id = v_row.id), v_row.conversation_id,
          v_row.body, v_row.metadata, coalesce(v_row.edited_at, v_row.created_at));
  update parley.messages x
     set body = nullif(edit_message.body, ''),
         metadata = case when edit_message.metadata is null then x.metadata else parley_internal.check_metadata(edit_message.metadata) end,
         edited_at = now()
   where x.id = v_row.id
  returning * into v_row;
  return v_row;
end;
$$;
comment on function parley_internal.edit_message(uuid, text, jsonb) is 'Implementation of parley.edit_message (definer: members may not write messages directly).';
revoke execute on function parley_internal.edit_message(uuid, text, jsonb) from public, anon;
grant execute on function parley_internal.edit_message(uuid, text, jsonb) to authenticated, service_role;

create or replace function parley.edit_message(message_id uuid, body text, metadata jsonb default null)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.messages;
begin
  select * into v_row from parley_internal.edit_message(edit_message.message_id, edit_message.body, edit_message.metadata);
  return v_row;
end;
$$;
comment on function parley.edit_message(uuid, text, jsonb) is 'Edit the text (caption) of your own message within the project''s edit window (settings.edit_window_seconds, 48 h by default; 400 edit_window_closed); sets edited_at and keeps the replaced version (list_message_edits). Not for deleted or system messages.';
revoke execute on function parley.edit_message(uuid, text, jsonb) from public, anon;
grant execute on function parley.edit_message(uuid, text, jsonb) to authenticated, service_role;

create or replace function parley_internal.delete_message(message_id uuid)
returns parley.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.messages;
  v_role text;
  v_kind text;
  v_window jsonb;
begin
  select x.* into v_row from parley.messages x where x.id = delete_message.message_id for update;
  if found then
    select m.role, c.kind into v_role, v_kind
      from parley.conversation_members m join parley.conversations c on c.id = m.conversation_id
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
  -- The sender's delete-for-everyone may be limited in time; a group's owners and admins never are.
  if not (v_kind = 'group' and v_role in ('owner', 'admin')) then
    v_window := parley_internal.setting('delete_window_seconds', 'null');
    if v_window <> 'null'::jsonb and now() - v_row.created_at > make_interval(secs => (v_window #>> '{}')::numeric) then
      raise exception 'message % can no longer be deleted for everyone: that is allowed for % seconds after sending; hide_message deletes it for you', delete_message.message_id, v_window #>> '{}'
        using errcode = '22023', hint = 'delete_window_closed',
              detail = jsonb_build_object('window_seconds', v_window)::text;
    end if;
  end if;
  -- A tombstone keeps nothing of what was said: earlier versions, reactions and pins go with the content.
  perform parley_internal.forget_mentions(v_row.id);
  delete from parley.message_edits e where e.message_id = v_row.id;
  delete from parley.message_reactions r where r.message_id = v_row.id;
  delete from parley.message_pins p where p.message_id = v_row.id;
  update parley.messages x
     set body = null, attachment = null, metadata = '{}'::jsonb, reactions = '{}'::jsonb, deleted_at = now()
   where x.id = v_row.id
  returning * into v_row;
  -- A moderator's deletion is on the record (the sender's own is not an action on anyone).
  if v_row.sender_id is distinct from v_user_id then
    perform parley_internal.post_system_message(v_row.conversation_id, v_user_id, 'message_removed',
      jsonb_build_object('message_id', v_row.id, 'sender_id', v_row.sender_id));
  end if;
  return v_row;
end;
$$;
comment on function parley_internal.delete_message(uuid) is 'Implementation of parley.delete_message (definer: writes a row the caller may only read).';
revoke execute on function parley_internal.delete_message(uuid) from public, anon;
grant execute on function parley_internal.delete_message(uuid) to authenticated, service_role;

create or replace function parley.delete_message(message_id uuid)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.messages;
begin
  select * into v_row from parley_internal.delete_message(delete_message.message_id);
  return v_row;
end;
$$;
comment on function parley.delete_message(uuid) is 'Delete a message for everyone (tombstone: body, attachment, metadata, reactions, pins and edit history cleared, seq kept). Sender (within settings.delete_window_seconds, unlimited by default; 400 delete_window_closed), or group owner/admin. Repeating it is a no-op.';
revoke execute on function parley.delete_message(uuid) from public, anon;
grant execute on function parley.delete_message(uuid) to authenticated, service_role;
