-- Purpose: realtime events for messages, sent by triggers in the transaction that writes the message
-- (a rolled-back write sends nothing, a committed one always sends): message_created / message_edited /
-- message_deleted on conversation:<id>, and conversation_activity on each member's user:<id> inbox,
-- bounded by private.realtime_limits() ->> 'inbox_fanout_max' (docs/realtime-events.md § Fan-out).
-- Objects: functions private.realtime_limits, private.message_json, private.last_message_json,
--   private.send_conversation_activity, private.broadcast_message_created (trigger),
--   private.broadcast_message_changed (trigger); triggers messages_broadcast_created, messages_broadcast_changed.
-- Security definer functions created here (docs/realtime-events.md § Definer audit):
--   private.broadcast_message_created(), private.broadcast_message_changed() — triggers: they write
--   realtime.messages whoever writes the message (RPCs, service_role, cascades run by Auth's role);
--   executable by nobody. Everything else here is invoker and executable by nobody but its owner.
-- Privacy: events go only to the conversation's topic (members) and to current members' inboxes;
--   a deleted message is sent as its tombstone (no body, attachment or metadata).

-- Realtime cost knobs. Change them with a migration that replaces this function.
create or replace function private.realtime_limits()
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    -- Conversations with at most this many members get one conversation_activity per member per
    -- message; larger ones get none (clients watch their conversation:<id> topic instead).
    'inbox_fanout_max', 100,
    -- Characters of the body sent as the inbox preview.
    'inbox_preview_chars', 140);
$$;
comment on function private.realtime_limits() is 'Realtime cost limits: inbox_fanout_max (per-member inbox events up to this group size), inbox_preview_chars.';
revoke execute on function private.realtime_limits() from public, anon;
grant execute on function private.realtime_limits() to authenticated, service_role;

-- A message as members read it (the row's columns). A tombstone already has no body, attachment or metadata.
create or replace function private.message_json(m public.messages)
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'id', m.id, 'conversation_id', m.conversation_id, 'seq', m.seq, 'sender_id', m.sender_id,
    'kind', m.kind, 'body', m.body, 'attachment', m.attachment, 'metadata', m.metadata,
    'reply_to_id', m.reply_to_id, 'client_id', m.client_id, 'created_at', m.created_at,
    'edited_at', m.edited_at, 'deleted_at', m.deleted_at);
$$;
comment on function private.message_json(public.messages) is 'A message as JSON for realtime payloads (all columns members may read).';
revoke execute on function private.message_json(public.messages) from public, anon, authenticated, service_role;

-- The inbox summary of a message: preview text cut to inbox_preview_chars, the attachment's name and
-- type, a system message's event metadata; nothing of a deleted message but ids and times.
create or replace function private.last_message_json(m public.messages)
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'id', m.id, 'seq', m.seq, 'sender_id', m.sender_id, 'kind', m.kind,
    'preview', case when m.deleted_at is null then left(m.body, (private.realtime_limits() ->> 'inbox_preview_chars')::int) end,
    'attachment', case when m.deleted_at is null and m.attachment is not null
                       then jsonb_build_object('name', m.attachment ->> 'name', 'mime_type', m.attachment ->> 'mime_type') end,
    'system', case when m.kind = 'system' and m.deleted_at is null then m.metadata end,
    'created_at', m.created_at, 'edited_at', m.edited_at, 'deleted_at', m.deleted_at);
$$;
comment on function private.last_message_json(public.messages) is 'Inbox summary of a message for conversation_activity payloads.';
revoke execute on function private.last_message_json(public.messages) from public, anon, authenticated, service_role;

-- conversation_activity to every member's inbox, in one insert, when the conversation has at most
-- inbox_fanout_max members (read from the primary key, at most max + 1 entries); nothing above.
-- Same row shape as realtime.send (payload.id = row id, private, extension broadcast) and, like it,
-- a failure to broadcast warns instead of failing the write (one subtransaction for the whole fan-out).
create or replace function private.send_conversation_activity(p_message public.messages, p_action text)
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_max integer := (private.realtime_limits() ->> 'inbox_fanout_max')::int;
  v_conversation public.conversations;
  v_user_ids uuid[];
  v_read_seqs bigint[];
  v_last_seq bigint;
  v_base jsonb;
  v_count integer;
