-- Who may use Parley's private Realtime channels, as RLS policies on realtime.messages
-- (Realtime runs them when a client joins a private channel: select = may receive, insert = may send
-- a client broadcast or track presence; docs/realtime-events.md § Topics and policies).
-- Topics (lowercase canonical uuid, e.g. conversation:0b0e…). Database events travel only on topics no
-- client may send on; who hears them is decided when they are written (realtime_events.sql):
--   user:<id>                 — only that user receives (broadcast); nobody sends. Every database event of
--                               their conversations up to the fan-out bound, their inbox, their calls.
--   conversation:<id>:events  — members receive (broadcast) rows written since they joined; nobody sends.
--                               Content-free notices for conversations above the fan-out bound.
--   conversation:<id>         — signals only, never data: members send and receive typing (broadcast) and
--                               presence. Hints: Realtime cannot bind a presence key or a broadcast to the JWT.
--   call:<id>                 — participants (parley_internal.can_join_call, calls.sql) receive broadcast and
--                               presence and track presence; nobody sends broadcast, so call events cannot be forged.
-- Security definer functions here (docs/realtime-events.md § Definer audit):
--   parley_internal.realtime_topic_receive_extensions(text) — policy helper; reads memberships without re-entering
--   parley_internal.realtime_topic_send_extensions(text)      their RLS. Both answer only for auth.uid().
--   parley_internal.realtime_topic_visible_since(text)      — the caller's joined_at for a conversation topic.
-- Cost: each policy evaluates its helper once per statement (an InitPlan over (select realtime.topic())):
--   the topic is parsed once and membership is one primary-key lookup (conversation_members or
--   call_participants), so a join costs the same whatever the size of the group or of realtime.messages.
-- Limits of RLS here: Realtime checks a channel's send right once, with a probe row that has no event
--   name, so a policy cannot restrict which broadcast events a member sends, nor presence keys.
--
-- parley.list_realtime_topics() — the private channels a client keeps open for a live inbox:
-- its own user:<id>, plus conversation:<id>:events for each of its groups above the inbox fan-out bound
-- (parley_internal.realtime_limits() ->> 'inbox_fanout_max'), whose events reach members only on that topic
-- (docs/realtime-events.md § Fan-out).
-- Security definer functions here (docs/realtime-events.md § Definer audit):
--   parley_internal.list_realtime_topics() — counts the members of the caller's groups without the RLS
--   membership hash; answers only for auth.uid() and returns topic names the caller may join anyway.
-- Cost: one index range of the caller's memberships, and for each group at most inbox_fanout_max + 1
--   primary-key entries (direct conversations are skipped: they have two members).

-- Which realtime extensions ('broadcast', 'presence') the caller may receive on a topic. Empty for
-- anything malformed, unknown or not theirs — never an error (an error would also refuse, but noisily).
create or replace function parley_internal.realtime_topic_receive_extensions(topic text)
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_kind text;
  v_id uuid;
begin
  if topic is null
     or topic !~ '^((conversation|user|call):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|conversation:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:events)$'
     or (select auth.uid()) is null then
    return '{}';
  end if;
  v_kind := split_part(topic, ':', 1);
  v_id := split_part(topic, ':', 2)::uuid;
  if v_kind = 'conversation' and split_part(topic, ':', 3) = 'events' then
    if parley_internal.is_member(v_id) then
      return array['broadcast'];
    end if;
  elsif v_kind = 'conversation' then
    if parley_internal.is_member(v_id) then
      return array['broadcast', 'presence'];
    end if;
  elsif v_kind = 'user' then
    if v_id = (select auth.uid()) then
      return array['broadcast'];
    end if;
  elsif v_kind = 'call' then
    if parley_internal.can_join_call(v_id) then
      return array['broadcast', 'presence'];
    end if;
  end if;
  return '{}';
end;
$$;
comment on function parley_internal.realtime_topic_receive_extensions(text) is 'Realtime extensions auth.uid() may receive on a Parley topic (conversation:<id>, conversation:<id>:events, user:<id>, call:<id>); empty when none.';
revoke execute on function parley_internal.realtime_topic_receive_extensions(text) from public, anon;
grant execute on function parley_internal.realtime_topic_receive_extensions(text) to authenticated, service_role;

-- Which realtime extensions the caller may send on a topic: members broadcast (typing) and track
-- presence on conversation:<id>, the signals topic; participants track presence on call topics. The
-- topics that carry database events (user:<id>, conversation:<id>:events) are receive-only for every
-- role, and call:<id> takes no client broadcast: nobody can forge a database event.
create or replace function parley_internal.realtime_topic_send_extensions(topic text)
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_kind text;
  v_id uuid;
