-- Grant surface and RLS: RLS on for every table in parley, the exact table and RPC privileges of each API role.
begin;
select plan(17);

select is(array(select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'parley' and c.relkind in ('r', 'p') and not c.relrowsecurity), '{}'::text[],
  'GRANT-01 every table in parley has row level security enabled');
select is(array(select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'parley' and c.relkind in ('r', 'p')
                   and not exists (select 1 from pg_policy p where p.polrelid = c.oid)), '{}'::text[],
  'GRANT-02 every table in parley has at least one policy');
select is(array(select tablename || '.' || cmd from pg_policies
                 where schemaname = 'parley' and tablename in ('profiles', 'conversations', 'conversation_members', 'messages')
                 group by tablename, cmd, roles having count(*) > 1), '{}'::text[],
  'GRANT-03 one permissive policy per table, role and command');
select is(array(select policyname::text from pg_policies
                 where schemaname = 'parley' and tablename in ('profiles', 'conversations', 'conversation_members', 'messages')
                   and roles <> '{authenticated}'), '{}'::text[],
  'GRANT-04 every messaging policy is to authenticated');
select is(array(select policyname::text from pg_policies
                 where schemaname = 'parley' and tablename in ('profiles', 'conversations', 'conversation_members', 'messages')
                   and (coalesce(qual, '') || coalesce(with_check, '')) ~ 'auth\.uid\(\)'
                   and (coalesce(qual, '') || coalesce(with_check, '')) !~ 'SELECT auth\.uid\(\)'), '{}'::text[],
  'GRANT-05 policies call auth.uid() through a sub-select (evaluated once per query)');

-- tables: anon nothing, authenticated read (+ a few columns), service_role everything
select is(array(select t || ':' || p from unnest(array['profiles', 'conversations', 'conversation_members', 'messages']) t,
                  unnest(array['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger']) p
                 where has_table_privilege('anon', 'parley.' || t, p)), '{}'::text[],
  'GRANT-06 anon holds no privilege on any messaging table');
select is(array(select t || ':' || p from unnest(array['profiles', 'conversations', 'conversation_members', 'messages']) t,
                  unnest(array['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger']) p
                 where has_table_privilege('authenticated', 'parley.' || t, p) order by 1), array['conversations:select', 'messages:select', 'profiles:select'],
  'GRANT-07 authenticated holds only select on the messaging tables (table level; conversation_members by column)');
select is(array(select column_name::text from information_schema.column_privileges
                 where table_schema = 'parley' and table_name = 'conversation_members' and grantee = 'authenticated' and privilege_type = 'SELECT' order by 1),
  array['conversation_id', 'joined_at', 'last_activity_at', 'read_only_until', 'role', 'user_id'],
  'GRANT-07b co-members read who is in a conversation, not each other''s cursors, mute, hide or mentions');
select is(array(select column_name::text from information_schema.column_privileges
                 where table_schema = 'parley' and table_name = 'profiles' and grantee = 'authenticated' and privilege_type = 'UPDATE' order by 1),
  array['avatar_url', 'display_name', 'last_seen_at', 'username'], 'GRANT-08 authenticated updates only these profile columns');
select is(array(select column_name::text from information_schema.column_privileges
                 where table_schema = 'parley' and table_name = 'conversation_members' and grantee = 'authenticated' and privilege_type = 'UPDATE' order by 1),
  array['hidden_at', 'muted_until'], 'GRANT-09 authenticated updates only its own inbox settings columns');
select is(array(select column_name::text from information_schema.column_privileges
                 where table_schema = 'parley' and table_name in ('conversations', 'messages') and grantee = 'authenticated' and privilege_type in ('UPDATE', 'INSERT')),
  '{}'::text[], 'GRANT-10 authenticated writes no column of conversations or messages');
select ok((select bool_and(has_table_privilege('service_role', 'parley.' || t, 'select,insert,update,delete'))
             from unnest(array['profiles', 'conversations', 'conversation_members', 'messages']) t),
  'GRANT-11 service_role reads and writes every messaging table');

-- RPCs
create temp table rpcs (signature text primary key);
insert into rpcs values
  ('parley.send_message(uuid,text,text,jsonb,jsonb,uuid,uuid)'), ('parley.send_direct_message(uuid,text,text,jsonb,jsonb,uuid,uuid)'),
  ('parley.get_or_create_direct_conversation(uuid)'), ('parley.list_messages(uuid,bigint,bigint,integer)'),
  ('parley.list_direct_messages(uuid,bigint,bigint,integer)'), ('parley.edit_message(uuid,text,jsonb)'),
  ('parley.delete_message(uuid)'), ('parley.mark_read(uuid,bigint)'),
  ('parley.list_conversations(integer,timestamp with time zone,uuid,boolean)'), ('parley.create_group(text,text,uuid[],text)'),
  ('parley.get_group(uuid)'), ('parley.update_group(uuid,text,text,text)'), ('parley.delete_group(uuid)'),
  ('parley.add_members(uuid,uuid[])'), ('parley.remove_member(uuid,uuid)'), ('parley.set_member_role(uuid,uuid,text)'),
  ('parley.leave_group(uuid)'), ('parley.list_members(uuid)'), ('parley.get_messaging_limits()');
select is(array(select signature from rpcs where has_function_privilege('anon', signature::regprocedure, 'execute')), '{}'::text[],
  'GRANT-12 anon may call no messaging RPC');
select is(array(select signature from rpcs where not has_function_privilege('authenticated', signature::regprocedure, 'execute')), '{}'::text[],
  'GRANT-13 authenticated may call every messaging RPC');
select is(array(select signature from rpcs r join pg_proc p on p.oid = r.signature::regprocedure where p.prosecdef), '{}'::text[],
  'GRANT-14 every messaging RPC is security invoker');
select is(array(select signature from rpcs r join pg_proc p on p.oid = r.signature::regprocedure
                 where not coalesce(p.proconfig @> array['search_path=""'], false)), '{}'::text[],
  'GRANT-15 every messaging RPC has search_path fixed to empty');
select is(array(select signature from rpcs r join pg_proc p on p.oid = r.signature::regprocedure
                 where obj_description(p.oid, 'pg_proc') is null), '{}'::text[],
  'GRANT-16 every messaging RPC carries a comment (the API description)');

select * from finish();
rollback;