begin
  select array_agg(m.user_id), array_agg(m.last_read_seq) into v_user_ids, v_read_seqs
    from (select x.user_id, x.last_read_seq from public.conversation_members x
           where x.conversation_id = p_message.conversation_id
           limit v_max + 1) m;
  if v_user_ids is null or cardinality(v_user_ids) > v_max then
    return 0;
  end if;
  select * into v_conversation from public.conversations c where c.id = p_message.conversation_id;
  v_last_seq := greatest(v_conversation.last_seq, p_message.seq);
  v_base := jsonb_build_object(
    'conversation_id', p_message.conversation_id, 'kind', v_conversation.kind, 'title', v_conversation.title,
    'avatar_url', v_conversation.avatar_url, 'last_seq', v_last_seq, 'action', p_action,
    'last_message', private.last_message_json(p_message));
  begin
    with recipients as (
      select gen_random_uuid() as id, u.user_id, u.last_read_seq
        from unnest(v_user_ids, v_read_seqs) as u(user_id, last_read_seq)
    )
    insert into realtime.messages (id, topic, extension, event, payload, private)
    select r.id, 'user:' || r.user_id, 'broadcast', 'conversation_activity',
           v_base || jsonb_build_object(
             'unread_count',
             -- Sending moves the sender's cursor to their message (append_message, right after this insert).
             case when p_action = 'created' and r.user_id = p_message.sender_id then 0
                  else greatest(v_last_seq - r.last_read_seq, 0) end,
             'id', r.id),
           true
      from recipients r;
    get diagnostics v_count = row_count;
  exception when others then
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
    return 0;
  end;
  return v_count;
end;
$$;
comment on function private.send_conversation_activity(public.messages, text) is 'Internal: conversation_activity to each member''s user:<id> inbox, only up to inbox_fanout_max members.';
revoke execute on function private.send_conversation_activity(public.messages, text) from public, anon, authenticated, service_role;

-- message_created on the conversation topic, then the inbox fan-out.
create or replace function private.broadcast_message_created()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object('conversation_id', new.conversation_id, 'message', private.message_json(new)),
    'message_created', 'conversation:' || new.conversation_id, true);
  perform private.send_conversation_activity(new, 'created');
  return null;
end;
$$;
comment on function private.broadcast_message_created() is 'Trigger: message_created on conversation:<id> and conversation_activity to members'' inboxes.';
revoke execute on function private.broadcast_message_created() from public, anon, authenticated, service_role;

-- message_edited / message_deleted on the conversation topic; inboxes hear about it only when the
-- message is the conversation's latest (the one their list shows).
create or replace function private.broadcast_message_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_action text := case when new.deleted_at is not null then 'deleted' else 'edited' end;
begin
  perform realtime.send(
    jsonb_build_object('conversation_id', new.conversation_id, 'message', private.message_json(new)),
    'message_' || v_action, 'conversation:' || new.conversation_id, true);
  if exists (select 1 from public.conversations c where c.id = new.conversation_id and c.last_seq = new.seq) then
    perform private.send_conversation_activity(new, v_action);
  end if;
  return null;
end;
$$;
comment on function private.broadcast_message_changed() is 'Trigger: message_edited / message_deleted on conversation:<id> (and the inbox when it is the latest message).';
revoke execute on function private.broadcast_message_changed() from public, anon, authenticated, service_role;

-- Every new message is announced where its readers listen.
create trigger messages_broadcast_created
  after insert on public.messages
  for each row execute function private.broadcast_message_created();

-- Only edits and tombstones are events; other updates (sender_id set null when a profile goes) are not.
create trigger messages_broadcast_changed
  after update on public.messages
  for each row
  when (old.edited_at is distinct from new.edited_at or old.deleted_at is distinct from new.deleted_at)
  execute function private.broadcast_message_changed();
