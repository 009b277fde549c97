-- Delivery and read receipts: each member has a delivered cursor (a device of theirs received up to
-- this seq: mark_delivered, moved by the SDK as its inbox receives messages) next to the read cursor
-- (mark_read, which moves both). A message is delivered to / read by a member whose cursor reaches its
-- seq, so receipts cost one row per member, not one per member per message.
-- Who sees what: co-members read cursors through list_receipts and message_receipts only (the columns
-- are not granted, conversations.sql); a member who hides read receipts (user_settings) shows a null
-- read cursor and is counted as delivered, never as read. Live: member_read goes to co-members unless
-- the reader hides it; member_delivered is sent in direct conversations only, where the other person
-- shows ticks per message. In a group every delivery to every member would be an event to every member
-- (n² rows per message), so groups read counts with message_receipts when they show them.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.mark_delivered(uuid, bigint) — moves the caller's delivered cursor (not client-writable).
--   parley_internal.list_receipts(uuid)           — co-members' cursors, with each one's setting applied.
--   parley_internal.message_receipts(uuid)        — delivered / read counts of one message for its members.
--   Each derives the caller from auth.uid() and answers only members of the conversation.

create or replace function parley_internal.mark_delivered(conversation_id uuid, seq bigint)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_last bigint;
  v_cursor bigint;
begin
  select c.last_seq, greatest(m.last_delivered_seq, m.last_read_seq) into v_last, v_cursor
    from parley.conversations c
    join parley.conversation_members m on m.conversation_id = c.id and m.user_id = v_user_id
   where c.id = mark_delivered.conversation_id;
  perform parley_internal.check_cursor_seq(mark_delivered.conversation_id, mark_delivered.seq, v_last);
  -- Called for every message a device receives: a cursor already there is not written again.
  if coalesce(mark_delivered.seq, v_last) > v_cursor then
    update parley.conversation_members m
       set last_delivered_seq = coalesce(mark_delivered.seq, v_last)
     where m.conversation_id = mark_delivered.conversation_id and m.user_id = v_user_id;
    v_cursor := coalesce(mark_delivered.seq, v_last);
  end if;
  return v_cursor;
end;
$$;
comment on function parley_internal.mark_delivered(uuid, bigint) is 'Implementation of parley.mark_delivered (definer: last_delivered_seq is not client-writable).';
revoke execute on function parley_internal.mark_delivered(uuid, bigint) from public, anon;
grant execute on function parley_internal.mark_delivered(uuid, bigint) to authenticated, service_role;

-- The API RPC: a thin invoker wrapper, plpgsql so its plan is cached per session (as in conversations.sql).
create or replace function parley.mark_delivered(conversation_id uuid, seq bigint default null)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.mark_delivered(mark_delivered.conversation_id, mark_delivered.seq);
end;
$$;
comment on function parley.mark_delivered(uuid, bigint) is 'Say a device of yours received a conversation up to seq (default: its last message). Returns your delivered cursor; it never moves back, and calling it again writes nothing.';
revoke execute on function parley.mark_delivered(uuid, bigint) from public, anon;
grant execute on function parley.mark_delivered(uuid, bigint) to authenticated, service_role;

create or replace function parley_internal.list_receipts(conversation_id uuid)
returns table (user_id uuid, last_delivered_seq bigint, last_read_seq bigint)
language plpgsql
stable
security definer
set search_path = ''
-- One generic plan (primary-key reads of the members and their settings) instead of a custom plan
-- made again at every call, as in parley_internal.list_messages.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_user_id uuid := parley_internal.require_user();
begin
  if not parley_internal.is_member(list_receipts.conversation_id) then
    raise exception 'conversation % not found', list_receipts.conversation_id
      using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  return query
    select m.user_id,
           greatest(m.last_delivered_seq, m.last_read_seq),
           case when m.user_id = v_user_id or not coalesce(s.hide_read_receipts, false) then m.last_read_seq end
      from parley.conversation_members m
      -- One join for every member's setting, not a lookup per member row.
      left join parley.user_settings s on s.user_id = m.user_id
     where m.conversation_id = list_receipts.conversation_id
     order by m.user_id;
end;
$$;
comment on function parley_internal.list_receipts(uuid) is 'Implementation of parley.list_receipts (definer: cursors are not granted to co-members, and hidden read cursors must stay hidden).';
revoke execute on function parley_internal.list_receipts(uuid) from public, anon;
grant execute on function parley_internal.list_receipts(uuid) to authenticated, service_role;

create or replace function parley.list_receipts(conversation_id uuid)
returns table (user_id uuid, last_delivered_seq bigint, last_read_seq bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.list_receipts(list_receipts.conversation_id);
end;
$$;
comment on function parley.list_receipts(uuid) is 'Each member''s delivered and read cursors in a conversation you belong to (read is null for a member who hides read receipts). A message is delivered to / read by a member whose cursor reaches its seq.';
revoke execute on function parley.list_receipts(uuid) from public, anon;
grant execute on function parley.list_receipts(uuid) to authenticated, service_role;

create or replace function parley_internal.message_receipts(message_id uuid)
returns table (conversation_id uuid, seq bigint, recipient_count integer,
               delivered_count integer, read_count integer, status text)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_message parley.messages;
  v_recipients integer;
  v_delivered integer;
  v_read integer;
begin
  perform parley_internal.require_user();
  select * into v_message from parley.messages x where x.id = message_receipts.message_id;
  if v_message.id is null or not parley_internal.is_member(v_message.conversation_id) then
    raise exception 'message % not found', message_receipts.message_id
      using errcode = 'PT404', hint = 'message_not_found';
  end if;
  -- Recipients: today's members other than the sender (one pass over the conversation's members).
  select count(*)::integer,
         count(*) filter (where greatest(m.last_delivered_seq, m.last_read_seq) >= v_message.seq)::integer,
         count(*) filter (where m.last_read_seq >= v_message.seq and not coalesce(s.hide_read_receipts, false))::integer
    into v_recipients, v_delivered, v_read
    from parley.conversation_members m
    left join parley.user_settings s on s.user_id = m.user_id
   where m.conversation_id = v_message.conversation_id and m.user_id is distinct from v_message.sender_id;
  return query select v_message.conversation_id, v_message.seq, v_recipients, v_delivered, v_read,
    case when v_recipients > 0 and v_read = v_recipients then 'read'
         when v_recipients > 0 and v_delivered = v_recipients then 'delivered'
         else 'sent' end;
end;
$$;
comment on function parley_internal.message_receipts(uuid) is 'Implementation of parley.message_receipts (definer: counts cursors co-members may not read one by one when hidden).';
revoke execute on function parley_internal.message_receipts(uuid) from public, anon;
grant execute on function parley_internal.message_receipts(uuid) to authenticated, service_role;

create or replace function parley.message_receipts(message_id uuid)
returns table (conversation_id uuid, seq bigint, recipient_count integer,
               delivered_count integer, read_count integer, status text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.message_receipts(message_receipts.message_id);
end;
$$;
comment on function parley.message_receipts(uuid) is 'How many of a message''s recipients (the members but its sender) it was delivered to and read by, and its ticks: sent, delivered (to all), read (by all; a member hiding read receipts is never counted as read).';
revoke execute on function parley.message_receipts(uuid) from public, anon;
grant execute on function parley.message_receipts(uuid) to authenticated, service_role;
