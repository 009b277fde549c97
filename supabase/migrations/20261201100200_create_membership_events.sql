-- Purpose: realtime events for membership and conversation changes, sent by triggers in the writing
-- transaction (docs/realtime-events.md):
--   conversation:<id>  members_added, members_removed, member_role_changed, member_read,
--                      conversation_updated, conversation_deleted
--   user:<id>          conversation_added, conversation_removed (left / removed / deleted),
--                      membership_updated (your role, read cursor, mute or hide changed: all your devices),
--                      conversation_fanout_changed (the group crossed inbox_fanout_max)
-- Objects: functions private.send_user_events, private.broadcast_members_added,
--   private.broadcast_members_removed, private.broadcast_member_updated, private.broadcast_conversation_updated;
--   triggers conversation_members_broadcast_added, conversation_members_broadcast_removed,
--   conversation_members_broadcast_updated, conversations_broadcast_updated.
-- Security definer functions created here (docs/realtime-events.md § Definer audit): the four
--   private.broadcast_* trigger functions — they write realtime.messages whoever changes the rows
--   (RPCs, service_role, cascades from auth.users run by Auth's role); executable by nobody.
--   private.send_user_events is invoker and executable by nobody but its owner.
-- Cost: membership triggers are per statement (transition tables), so adding 200 members is one
--   members_added event plus one conversation_added per new member, not one event per member per member.
--   The read-cursor move that every send makes for its sender (append_message) is not a member_read:
--   message_created already says the sender has read their message. Sends are recognised by
--   last_activity_at, which only append_message writes, for every member, on every message.

-- One event per (user, payload) to each user's inbox in one insert; same row shape as realtime.send,
-- and like it a failure warns instead of failing the write.
create or replace function private.send_user_events(p_event text, p_user_ids uuid[], p_payloads jsonb[])
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_count integer;
begin
  if coalesce(cardinality(p_user_ids), 0) = 0 then
    return 0;
  end if;
  begin
    with recipients as (
      select gen_random_uuid() as id, u.user_id, u.payload
        from unnest(p_user_ids, p_payloads) as u(user_id, payload)
    )
    insert into realtime.messages (id, topic, extension, event, payload, private)
    select r.id, 'user:' || r.user_id, 'broadcast', p_event, r.payload || jsonb_build_object('id', r.id), true
      from recipients r;
    get diagnostics v_count = row_count;
  exception when others then
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
    return 0;
  end;
  return v_count;
end;
$$;
comment on function private.send_user_events(text, uuid[], jsonb[]) is 'Internal: one realtime event per user to user:<id>, in one insert.';
revoke execute on function private.send_user_events(text, uuid[], jsonb[]) from public, anon, authenticated, service_role;

-- After members are inserted (create_group, add_members, a direct conversation's first use):
-- members_added on the conversation topic, conversation_added to each new member's inbox, and, when
-- the group just grew past inbox_fanout_max, conversation_fanout_changed to the members already there.
create or replace function private.broadcast_members_added()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_max integer := (private.realtime_limits() ->> 'inbox_fanout_max')::int;
  v_group record;
  v_conversation public.conversations;
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
    select * into v_conversation from public.conversations c where c.id = v_group.conversation_id;
    select count(*)::int into v_count from public.conversation_members m where m.conversation_id = v_group.conversation_id;
    perform realtime.send(
      jsonb_build_object('conversation_id', v_group.conversation_id, 'members', v_group.members, 'member_count', v_count),
      'members_added', 'conversation:' || v_group.conversation_id, true);
    perform private.send_user_events('conversation_added', v_group.user_ids, array(
      select jsonb_build_object(
               'conversation_id', v_conversation.id, 'kind', v_conversation.kind, 'title', v_conversation.title,
               'avatar_url', v_conversation.avatar_url, 'role', r.role, 'joined_at', r.joined_at,
               'last_seq', v_conversation.last_seq, 'member_count', v_count, 'inbox_fanout', v_count <= v_max)
        from unnest(v_group.roles, v_group.joined_ats) with ordinality as r(role, joined_at, n)
       order by r.n));
    if v_count - v_group.added <= v_max and v_count > v_max then
      perform private.send_user_events('conversation_fanout_changed', u.user_ids, array_fill(
          jsonb_build_object('conversation_id', v_group.conversation_id, 'inbox_fanout', false, 'member_count', v_count),
          array[cardinality(u.user_ids)]))
        from (select array_agg(m.user_id order by m.user_id) as user_ids from public.conversation_members m
               where m.conversation_id = v_group.conversation_id and not (m.user_id = any (v_group.user_ids))) u
       where u.user_ids is not null;
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_members_added() is 'Trigger (per statement): members_added, conversation_added to new members, conversation_fanout_changed when the group outgrows the inbox fan-out.';
revoke execute on function private.broadcast_members_added() from public, anon, authenticated, service_role;

-- After members are deleted (remove_member, leave_group, delete_group's cascade, an account deleted):
-- members_removed (or conversation_deleted when the conversation is gone) on the conversation topic,
-- conversation_removed to each removed member's inbox, and conversation_fanout_changed to the members
-- left when the group shrank back to inbox_fanout_max.
create or replace function private.broadcast_members_removed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_max integer := (private.realtime_limits() ->> 'inbox_fanout_max')::int;
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
    v_exists := exists (select 1 from public.conversations c where c.id = v_group.conversation_id);
    if v_exists then
      select count(*)::int into v_count from public.conversation_members m where m.conversation_id = v_group.conversation_id;
      perform realtime.send(
        jsonb_build_object('conversation_id', v_group.conversation_id, 'user_ids', to_jsonb(v_group.user_ids), 'member_count', v_count),
        'members_removed', 'conversation:' || v_group.conversation_id, true);
    else
      perform realtime.send(jsonb_build_object('conversation_id', v_group.conversation_id),
        'conversation_deleted', 'conversation:' || v_group.conversation_id, true);
    end if;
    perform private.send_user_events('conversation_removed', v_group.user_ids, array(
      select jsonb_build_object('conversation_id', v_group.conversation_id,
               'reason', case when not v_exists then 'deleted' when u.user_id = v_actor then 'left' else 'removed' end)
        from unnest(v_group.user_ids) with ordinality as u(user_id, n)
       order by u.n));
    if v_exists and v_count <= v_max and v_count + v_group.removed > v_max then
      perform private.send_user_events('conversation_fanout_changed', u.user_ids, array_fill(
          jsonb_build_object('conversation_id', v_group.conversation_id, 'inbox_fanout', true, 'member_count', v_count),
          array[cardinality(u.user_ids)]))
        from (select array_agg(m.user_id order by m.user_id) as user_ids from public.conversation_members m
               where m.conversation_id = v_group.conversation_id) u
       where u.user_ids is not null;
    end if;
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_members_removed() is 'Trigger (per statement): members_removed or conversation_deleted, conversation_removed to removed members, conversation_fanout_changed when the group shrinks to the inbox fan-out.';
revoke execute on function private.broadcast_members_removed() from public, anon, authenticated, service_role;

-- A member row changed outside a send: role (member_role_changed), read cursor (member_read, the read
-- receipt) on the conversation topic; and membership_updated to that member's own inbox so their
-- other devices update role, unread count, mute and hide.
create or replace function private.broadcast_member_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_last_seq bigint;
  v_message_id uuid;
begin
  if new.role is distinct from old.role then
    perform realtime.send(
      jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id, 'role', new.role,
                         'previous_role', old.role),
      'member_role_changed', 'conversation:' || new.conversation_id, true);
  end if;
  if new.last_read_seq is distinct from old.last_read_seq then
    select x.id into v_message_id from public.messages x
     where x.conversation_id = new.conversation_id and x.seq = new.last_read_seq;
    perform realtime.send(
      jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id,
                         'last_read_seq', new.last_read_seq, 'message_id', v_message_id, 'read_at', now()),
      'member_read', 'conversation:' || new.conversation_id, true);
  end if;
  select c.last_seq into v_last_seq from public.conversations c where c.id = new.conversation_id;
  perform realtime.send(
    jsonb_build_object('conversation_id', new.conversation_id, 'role', new.role, 'last_read_seq', new.last_read_seq,
                       'unread_count', greatest(coalesce(v_last_seq, 0) - new.last_read_seq, 0),
                       'muted_until', new.muted_until, 'hidden_at', new.hidden_at),
    'membership_updated', 'user:' || new.user_id, true);
  return null;
end;
$$;
comment on function private.broadcast_member_updated() is 'Trigger: member_role_changed / member_read on conversation:<id> and membership_updated on the member''s user:<id>.';
revoke execute on function private.broadcast_member_updated() from public, anon, authenticated, service_role;

-- conversation_updated when what members see of a conversation changes (not last_seq: that is a message).
create or replace function private.broadcast_conversation_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object('conversation_id', new.id, 'conversation', jsonb_build_object(
      'id', new.id, 'kind', new.kind, 'title', new.title, 'description', new.description,
      'avatar_url', new.avatar_url, 'updated_at', new.updated_at)),
    'conversation_updated', 'conversation:' || new.id, true);
  return null;
