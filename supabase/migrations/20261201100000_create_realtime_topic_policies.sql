-- Purpose: who may use Parley's private Realtime channels, as RLS policies on realtime.messages
-- (Realtime runs them when a client joins a private channel: select = may receive, insert = may send
-- a client broadcast or track presence; docs/realtime-events.md § Topics and policies).
-- Objects: functions private.realtime_topic_receive_extensions(text), private.realtime_topic_send_extensions(text);
--   policies realtime_messages_select_parley_topics, realtime_messages_insert_parley_topics on realtime.messages.
-- Topics (lowercase canonical uuid, e.g. conversation:0b0e…):
--   conversation:<id> — members receive broadcast and presence; members send broadcast (typing) and presence.
--   user:<id>         — only that user receives (broadcast); nobody sends: it carries server events only.
--   call:<id>         — participants (private.can_join_call, the calls work's predicate) receive broadcast and
--                       presence and track presence; nobody sends broadcast, so call events cannot be forged.
-- Security definer functions created here (docs/realtime-events.md § Definer audit):
--   private.realtime_topic_receive_extensions(text) — policy helper; reads memberships without re-entering
--   private.realtime_topic_send_extensions(text)      their RLS. Both answer only for auth.uid().
-- Cost: each policy evaluates its helper once per statement (an InitPlan over (select realtime.topic())):
--   the topic is parsed once and membership is one primary-key lookup (conversation_members or
--   call_participants), so a join costs the same whatever the size of the group or of realtime.messages.
-- Limits of RLS here: Realtime checks a channel's send right once, with a probe row that has no event
--   name, so a policy cannot restrict which broadcast events a member sends, nor presence keys.

-- Which realtime extensions ('broadcast', 'presence') the caller may receive on a topic. Empty for
-- anything malformed, unknown or not theirs — never an error (an error would also refuse, but noisily).
create or replace function private.realtime_topic_receive_extensions(topic text)
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
     or topic !~ '^(conversation|user|call):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or (select auth.uid()) is null then
    return '{}';
  end if;
  v_kind := split_part(topic, ':', 1);
  v_id := split_part(topic, ':', 2)::uuid;
  if v_kind = 'conversation' then
    if private.is_member(v_id) then
      return array['broadcast', 'presence'];
    end if;
  elsif v_kind = 'user' then
    if v_id = (select auth.uid()) then
      return array['broadcast'];
    end if;
  elsif v_kind = 'call' then
    if private.can_join_call(v_id) then
      return array['broadcast', 'presence'];
    end if;
  end if;
  return '{}';
end;
$$;
comment on function private.realtime_topic_receive_extensions(text) is 'Realtime extensions auth.uid() may receive on a Parley topic (conversation:/user:/call:<id>); empty when none.';
revoke execute on function private.realtime_topic_receive_extensions(text) from public, anon;
grant execute on function private.realtime_topic_receive_extensions(text) to authenticated, service_role;

-- Which realtime extensions the caller may send on a topic: members broadcast (typing) and track
-- presence on conversation topics; participants track presence on call topics; user topics are receive-only.
create or replace function private.realtime_topic_send_extensions(topic text)
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
    if private.is_member(v_id) then
      return array['broadcast', 'presence'];
    end if;
  elsif v_kind = 'call' then
    if private.can_join_call(v_id) then
      return array['presence'];
    end if;
  end if;
  return '{}';
end;
$$;
comment on function private.realtime_topic_send_extensions(text) is 'Realtime extensions auth.uid() may send on a Parley topic: conversation broadcast+presence (members), call presence (participants).';
revoke execute on function private.realtime_topic_send_extensions(text) from public, anon;
grant execute on function private.realtime_topic_send_extensions(text) to authenticated, service_role;

-- Join / receive: the probe row Realtime inserts for each extension is visible only when the helper
-- allows that extension on the topic being joined. One InitPlan per statement, no per-row lookups.
create policy realtime_messages_select_parley_topics on realtime.messages
  for select to authenticated
  using (extension = any ((select private.realtime_topic_receive_extensions((select realtime.topic())))::text[]));
comment on policy realtime_messages_select_parley_topics on realtime.messages is
  'Parley private channels: members receive conversation:<id>, a user their own user:<id>, participants call:<id>.';

-- Send: client broadcast and presence track. Stops non-members typing into a conversation, anyone
-- sending on an inbox, and forged call events (call topics accept presence only).
create policy realtime_messages_insert_parley_topics on realtime.messages
  for insert to authenticated
  with check (extension = any ((select private.realtime_topic_send_extensions((select realtime.topic())))::text[]));
comment on policy realtime_messages_insert_parley_topics on realtime.messages is
  'Parley private channels: members send typing broadcasts and presence on conversation:<id>; participants presence on call:<id>.';
