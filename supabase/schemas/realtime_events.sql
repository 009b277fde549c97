-- Realtime database events, sent by triggers in the transaction that writes the row (a rolled-back
-- write sends nothing, a committed one always sends), only on topics no client may send on, to the
-- members the writing transaction sees (docs/realtime-events.md):
--   conversation events  message_created / message_edited / message_deleted (the row, and the inbox
--                        summary with the reader's unread_count), members_added, members_removed,
--                        member_role_changed, member_read, member_delivered (direct only), conversation_updated: one row per member on
--                        user:<id> for conversations of at most inbox_fanout_max members; above it, one
--                        content-free notice (ids and seq) on conversation:<id>:events, and the client
--                        reads the rows through RLS.
--   user:<id> only       conversation_added, conversation_removed (left / removed / deleted),
--                        membership_updated (your role, read or delivered cursor, mute or hide changed: all your devices),
--                        conversation_fanout_changed (the group crossed inbox_fanout_max)
-- A member viewing a conversation receives each event once. A removed member hears nothing more: the
-- fan-out is decided per write. conversation:<id> carries client signals only (typing, presence).
-- Security definer functions here (docs/realtime-events.md § Definer audit): the six
--   parley_internal.broadcast_* trigger functions — they write realtime.messages whoever writes the rows
--   (RPCs, service_role, cascades from auth.users run by Auth's role); executable by nobody. The rest
--   is invoker and executable by nobody but its owner. A deleted message is sent as its tombstone.
-- Cost: a message writes one realtime row per member (n for n members) or one for a large group;
--   membership triggers are per statement (transition tables), so adding 200 members is one
--   members_added per member already there plus one conversation_added per new member.
--   The read-cursor move that every send makes for its sender (append_message) is not a member_read:
--   message_created already says the sender has read their message. Sends are recognised by
--   last_activity_at, which only append_message writes, on every message (for every member up to
--   inbox_fanout_max; above it for the sender and the rows it moves to the current second).

-- Realtime cost knobs. Change them here, then `npm run db:diff`.
create or replace function parley_internal.realtime_limits()
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
comment on function parley_internal.realtime_limits() is 'Realtime cost limits: inbox_fanout_max (per-member inbox events up to this group size), inbox_preview_chars.';
revoke execute on function parley_internal.realtime_limits() from public, anon;
grant execute on function parley_internal.realtime_limits() to authenticated, service_role;

-- A message as members read it (the row's columns). A tombstone already has no body, attachment or metadata.
create or replace function parley_internal.message_json(m parley.messages)
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
    'edited_at', m.edited_at, 'deleted_at', m.deleted_at, 'reactions', m.reactions,
    'thread_root_id', m.thread_root_id, 'shown_in_conversation', m.shown_in_conversation,
    'thread_reply_count', m.thread_reply_count, 'thread_last_reply_at', m.thread_last_reply_at,
    'thread_participants', m.thread_participants);
end;
$$;
comment on function parley_internal.message_json(parley.messages) is 'A message as JSON for realtime payloads (all columns members may read).';
revoke execute on function parley_internal.message_json(parley.messages) from public, anon, authenticated, service_role;

-- The inbox summary of a message: preview text cut to inbox_preview_chars, the attachment's name and
-- type, a system message's event metadata; nothing of a deleted message but ids and times.
create or replace function parley_internal.last_message_json(m parley.messages)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'id', m.id, 'seq', m.seq, 'sender_id', m.sender_id, 'kind', m.kind,
    'preview', case when m.deleted_at is null then left(m.body, (parley_internal.realtime_limits() ->> 'inbox_preview_chars')::int) end,
    'attachment', case when m.deleted_at is null and m.attachment is not null
                       then jsonb_build_object('name', m.attachment ->> 'name', 'mime_type', m.attachment ->> 'mime_type') end,
    'system', case when m.kind = 'system' and m.deleted_at is null then m.metadata end,
    'created_at', m.created_at, 'edited_at', m.edited_at, 'deleted_at', m.deleted_at);
end;
$$;
comment on function parley_internal.last_message_json(parley.messages) is 'Inbox summary of a message (preview, attachment name and type) for message event payloads.';
revoke execute on function parley_internal.last_message_json(parley.messages) from public, anon, authenticated, service_role;

-- Sends one database event of a conversation to where its members listen, deciding who hears at
-- write time from the membership this transaction sees (docs/realtime-events.md § Topics):
--   * up to inbox_fanout_max members: one row per member on their own user:<id> topic (receive-only),
--     carrying `payload`; when the payload has an `inbox` object, each member's copy gets their own
--     inbox.unread_count (0 for `reader_id`, whose cursor the same write moves to the new message);
--   * above it: one row on the receive-only conversation:<id>:events topic carrying only `notice`, ids
--     and sequence numbers and never content: a removed member's open channel keeps receiving until
--     it rejoins, and Realtime's replay reads stored rows with its own rights, so nothing there may
--     say more than a member could learn by asking the database (which RLS then decides).
-- `except_ids` are left out (members told by an event of their own, e.g. conversation_added).
-- Same row shape as realtime.send (payload.id = the row's id, private, extension broadcast; dated in
-- UTC whatever the session's time zone, as realtime.messages' clock is) and, like it, a failure warns
-- instead of failing the write (one subtransaction for the whole fan-out).
create or replace function parley_internal.send_conversation_event(
  conversation_id uuid, event text, payload jsonb, notice jsonb,
  reader_id uuid default null, except_ids uuid[] default '{}')
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_max integer := (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int;
  v_user_ids uuid[];
  v_read_seqs bigint[];
  v_last_seq bigint := (send_conversation_event.payload -> 'inbox' ->> 'last_seq')::bigint;
  v_id uuid := gen_random_uuid();
  v_count integer;
begin
  -- At most max + 1 entries of the primary key, whatever the size of the group.
  select array_agg(m.user_id), array_agg(m.last_read_seq) into v_user_ids, v_read_seqs
    from (select x.user_id, x.last_read_seq from parley.conversation_members x
           where x.conversation_id = send_conversation_event.conversation_id
           limit v_max + 1) m;
  if v_user_ids is null then
    return 0;
  end if;
  begin
    if cardinality(v_user_ids) > v_max then
      insert into realtime.messages (id, topic, extension, event, payload, private, inserted_at)
      values (v_id, 'conversation:' || send_conversation_event.conversation_id || ':events', 'broadcast',
              send_conversation_event.event,
              send_conversation_event.notice
                || jsonb_build_object('conversation_id', send_conversation_event.conversation_id, 'id', v_id),
              true, now() at time zone 'utc');
      return 1;
    end if;
    with recipients as (
      select gen_random_uuid() as id, u.user_id, u.last_read_seq
        from unnest(v_user_ids, v_read_seqs) as u(user_id, last_read_seq)
       where not (u.user_id = any (send_conversation_event.except_ids))
    )
    insert into realtime.messages (id, topic, extension, event, payload, private, inserted_at)
    select r.id, 'user:' || r.user_id, 'broadcast', send_conversation_event.event,
           case when v_last_seq is null then send_conversation_event.payload
                else jsonb_set(send_conversation_event.payload, '{inbox,unread_count}', to_jsonb(
                       case when r.user_id = send_conversation_event.reader_id then 0
                            else greatest(v_last_seq - r.last_read_seq, 0) end))
           end || jsonb_build_object('id', r.id),
           true, now() at time zone 'utc'
      from recipients r;
    get diagnostics v_count = row_count;
  exception when others then
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
    return 0;
  end;
  return v_count;
end;
$$;
comment on function parley_internal.send_conversation_event(uuid, text, jsonb, jsonb, uuid, uuid[]) is
  'Internal: a conversation''s database event to each member''s user:<id> (up to inbox_fanout_max members, with per-member unread), else one content-free notice on conversation:<id>:events.';
revoke execute on function parley_internal.send_conversation_event(uuid, text, jsonb, jsonb, uuid, uuid[]) from public, anon, authenticated, service_role;

-- What a member's inbox shows of a conversation after this message: its look and the message's
-- summary (unread_count is filled in per member by send_conversation_event).
create or replace function parley_internal.inbox_json(message parley.messages)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_conversation parley.conversations;
begin
  select * into v_conversation from parley.conversations c where c.id = inbox_json.message.conversation_id;
  return jsonb_build_object(
    'kind', v_conversation.kind, 'title', v_conversation.title, 'avatar_url', v_conversation.avatar_url,
    'last_seq', greatest(v_conversation.last_seq, inbox_json.message.seq),
    'last_message', parley_internal.last_message_json(inbox_json.message));
end;
$$;
comment on function parley_internal.inbox_json(parley.messages) is 'Internal: the inbox part of a message event (conversation kind, title, avatar, last_seq, last_message).';
revoke execute on function parley_internal.inbox_json(parley.messages) from public, anon, authenticated, service_role;

-- message_created, once per member: the full row for the open conversation and the inbox summary
-- for the list, in one event (a member viewing the conversation receives the message once).
create or replace function parley_internal.broadcast_message_created()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform parley_internal.send_conversation_event(new.conversation_id, 'message_created',
    jsonb_build_object('conversation_id', new.conversation_id, 'message', parley_internal.message_json(new),
                       'inbox', parley_internal.inbox_json(new)),
    -- A reply kept in its thread names its root, so a large group's client reads it by id (the
    -- timeline it catches up from leaves it out).
    jsonb_strip_nulls(jsonb_build_object('message_id', new.id, 'seq', new.seq,
      'thread_root_id', case when not new.shown_in_conversation then new.thread_root_id end)),
    new.sender_id);
  return null;
end;
$$;
comment on function parley_internal.broadcast_message_created() is 'Trigger: message_created (row and inbox summary) to each member''s user:<id>, or a notice on conversation:<id>:events.';
revoke execute on function parley_internal.broadcast_message_created() from public, anon, authenticated, service_role;

-- message_edited / message_deleted, once per member, with the row as it is now (a tombstone carries no
-- body, attachment or metadata); `inbox` only when the message is the conversation's latest, the one
-- an inbox shows (null otherwise).
create or replace function parley_internal.broadcast_message_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform parley_internal.send_conversation_event(new.conversation_id,
    case when new.deleted_at is not null then 'message_deleted' else 'message_edited' end,
    jsonb_build_object('conversation_id', new.conversation_id, 'message', parley_internal.message_json(new),
                       'inbox', case when exists (select 1 from parley.conversations c
                                                   where c.id = new.conversation_id and c.last_seq = new.seq)
                                     then parley_internal.inbox_json(new) end),
    jsonb_build_object('message_id', new.id, 'seq', new.seq));
  return null;
end;
$$;
comment on function parley_internal.broadcast_message_changed() is 'Trigger: message_edited / message_deleted to each member''s user:<id> (inbox summary when it is the latest message), or a notice on conversation:<id>:events.';
revoke execute on function parley_internal.broadcast_message_changed() from public, anon, authenticated, service_role;

-- Every new message is announced where its readers listen.
create trigger messages_broadcast_created
  after insert on parley.messages
  for each row execute function parley_internal.broadcast_message_created();

-- Only edits and tombstones are events; other updates (sender_id set null when a profile goes) are not.
create trigger messages_broadcast_changed
  after update on parley.messages
  for each row
  when (old.edited_at is distinct from new.edited_at or old.deleted_at is distinct from new.deleted_at)
  execute function parley_internal.broadcast_message_changed();

-- One event per (user, payload) to each user's inbox in one insert; same row shape as realtime.send,
-- and like it a failure warns instead of failing the write.
create or replace function parley_internal.send_user_events(event text, user_ids uuid[], payloads jsonb[])
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_count integer;
begin
  if coalesce(cardinality(send_user_events.user_ids), 0) = 0 then
    return 0;
  end if;
  begin
    with recipients as (
      select gen_random_uuid() as id, u.user_id, u.payload
        from unnest(send_user_events.user_ids, send_user_events.payloads) as u(user_id, payload)
    )
    insert into realtime.messages (id, topic, extension, event, payload, private, inserted_at)
    select r.id, 'user:' || r.user_id, 'broadcast', send_user_events.event, r.payload || jsonb_build_object('id', r.id), true,
           now() at time zone 'utc'
      from recipients r;
    get diagnostics v_count = row_count;
  exception when others then
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
    return 0;
  end;
  return v_count;
end;
$$;
comment on function parley_internal.send_user_events(text, uuid[], jsonb[]) is 'Internal: one realtime event per user to user:<id>, in one insert.';
revoke execute on function parley_internal.send_user_events(text, uuid[], jsonb[]) from public, anon, authenticated, service_role;

-- After members are inserted (create_group, add_members, a direct conversation's first use):
-- members_added to the members already there, conversation_added to each new member's inbox, and, when
-- the group just grew past inbox_fanout_max, conversation_fanout_changed to the members already there.
create or replace function parley_internal.broadcast_members_added()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_max integer := (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int;
  v_group record;
  v_conversation parley.conversations;
  v_count integer;
begin
  for v_group in
    select a.conversation_id,
           jsonb_agg(jsonb_build_object('user_id', a.user_id, 'role', a.role, 'joined_at', a.joined_at) order by a.joined_at, a.user_id) as members,
           array_agg(a.user_id order by a.user_id) as user_ids,
           array_agg(a.role order by a.user_id) as roles,
           array_agg(a.joined_at order by a.user_id) as joined_ats,
           count(*)::int as added
      from added a
     group by a.conversation_id
     order by a.conversation_id
  loop
    select * into v_conversation from parley.conversations c where c.id = v_group.conversation_id;
    select count(*)::int into v_count from parley.conversation_members m where m.conversation_id = v_group.conversation_id;
    -- The members already there; the new ones hear conversation_added instead.
    perform parley_internal.send_conversation_event(v_group.conversation_id, 'members_added',
      jsonb_build_object('conversation_id', v_group.conversation_id, 'members', v_group.members, 'member_count', v_count),
      jsonb_build_object('member_count', v_count), null, v_group.user_ids);
    perform parley_internal.send_user_events('conversation_added', v_group.user_ids, array(
      select jsonb_build_object(
               'conversation_id', v_conversation.id, 'kind', v_conversation.kind, 'title', v_conversation.title,
               'avatar_url', v_conversation.avatar_url, 'role', r.role, 'joined_at', r.joined_at,
               'last_seq', v_conversation.last_seq, 'member_count', v_count, 'inbox_fanout', v_count <= v_max)
        from unnest(v_group.roles, v_group.joined_ats) with ordinality as r(role, joined_at, n)
       order by r.n));
    if v_count - v_group.added <= v_max and v_count > v_max then
      perform parley_internal.send_user_events('conversation_fanout_changed', u.user_ids, array_fill(
          jsonb_build_object('conversation_id', v_group.conversation_id, 'inbox_fanout', false, 'member_count', v_count),
          array[cardinality(u.user_ids)]))
        from (select array_agg(m.user_id order by m.user_id) as user_ids from parley.conversation_members m
               where m.conversation_id = v_group.conversation_id and not (m.user_id = any (v_group.user_ids))) u
       where u.user_ids is not null;
    end if;
  end loop;
  return null;
end;
$$;
comment on function parley_internal.broadcast_members_added() is 'Trigger (per statement): members_added to the members already there, conversation_added to new members, conversation_fanout_changed when the group outgrows the inbox fan-out.';
revoke execute on function parley_internal.broadcast_members_added() from public, anon, authenticated, service_role;

-- After members are deleted (remove_member, leave_group, delete_group's cascade, an account deleted):
-- members_removed to the members left (or, for a deleted large group, conversation_deleted on its
-- events topic), conversation_removed to each removed member's inbox, and conversation_fanout_changed to the members
-- left when the group shrank back to inbox_fanout_max.
create or replace function parley_internal.broadcast_members_removed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_max integer := (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int;
  v_actor uuid := (select auth.uid());
  v_group record;
  v_exists boolean;
  v_count integer;
begin
  for v_group in
    select r.conversation_id, array_agg(r.user_id order by r.user_id) as user_ids, count(*)::int as removed
      from removed r
     group by r.conversation_id
     order by r.conversation_id
  loop
    v_exists := exists (select 1 from parley.conversations c where c.id = v_group.conversation_id);
    if v_exists then
      -- The members left; the removed ones are no longer members, so they hear only conversation_removed.
      select count(*)::int into v_count from parley.conversation_members m where m.conversation_id = v_group.conversation_id;
      perform parley_internal.send_conversation_event(v_group.conversation_id, 'members_removed',
        jsonb_build_object('conversation_id', v_group.conversation_id, 'user_ids', to_jsonb(v_group.user_ids), 'member_count', v_count),
        jsonb_build_object('member_count', v_count));
    elsif v_group.removed > v_max then
      -- A large group's channels learn it is gone (its members' inboxes hear conversation_removed).
      perform realtime.send(jsonb_build_object('conversation_id', v_group.conversation_id),
        'conversation_deleted', 'conversation:' || v_group.conversation_id || ':events', true);
    end if;
    perform parley_internal.send_user_events('conversation_removed', v_group.user_ids, array(
      select jsonb_build_object('conversation_id', v_group.conversation_id,
               'reason', case when not v_exists then 'deleted' when u.user_id = v_actor then 'left' else 'removed' end)
        from unnest(v_group.user_ids) with ordinality as u(user_id, n)
       order by u.n));
    if v_exists and v_count <= v_max and v_count + v_group.removed > v_max then
      perform parley_internal.send_user_events('conversation_fanout_changed', u.user_ids, array_fill(
          jsonb_build_object('conversation_id', v_group.conversation_id, 'inbox_fanout', true, 'member_count', v_count),
          array[cardinality(u.user_ids)]))
        from (select array_agg(m.user_id order by m.user_id) as user_ids from parley.conversation_members m
               where m.conversation_id = v_group.conversation_id) u
       where u.user_ids is not null;
    end if;
  end loop;
  return null;
end;
$$;
comment on function parley_internal.broadcast_members_removed() is 'Trigger (per statement): members_removed or conversation_deleted, conversation_removed to removed members, conversation_fanout_changed when the group shrinks to the inbox fan-out.';
revoke execute on function parley_internal.broadcast_members_removed() from public, anon, authenticated, service_role;

-- A member row changed outside a send: role (member_role_changed), read cursor (member_read, the read
-- receipt, unless the member hides read receipts) to every member, delivered cursor (member_delivered)
-- in a direct conversation (receipts.sql says why not in groups); and membership_updated to that
-- member's own inbox so their other devices update role, cursors, unread count, mute and hide.
create or replace function parley_internal.broadcast_member_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_last_seq bigint;
  v_kind text;
  v_message_id uuid;
  v_delivered bigint := greatest(new.last_delivered_seq, new.last_read_seq);
  v_read_shared boolean := false;
begin
  select c.last_seq, c.kind into v_last_seq, v_kind from parley.conversations c where c.id = new.conversation_id;
  if new.role is distinct from old.role then
    perform parley_internal.send_conversation_event(new.conversation_id, 'member_role_changed',
      jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id, 'role', new.role,
                         'previous_role', old.role),
      jsonb_build_object('user_id', new.user_id));
  end if;
  if new.last_read_seq is distinct from old.last_read_seq and not parley_internal.hides_read_receipts(new.user_id) then
    v_read_shared := true;
    select x.id into v_message_id from parley.messages x
     where x.conversation_id = new.conversation_id and x.seq = new.last_read_seq;
    perform parley_internal.send_conversation_event(new.conversation_id, 'member_read',
      jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id,
                         'last_read_seq', new.last_read_seq, 'last_delivered_seq', v_delivered,
                         'message_id', v_message_id, 'read_at', now()),
      jsonb_build_object('user_id', new.user_id, 'last_read_seq', new.last_read_seq, 'last_delivered_seq', v_delivered));
  end if;
  -- A shared member_read already says how far it was delivered.
  if not v_read_shared and v_kind = 'direct'
     and v_delivered is distinct from greatest(old.last_delivered_seq, old.last_read_seq) then
    perform parley_internal.send_conversation_event(new.conversation_id, 'member_delivered',
      jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id,
                         'last_delivered_seq', v_delivered, 'delivered_at', now()),
      jsonb_build_object('user_id', new.user_id, 'last_delivered_seq', v_delivered));
  end if;
  perform realtime.send(
    jsonb_build_object('conversation_id', new.conversation_id, 'role', new.role, 'last_read_seq', new.last_read_seq,
                       'last_delivered_seq', v_delivered,
                       'unread_count', greatest(coalesce(v_last_seq, 0) - new.last_read_seq, 0),
                       'muted_until', new.muted_until, 'hidden_at', new.hidden_at),
    'membership_updated', 'user:' || new.user_id, true);
  return null;
end;
$$;
comment on function parley_internal.broadcast_member_updated() is 'Trigger: member_role_changed / member_read (unless hidden) to the members, member_delivered in direct conversations, and membership_updated on the member''s own user:<id>.';
revoke execute on function parley_internal.broadcast_member_updated() from public, anon, authenticated, service_role;

-- conversation_updated when what members see of a conversation changes (not last_seq: that is a message).
create or replace function parley_internal.broadcast_conversation_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform parley_internal.send_conversation_event(new.id, 'conversation_updated',
    jsonb_build_object('conversation_id', new.id, 'conversation', jsonb_build_object(
      'id', new.id, 'kind', new.kind, 'title', new.title, 'description', new.description,
      'avatar_url', new.avatar_url, 'slow_mode_seconds', new.slow_mode_seconds, 'updated_at', new.updated_at)),
    '{}'::jsonb);
  return null;
end;
$$;
comment on function parley_internal.broadcast_conversation_updated() is 'Trigger: conversation_updated to the members when title, description, avatar or slow mode change.';
revoke execute on function parley_internal.broadcast_conversation_updated() from public, anon, authenticated, service_role;

-- Per statement, so a batch of new members costs one conversation event.
create trigger conversation_members_broadcast_added
  after insert on parley.conversation_members
  referencing new table as added
  for each statement execute function parley_internal.broadcast_members_added();

-- Per statement, so deleting a group is one conversation_deleted, whatever its size.
create trigger conversation_members_broadcast_removed
  after delete on parley.conversation_members
  referencing old table as removed
  for each statement execute function parley_internal.broadcast_members_removed();

-- Role, read and delivered cursors, mute and hide changes; not the inbox bookkeeping every send does (last_activity_at moves).
create trigger conversation_members_broadcast_updated
  after update on parley.conversation_members
  for each row
  when (old.last_activity_at is not distinct from new.last_activity_at
        and (old.role is distinct from new.role or old.last_read_seq is distinct from new.last_read_seq
             or old.last_delivered_seq is distinct from new.last_delivered_seq
             or old.muted_until is distinct from new.muted_until or old.hidden_at is distinct from new.hidden_at))
  execute function parley_internal.broadcast_member_updated();

-- What members see of a group changed (update_group, set_slow_mode); last_seq/last_message_at moves are messages.
create trigger conversations_broadcast_updated
  after update on parley.conversations
  for each row
  when (old.title is distinct from new.title or old.description is distinct from new.description
        or old.avatar_url is distinct from new.avatar_url or old.kind is distinct from new.kind
        or old.slow_mode_seconds is distinct from new.slow_mode_seconds)
  execute function parley_internal.broadcast_conversation_updated();

-- Postgres Changes on parley.messages, for clients that prefer them to the broadcast events
-- (docs/realtime-events.md § Postgres Changes). Realtime delivers an INSERT or UPDATE only to
-- subscribers whose RLS select policy (messages_select_member: members) passes for the new row.
-- `supabase db diff` carries the publication's tables like any other object. Why only messages:
--   - messages rows are what members may read in full; edits and tombstones are UPDATEs (a tombstone
--     carries no body), and rows are only ever deleted by a conversation's deletion, whose DELETE
--     events carry the primary key alone (Realtime does not check RLS on deletes; an id says nothing).
--   - conversations and conversation_members change on every message (last_seq, each member's
--     last_activity_at), so publishing them would multiply WAL decoding and per-subscriber RLS checks
--     by the group size for no new information: their changes are broadcast events instead.
--   - calls and call_participants: the call events (docs/calls.md) already carry every state change.
-- Replica identity stays default: old records carry the id only.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_publication_tables
                  where pubname = 'supabase_realtime' and schemaname = 'parley' and tablename = 'messages') then
    alter publication supabase_realtime add table parley.messages;
  end if;
end;
$$;
