-- Purpose: halve the cost of the realtime rows every send writes (npm run bench, send stage;
--   docs/performance.md). A CPU profile of a send showed half its time in the message_created
--   trigger, and most of that in three helpers written as `language sql` with `set search_path`:
--   such functions are never inlined, so each call re-parses and re-plans its body, and every
--   `m.<column>` reference to the composite parameter copies the whole public.messages row type
--   (constraints included) while parsing — about 25 copies per send. As plpgsql they are parsed and
--   planned once per session and then only evaluated. Outputs are unchanged, value for value.
-- Objects: functions private.realtime_limits(), private.message_json(public.messages),
--   private.last_message_json(public.messages) (replaced: same signatures, volatility, invoker,
--   search_path '', comments; grants are kept by create or replace).
-- Ordering note for later changes: this migration sorts after the realtime migrations
--   (20261201100000–199999), so a later change to any of these three functions must be made in a
--   migration that sorts after this one, or it would be overridden on a fresh database.
-- No security definer functions here.

-- Realtime cost knobs. Change them with a migration that replaces this function.
create or replace function private.realtime_limits()
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  -- A constant: planned once per session, then returned without being rebuilt.
  return '{
    "inbox_fanout_max": 100,
    "inbox_preview_chars": 140
  }'::jsonb;
end;
$$;
comment on function private.realtime_limits() is 'Realtime cost limits: inbox_fanout_max (per-member inbox events up to this group size), inbox_preview_chars.';

-- A message as members read it (the row's columns). A tombstone already has no body, attachment or metadata.
create or replace function private.message_json(m public.messages)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'id', m.id, 'conversation_id', m.conversation_id, 'seq', m.seq, 'sender_id', m.sender_id,
    'kind', m.kind, 'body', m.body, 'attachment', m.attachment, 'metadata', m.metadata,
    'reply_to_id', m.reply_to_id, 'client_id', m.client_id, 'created_at', m.created_at,
    'edited_at', m.edited_at, 'deleted_at', m.deleted_at);
end;
$$;
comment on function private.message_json(public.messages) is 'A message as JSON for realtime payloads (all columns members may read).';

-- The inbox summary of a message: preview text cut to inbox_preview_chars, the attachment's name and
-- type, a system message's event metadata; nothing of a deleted message but ids and times.
create or replace function private.last_message_json(m public.messages)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'id', m.id, 'seq', m.seq, 'sender_id', m.sender_id, 'kind', m.kind,
    'preview', case when m.deleted_at is null then left(m.body, (private.realtime_limits() ->> 'inbox_preview_chars')::int) end,
    'attachment', case when m.deleted_at is null and m.attachment is not null
                       then jsonb_build_object('name', m.attachment ->> 'name', 'mime_type', m.attachment ->> 'mime_type') end,
    'system', case when m.kind = 'system' and m.deleted_at is null then m.metadata end,
    'created_at', m.created_at, 'edited_at', m.edited_at, 'deleted_at', m.deleted_at);
end;
$$;
comment on function private.last_message_json(public.messages) is 'Inbox summary of a message for conversation_activity payloads.';