end;
$$;
comment on function private.broadcast_conversation_updated() is 'Trigger: conversation_updated on conversation:<id> when title, description or avatar change.';
revoke execute on function private.broadcast_conversation_updated() from public, anon, authenticated, service_role;

-- Per statement, so a batch of new members costs one conversation event.
create trigger conversation_members_broadcast_added
  after insert on public.conversation_members
  referencing new table as added
  for each statement execute function private.broadcast_members_added();

-- Per statement, so deleting a group is one conversation_deleted, whatever its size.
create trigger conversation_members_broadcast_removed
  after delete on public.conversation_members
  referencing old table as removed
  for each statement execute function private.broadcast_members_removed();

-- Role, read cursor, mute and hide changes; not the inbox bookkeeping every send does (last_activity_at moves).
create trigger conversation_members_broadcast_updated
  after update on public.conversation_members
  for each row
  when (old.last_activity_at is not distinct from new.last_activity_at
        and (old.role is distinct from new.role or old.last_read_seq is distinct from new.last_read_seq
             or old.muted_until is distinct from new.muted_until or old.hidden_at is distinct from new.hidden_at))
  execute function private.broadcast_member_updated();

-- What members see of a group changed (update_group); last_seq/last_message_at moves are messages.
create trigger conversations_broadcast_updated
  after update on public.conversations
  for each row
  when (old.title is distinct from new.title or old.description is distinct from new.description
        or old.avatar_url is distinct from new.avatar_url or old.kind is distinct from new.kind)
  execute function private.broadcast_conversation_updated();
