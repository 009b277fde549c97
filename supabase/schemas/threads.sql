-- Threads: replies under a root message, one level deep. A reply is a message of the conversation (it
-- takes the next seq, so ordering, catch-up and realtime work as for any message) with thread_root_id
-- set; it stays in its thread (shown_in_conversation = false) unless sent "also to the conversation".
-- The root carries the thread's summary: thread_reply_count, thread_last_reply_at, thread_participants
-- (append_message keeps them under the conversation's row lock).
-- Unread: the conversation has one read cursor, and its unread count (last_seq - last_read_seq) counts
-- thread replies like any message until the cursor passes them, so the count is always exact and
-- reading the conversation (mark_read to its last_seq) reads its threads too. A thread's own unread
-- replies are those of list_thread with seq above the member's cursor.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.send_thread_reply(...) — checks the root as the caller, then sends through
--     parley_internal.send_message (limits, slow mode, idempotent client_id).

create or replace function parley_internal.send_thread_reply(
  root_id uuid, kind text, body text, attachment jsonb, metadata jsonb, client_id uuid, also_in_conversation boolean)
returns parley.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_root parley.messages;
begin
  v_root := parley_internal.member_message(send_thread_reply.root_id, v_user_id, false);
  if v_root.thread_root_id is not null then
    raise exception 'message % is itself a thread reply; reply to its root %', send_thread_reply.root_id, v_root.thread_root_id
      using errcode = '22023', hint = 'not_a_thread_root';
  end if;
  if v_root.kind = 'system' then
    raise exception 'system messages cannot start a thread' using errcode = '22023', hint = 'not_a_thread_root';
  end if;
  if v_root.deleted_at is not null then
    raise exception 'message % was deleted', send_thread_reply.root_id using errcode = '22023', hint = 'message_deleted';
  end if;
  return parley_internal.send_message(v_root.conversation_id, send_thread_reply.kind, send_thread_reply.body,
    send_thread_reply.attachment, send_thread_reply.metadata, null, send_thread_reply.client_id,
    v_root.id, coalesce(send_thread_reply.also_in_conversation, false));
end;
$$;
comment on function parley_internal.send_thread_reply(uuid, text, text, jsonb, jsonb, uuid, boolean) is 'Implements parley.send_thread_reply.';
revoke execute on function parley_internal.send_thread_reply(uuid, text, text, jsonb, jsonb, uuid, boolean) from public, anon;
grant execute on function parley_internal.send_thread_reply(uuid, text, text, jsonb, jsonb, uuid, boolean) to authenticated;

create or replace function parley.send_thread_reply(
  root_id uuid, body text default null, kind text default 'text', attachment jsonb default null,
  metadata jsonb default null, client_id uuid default null, also_in_conversation boolean default false)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.messages;
begin
  select * into v_row from parley_internal.send_thread_reply(send_thread_reply.root_id, send_thread_reply.kind, send_thread_reply.body,
      send_thread_reply.attachment, send_thread_reply.metadata, send_thread_reply.client_id, send_thread_reply.also_in_conversation);
  return v_row;
end;
$$;
comment on function parley.send_thread_reply(uuid, text, text, jsonb, jsonb, uuid, boolean) is
  'Reply in the thread of a message (any message that is not itself a reply or a system message): like send_message, in the root''s conversation; also_in_conversation shows it in the conversation''s history too. 404 message_not_found, 400 not_a_thread_root / message_deleted.';
revoke execute on function parley.send_thread_reply(uuid, text, text, jsonb, jsonb, uuid, boolean) from public, anon;
grant execute on function parley.send_thread_reply(uuid, text, text, jsonb, jsonb, uuid, boolean) to authenticated;

-- A thread's replies with the history's cursor rules: newest first (before_seq pages back) or, with
-- after_seq, oldest first to catch up. Replies the caller hid are left out.
create or replace function parley.list_thread(
  root_id uuid, before_seq bigint default null, after_seq bigint default null, max_count integer default 50)
returns setof parley.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.require_user();
  perform parley_internal.check_page(list_thread.max_count);
  if list_thread.before_seq is not null and list_thread.after_seq is not null then
    raise exception 'give before_seq (history) or after_seq (catch-up), not both'
      using errcode = '22023', hint = 'cursor_conflict';
  end if;
  if not exists (select 1 from parley.messages x where x.id = list_thread.root_id) then
    raise exception 'message % not found', list_thread.root_id using errcode = 'PT404', hint = 'message_not_found';
  end if;
  if list_thread.after_seq is not null then
    return query
      select * from parley.messages m
       where m.thread_root_id = list_thread.root_id and m.seq > list_thread.after_seq
         and not exists (select 1 from parley.message_hides h where h.user_id = (select auth.uid()) and h.message_id = m.id)
       order by m.seq asc
       limit list_thread.max_count;
  else
    return query
      select * from parley.messages m
       where m.thread_root_id = list_thread.root_id
         and m.seq < coalesce(list_thread.before_seq, 9223372036854775807)
         and not exists (select 1 from parley.message_hides h where h.user_id = (select auth.uid()) and h.message_id = m.id)
       order by m.seq desc
       limit list_thread.max_count;
  end if;
end;
$$;
comment on function parley.list_thread(uuid, bigint, bigint, integer) is
  'The replies in a message''s thread: newest first (page back with before_seq) or, with after_seq, oldest first. 404 message_not_found when the root is not yours to read.';
revoke execute on function parley.list_thread(uuid, bigint, bigint, integer) from public, anon;
grant execute on function parley.list_thread(uuid, bigint, bigint, integer) to authenticated;