begin
  if topic is null
     or topic !~ '^(conversation|call):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or (select auth.uid()) is null then
    return '{}';
  end if;
  v_kind := split_part(topic, ':', 1);
  v_id := split_part(topic, ':', 2)::uuid;
  if v_kind = 'conversation' then
    if parley_internal.is_member(v_id) then
      return array['broadcast', 'presence'];
    end if;
  elsif v_kind = 'call' then
    if parley_internal.can_join_call(v_id) then
      return array['presence'];
    end if;
  end if;
  return '{}';
end;
$$;
comment on function parley_internal.realtime_topic_send_extensions(text) is 'Realtime extensions auth.uid() may send on a Parley topic: conversation broadcast+presence (members), call presence (participants).';
revoke execute on function parley_internal.realtime_topic_send_extensions(text) from public, anon;
grant execute on function parley_internal.realtime_topic_send_extensions(text) to authenticated, service_role;

-- Since when the caller may see stored rows of a conversation topic: the moment they joined the
-- conversation, in realtime.messages' own terms (UTC without time zone, which Parley's event rows are
-- written in). -infinity for the topics whose rows are addressed to one user (user:<id>) or a call's
-- participants, where every row the topic holds was meant for the caller; null (nothing) when not a member.
create or replace function parley_internal.realtime_topic_visible_since(topic text)
returns timestamp
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_joined_at timestamptz;
begin
  if topic is null or topic !~ '^conversation:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:events)?$' then
    return '-infinity';
  end if;
  select m.joined_at into v_joined_at from parley.conversation_members m
   where m.conversation_id = split_part(topic, ':', 2)::uuid and m.user_id = (select auth.uid());
  return v_joined_at at time zone 'utc';
end;
$$;
comment on function parley_internal.realtime_topic_visible_since(text) is 'From when auth.uid() may see stored rows of a Parley topic: their joined_at for conversation topics, -infinity otherwise.';
revoke execute on function parley_internal.realtime_topic_visible_since(text) from public, anon;
grant execute on function parley_internal.realtime_topic_visible_since(text) to authenticated, service_role;

-- Join / receive: the probe row Realtime inserts for each extension (no event, no payload, dated by
-- Realtime's own clock) is visible only when it belongs to the topic being joined and the helper
-- allows that extension there; a stored event row only when it was written after the caller joined
-- the conversation, so a member reading realtime.messages under RLS sees nothing from before. (Replay
-- is not such a read: Realtime replays a topic's stored rows with its own connection once the join
-- check passed, which is why the topics store only what any joiner may see; realtime_events.sql.)
-- The helpers run once per statement (InitPlans over realtime.topic()).
create policy realtime_messages_select_parley_topics on realtime.messages
  for select to authenticated
  using (topic = (select realtime.topic())
         and extension = any ((select parley_internal.realtime_topic_receive_extensions((select realtime.topic())))::text[])
         and ((event is null and payload is null)
              or inserted_at >= (select parley_internal.realtime_topic_visible_since((select realtime.topic())))));
comment on policy realtime_messages_select_parley_topics on realtime.messages is
  'Parley private channels: a user receives their own user:<id>, members conversation:<id> and conversation:<id>:events (stored rows only from their joining on), participants call:<id>.';

-- Send: client broadcast and presence track, on the topic being authorised only. Stops non-members
-- typing into a conversation, anyone sending on an inbox, and forged call events (presence only).
create policy realtime_messages_insert_parley_topics on realtime.messages
  for insert to authenticated
  with check (topic = (select realtime.topic())
              and extension = any ((select parley_internal.realtime_topic_send_extensions((select realtime.topic())))::text[]));
comment on policy realtime_messages_insert_parley_topics on realtime.messages is
  'Parley private channels: members send typing broadcasts and presence on conversation:<id>; participants presence on call:<id>.';

create or replace function parley_internal.list_realtime_topics()
returns setof text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_max integer := (parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int;
begin
  return next 'user:' || v_user_id;
  return query
    select 'conversation:' || m.conversation_id || ':events'
      from parley.conversation_members m
      join parley.conversations c on c.id = m.conversation_id and c.kind = 'group'
     where m.user_id = v_user_id
       and exists (select 1 from parley.conversation_members o where o.conversation_id = m.conversation_id offset v_max)
     order by m.last_activity_at desc, m.conversation_id desc;
end;
$$;
comment on function parley_internal.list_realtime_topics() is 'Implementation of parley.list_realtime_topics (definer: counts group members without the RLS hash).';
revoke execute on function parley_internal.list_realtime_topics() from public, anon;
grant execute on function parley_internal.list_realtime_topics() to authenticated, service_role;

create or replace function parley.list_realtime_topics()
returns setof text
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query select * from parley_internal.list_realtime_topics();
end;
$$;
comment on function parley.list_realtime_topics() is
  'The private Realtime channels to keep open for a live inbox: user:<your id> first, then conversation:<id>:events of each of your groups too large for per-member events (most recent activity first).';
revoke execute on function parley.list_realtime_topics() from public, anon;
grant execute on function parley.list_realtime_topics() to authenticated, service_role;
