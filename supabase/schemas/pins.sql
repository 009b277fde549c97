-- Pinned messages: a conversation's short list of messages to keep in view (at most pins_max).
-- Who pins: in a group its owner and admins; in a direct conversation either person.
-- Security: members read their conversations' pins; nobody writes the table directly.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.pin(uuid, boolean) — writes pins, which members may only read, after checking the
--     caller's membership and role; acts for auth.uid() only.
-- Events: message_pinned / message_unpinned (send_conversation_event).

create table parley.message_pins (
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  message_id uuid not null references parley.messages (id) on delete cascade,
  pinned_by uuid references parley.profiles (id) on delete set null,
  pinned_at timestamptz not null default now(),
  primary key (conversation_id, message_id)
);
comment on table parley.message_pins is 'Messages pinned in a conversation, by whom and when (at most pins_max per conversation).';
alter table parley.message_pins enable row level security;
revoke all on table parley.message_pins from public, anon, authenticated;
grant select on table parley.message_pins to authenticated;
grant all on table parley.message_pins to service_role;

-- The cascades when a message or a profile is deleted.
create index message_pins_message_id_idx on parley.message_pins (message_id);
create index message_pins_pinned_by_idx on parley.message_pins (pinned_by);

-- Members read their conversations' pins: the primary key's first column is the conversation.
create policy message_pins_select_member on parley.message_pins
  for select to authenticated
  using ((select true from parley.conversation_members m
           where m.conversation_id = message_pins.conversation_id
             and m.user_id = (select auth.uid())));
comment on policy message_pins_select_member on parley.message_pins is 'Members read the pins of their conversations.';

-- Pins (pin = true) or unpins a message. Idempotent; the conversation's row lock serialises pins so the
-- bound holds under concurrency. Tombstones cannot be pinned (and deleting a message unpins it).
create or replace function parley_internal.pin(message_id uuid, pin boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_max integer := (parley_internal.limits() ->> 'pins_max')::int;
  v_message parley.messages;
  v_kind text;
  v_role text;
  v_row parley.message_pins;
begin
  select x.* into v_message from parley.messages x where x.id = pin.message_id;
  if found then
    select c.kind, m.role into v_kind, v_role
      from parley.conversations c join parley.conversation_members m on m.conversation_id = c.id and m.user_id = v_user_id
     where c.id = v_message.conversation_id
       for update of c;
  end if;
  if v_role is null then
    raise exception 'message % not found', pin.message_id using errcode = 'PT404', hint = 'message_not_found';
  end if;
  if v_kind = 'group' and v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may pin or unpin messages in group %', v_message.conversation_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if pin.pin then
    if v_message.deleted_at is not null then
      raise exception 'message % was deleted', pin.message_id using errcode = '22023', hint = 'message_deleted';
    end if;
    select * into v_row from parley.message_pins p where p.conversation_id = v_message.conversation_id and p.message_id = v_message.id;
    if found then
      return jsonb_build_object('message_id', v_message.id, 'pinned', true, 'pinned_by', v_row.pinned_by, 'pinned_at', v_row.pinned_at);
    end if;
    if (select count(*) from parley.message_pins p where p.conversation_id = v_message.conversation_id) >= v_max then
      raise exception 'conversation % already has % pinned messages; unpin one first', v_message.conversation_id, v_max
        using errcode = '22023', hint = 'too_many_pins';
    end if;
    insert into parley.message_pins (conversation_id, message_id, pinned_by)
    values (v_message.conversation_id, v_message.id, v_user_id)
    returning * into v_row;
    perform parley_internal.send_conversation_event(v_message.conversation_id, 'message_pinned',
      jsonb_build_object('conversation_id', v_message.conversation_id, 'message_id', v_message.id, 'seq', v_message.seq,
                         'pinned_by', v_user_id, 'pinned_at', v_row.pinned_at),
      jsonb_build_object('message_id', v_message.id, 'seq', v_message.seq));
    return jsonb_build_object('message_id', v_message.id, 'pinned', true, 'pinned_by', v_row.pinned_by, 'pinned_at', v_row.pinned_at);
  end if;
  delete from parley.message_pins p where p.conversation_id = v_message.conversation_id and p.message_id = v_message.id;
  if found then
    perform parley_internal.send_conversation_event(v_message.conversation_id, 'message_unpinned',
      jsonb_build_object('conversation_id', v_message.conversation_id, 'message_id', v_message.id, 'seq', v_message.seq,
                         'unpinned_by', v_user_id),
      jsonb_build_object('message_id', v_message.id, 'seq', v_message.seq));
  end if;
  return jsonb_build_object('message_id', v_message.id, 'pinned', false);
end;
$$;
comment on function parley_internal.pin(uuid, boolean) is 'Implements parley.pin_message / parley.unpin_message.';
revoke execute on function parley_internal.pin(uuid, boolean) from public, anon;
grant execute on function parley_internal.pin(uuid, boolean) to authenticated;

create or replace function parley.pin_message(message_id uuid)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.pin(pin_message.message_id, true);
end;
$$;
comment on function parley.pin_message(uuid) is
  'Pin a message (group: owner or admin; direct: either person). Idempotent. 400 too_many_pins (pins_max) / message_deleted, 403 insufficient_role, 404 message_not_found.';
revoke execute on function parley.pin_message(uuid) from public, anon;
grant execute on function parley.pin_message(uuid) to authenticated;

create or replace function parley.unpin_message(message_id uuid)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.pin(unpin_message.message_id, false);
end;
$$;
comment on function parley.unpin_message(uuid) is 'Unpin a message (same roles as pin_message). Idempotent.';
revoke execute on function parley.unpin_message(uuid) from public, anon;
grant execute on function parley.unpin_message(uuid) to authenticated;

-- A conversation's pins, newest first, each with the message as members read it.
create or replace function parley.list_pins(conversation_id uuid)
returns table (pinned_at timestamptz, pinned_by uuid, message parley.messages)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.require_user();
  if not parley_internal.is_member(list_pins.conversation_id) then
    raise exception 'conversation % not found', list_pins.conversation_id using errcode = 'PT404', hint = 'conversation_not_found';
  end if;
  return query
    select p.pinned_at, p.pinned_by, x
      from parley.message_pins p join parley.messages x on x.id = p.message_id
     where p.conversation_id = list_pins.conversation_id
     order by p.pinned_at desc, p.message_id;
end;
$$;
comment on function parley.list_pins(uuid) is 'The pinned messages of a conversation you belong to, newest pin first: {pinned_at, pinned_by, message}. 404 conversation_not_found.';
revoke execute on function parley.list_pins(uuid) from public, anon;
grant execute on function parley.list_pins(uuid) to authenticated;
