-- Purpose: public.list_realtime_topics() — the private channels a client keeps open for a live inbox:
-- its own user:<id>, plus conversation:<id> for each of its groups above the inbox fan-out bound
-- (private.realtime_limits() ->> 'inbox_fanout_max'), whose messages reach inboxes only on that topic
-- (docs/realtime-events.md § Fan-out).
-- Objects: private.list_realtime_topics() (definer), public.list_realtime_topics() (invoker wrapper).
-- Security definer functions created here (docs/realtime-events.md § Definer audit):
--   private.list_realtime_topics() — counts the members of the caller's groups without the RLS
--   membership hash; answers only for auth.uid() and returns topic names the caller may join anyway.
-- Cost: one index range of the caller's memberships, and for each group at most inbox_fanout_max + 1
--   primary-key entries (direct conversations are skipped: they have two members).

create or replace function private.list_realtime_topics()
returns setof text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
  v_max integer := (private.realtime_limits() ->> 'inbox_fanout_max')::int;
begin
  return next 'user:' || v_user_id;
  return query
    select 'conversation:' || m.conversation_id
      from public.conversation_members m
      join public.conversations c on c.id = m.conversation_id and c.kind = 'group'
     where m.user_id = v_user_id
       and exists (select 1 from public.conversation_members o where o.conversation_id = m.conversation_id offset v_max)
     order by m.last_activity_at desc, m.conversation_id desc;
end;
$$;
comment on function private.list_realtime_topics() is 'Implementation of public.list_realtime_topics (definer: counts group members without the RLS hash).';
revoke execute on function private.list_realtime_topics() from public, anon;
grant execute on function private.list_realtime_topics() to authenticated, service_role;

create or replace function public.list_realtime_topics()
returns setof text
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.list_realtime_topics();
$$;
comment on function public.list_realtime_topics() is
  'The private Realtime channels to keep open for a live inbox: user:<your id> first, then conversation:<id> of each of your groups too large for per-member inbox events (most recent activity first).';
revoke execute on function public.list_realtime_topics() from public, anon;
grant execute on function public.list_realtime_topics() to authenticated, service_role;
