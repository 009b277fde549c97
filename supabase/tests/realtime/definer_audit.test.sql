-- Definer audit and grant surface of the realtime work, and the Postgres Changes publication choice
-- (docs/realtime-events.md § Definer audit, § Postgres Changes). IDs: RT-DEF-xx.
begin;
select plan(12);

-- Every function the realtime migrations keep in parley_internal, and whether it is security definer.
create temp table realtime_functions (signature text primary key, definer boolean not null, authenticated_may_execute boolean not null);
insert into realtime_functions values
  ('parley_internal.realtime_topic_receive_extensions(text)', true, true),
  ('parley_internal.realtime_topic_send_extensions(text)', true, true),
  ('parley_internal.realtime_topic_visible_since(text)', true, true),
  ('parley_internal.broadcast_message_created()', true, false),
  ('parley_internal.broadcast_message_changed()', true, false),
  ('parley_internal.broadcast_members_added()', true, false),
  ('parley_internal.broadcast_members_removed()', true, false),
  ('parley_internal.broadcast_member_updated()', true, false),
  ('parley_internal.broadcast_conversation_updated()', true, false),
  ('parley_internal.realtime_limits()', false, true),
  ('parley_internal.message_json(parley.messages)', false, false),
  ('parley_internal.last_message_json(parley.messages)', false, false),
  ('parley_internal.inbox_json(parley.messages)', false, false),
  ('parley_internal.send_conversation_event(uuid,text,jsonb,jsonb,uuid,uuid[])', false, false),
  ('parley_internal.send_user_events(text,uuid[],jsonb[])', false, false);

select is(array(select r.signature from realtime_functions r, pg_proc p
                 where p.oid = r.signature::regprocedure and p.prosecdef <> r.definer), '{}'::text[],
  'RT-DEF-01 exactly the audited realtime functions are security definer');
select is(array(select r.signature from realtime_functions r, pg_proc p
                 where p.oid = r.signature::regprocedure and not coalesce(p.proconfig @> array['search_path=""'], false)), '{}'::text[],
  'RT-DEF-02 every realtime function pins search_path to empty');
select is(array(select r.signature from realtime_functions r where has_function_privilege('anon', r.signature, 'execute')), '{}'::text[],
  'RT-DEF-03 anon may execute none of them');
select is(array(select r.signature from realtime_functions r, pg_proc p
                 where p.oid = r.signature::regprocedure
                   and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                                where a.grantee = 0 and a.privilege_type = 'EXECUTE')), '{}'::text[],
  'RT-DEF-04 nor PUBLIC');
select is(array(select r.signature from realtime_functions r
                 where has_function_privilege('authenticated', r.signature, 'execute') <> r.authenticated_may_execute), '{}'::text[],
  'RT-DEF-05 authenticated executes only the policy helpers (answering for auth.uid()) and the limits');
select is(array(select r.signature from realtime_functions r
                 where not r.authenticated_may_execute and r.signature <> 'parley_internal.realtime_limits()'
                   and has_function_privilege('service_role', r.signature, 'execute')), '{}'::text[],
  'RT-DEF-06 service_role cannot run the trigger functions or the fan-out internals');
select is((select array_agg(t.tgname::text order by t.tgname) from pg_trigger t
            where not t.tgisinternal and t.tgfoid in (select signature::regprocedure from realtime_functions)),
  array['conversation_members_broadcast_added', 'conversation_members_broadcast_removed', 'conversation_members_broadcast_updated',
        'conversations_broadcast_updated', 'messages_broadcast_changed', 'messages_broadcast_created'],
  'RT-DEF-07 the six broadcast triggers exist');

-- Postgres Changes: messages only.
select is((select array_agg(schemaname || '.' || tablename order by tablename) from pg_publication_tables
            where pubname = 'supabase_realtime' and schemaname = 'parley'
              and tablename in ('profiles', 'conversations', 'conversation_members', 'messages', 'calls', 'call_participants')),
  array['parley.messages'], 'RT-DEF-08 supabase_realtime publishes parley.messages and no other Parley table');
select ok((select relrowsecurity from pg_class where oid = 'parley.messages'::regclass),
  'RT-DEF-09 messages has RLS on, so Realtime checks each subscriber''s select policy');
select is((select relreplident::text from pg_class where oid = 'parley.messages'::regclass), 'd',
  'RT-DEF-10 default replica identity: old records carry the id only');
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'parley_internal'::regnamespace
                   and p.proname in ('send_conversation_activity', 'send_conversation_event', 'inbox_json', 'realtime_topic_visible_since')
                 order by 1),
  array['parley_internal.inbox_json(parley.messages)',
        'parley_internal.realtime_topic_visible_since(text)',
        'parley_internal.send_conversation_event(uuid,text,jsonb,jsonb,uuid,uuid[])'],
  'RT-DEF-11 v2: send_conversation_activity is gone; send_conversation_event, inbox_json and realtime_topic_visible_since exist once each');

select is(array(select r.signature from realtime_functions r
                 where r.signature like 'parley_internal.realtime_topic_%' and not has_function_privilege('service_role', r.signature, 'execute')),
  '{}'::text[], 'RT-DEF-12 the three policy helpers (receive, send, visible_since) are granted to service_role as well as authenticated');

select * from finish();
rollback;
