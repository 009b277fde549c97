-- Purpose: a cheaper send path (npm run bench, send stage; docs/performance.md). A send ran ~15
--   statements and function calls before its own writes; on a shared 2-core machine each costs tens of
--   microseconds of executor start-up, so they, not the writes, dominated. This migration keeps every
--   rule and error of send_message and removes work that bought nothing:
--   1. private.limits() was a `language sql` function with `set search_path`, so it was never inlined
--      and each call site re-planned its jsonb_build_object body once per transaction (a send has
--      two: check_message_content and check_metadata; every list RPC one). It is now plpgsql returning
--      one jsonb constant, folded when the function's plan is cached: same value, no per-call build.
--   2. public.send_message was a `language sql` wrapper with `set search_path`: planned on every call.
--      A plpgsql wrapper caches its plan per session.
--   3. private.send_message checked membership, then (with a client_id) locked the conversation row in
--      a second statement; one statement now does both (the lock was taken by append_message's update
--      right after anyway, so nothing waits longer). Null metadata skips check_metadata (it returned {}).
-- Objects: functions private.limits(), public.send_message(...), private.send_message(...) (replaced,
--   same signatures, grants and comments).
-- Security: unchanged. private.send_message stays security definer with search_path '' and derives the
--   caller from auth.uid() (docs/messaging.md § Definer audit); no new definer function.

-- The limits, one jsonb constant (the single place they are defined, as before).
create or replace function private.limits()
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  -- A constant: planned once per session, then returned without being rebuilt.
  return $limits${
    "page_max": 200,
    "attachments": {
      "file": {
        "max_size": 52428800,
        "mime_types": ["application/pdf", "application/zip", "application/json", "text/plain", "text/csv", "application/msword", "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/octet-stream", "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif", "video/mp4", "video/webm", "video/quicktime", "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/webm", "audio/wav"]
      },
      "audio": {
        "max_size": 26214400,
        "mime_types": ["audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/webm", "audio/wav"]
      },
      "image": {
        "max_size": 10485760,
        "mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"]
      },
      "video": {
        "max_size": 104857600,
        "mime_types": ["video/mp4", "video/webm", "video/quicktime"]
      }
    },
    "body_max_chars": 4000,
    "title_max_chars": 100,
    "group_max_members": 256,
    "metadata_max_bytes": 4096,
    "avatar_url_max_chars": 2048,
    "description_max_chars": 1000,
    "attachment_name_max_chars": 255,
    "attachment_path_max_chars": 512
  }$limits$::jsonb;
end;
$$;
comment on function private.limits() is 'Messaging limits (lengths, sizes, mime types per attachment kind, group size).';

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
      using errcode = 'P0002', hint = 'conversation_not_found';
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
      using errcode = 'P0002', hint = 'reply_not_found';
  end if;

  return private.append_message(send_message.conversation_id, v_user_id, coalesce(send_message.kind, 'text'),
                                send_message.body, v_attachment, v_metadata, send_message.reply_to_id,
                                send_message.client_id);
end;
$$;
comment on function private.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Implementation of public.send_message (definer: writes seq, message and inbox rows).';

-- The public RPC: a thin invoker wrapper, plpgsql so its plan is cached per session.
create or replace function public.send_message(
  conversation_id uuid, body text default null, kind text default 'text', attachment jsonb default null,
  metadata jsonb default null, reply_to_id uuid default null, client_id uuid default null)
returns public.messages
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return private.send_message(send_message.conversation_id, send_message.kind, send_message.body,
    send_message.attachment, send_message.metadata, send_message.reply_to_id, send_message.client_id);
end;
$$;
comment on function public.send_message(uuid, text, text, jsonb, jsonb, uuid, uuid) is 'Send a message (text, image, video, audio, file) to a conversation you belong to. A repeated client_id returns the first message.';
