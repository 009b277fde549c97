-- Definer audit: exactly the documented messaging security definer functions exist, all in parley_internal,
-- all with a fixed search_path, and the API roles reach only what they must.
begin;
select plan(12);

create temp table expected_definers (signature text primary key, authenticated_may_execute boolean not null);
insert into expected_definers values
  ('parley_internal.my_conversation_ids()', true),
  ('parley_internal.my_contact_ids()', true),
  ('parley_internal.is_member(uuid)', true),
  ('parley_internal.has_role(uuid,text[])', true),
  ('parley_internal.handle_new_user()', false),
  ('parley_internal.keep_group_owner()', false),
  ('parley_internal.send_message(uuid,text,text,jsonb,jsonb,uuid,uuid,uuid,boolean)', true),
  ('parley_internal.get_or_create_direct_conversation(uuid)', true),
  ('parley_internal.send_direct_message(uuid,text,text,jsonb,jsonb,uuid,uuid)', true),
  ('parley_internal.edit_message(uuid,text,jsonb)', true),
  ('parley_internal.delete_message(uuid)', true),
  ('parley_internal.mark_read(uuid,bigint)', true),
  ('parley_internal.list_conversations(integer,timestamp with time zone,uuid,boolean)', true),
  ('parley_internal.list_messages(uuid,bigint,bigint,integer)', true),
  ('parley_internal.create_group(text,text,uuid[],text)', true),
  ('parley_internal.update_group(uuid,text,text,text)', true),
  ('parley_internal.delete_group(uuid)', true),
  ('parley_internal.add_members(uuid,uuid[])', true),
  ('parley_internal.remove_member(uuid,uuid)', true),
  ('parley_internal.set_member_role(uuid,uuid,text)', true),
  ('parley_internal.leave_group(uuid)', true),
  ('parley_internal.set_slow_mode(uuid,integer)', true),
  ('parley_internal.take_upload_token()', false),
  ('parley_internal.react(uuid,text,boolean)', true),
  ('parley_internal.pin(uuid,boolean)', true),
  ('parley_internal.hide_message(uuid,boolean)', true),
  ('parley_internal.record_mentions()', false),
  ('parley_internal.forward_message(uuid,uuid,uuid)', true),
  ('parley_internal.is_referenced_by_my_conversations(text)', true),
  ('parley_internal.send_thread_reply(uuid,text,text,jsonb,jsonb,uuid,boolean)', true),
  ('parley_internal.my_moderated_conversation_ids()', true),
  ('parley_internal.block_user(uuid)', true),
  ('parley_internal.unblock_user(uuid)', true),
  ('parley_internal.list_invitations()', true),
  ('parley_internal.accept_invitation(uuid)', true),
  ('parley_internal.decline_invitation(uuid)', true),
  ('parley_internal.revoke_invitation(uuid)', true),
  ('parley_internal.mute_member(uuid,uuid,timestamp with time zone)', true),
  ('parley_internal.ban_member(uuid,uuid)', true),
  ('parley_internal.unban_member(uuid,uuid)', true),
  ('parley_internal.report_message(uuid,text,text)', true),
  ('parley_internal.report_user(uuid,text,text)', true),
  ('parley_internal.resolve_report(uuid,text)', true),
  ('parley_internal.search_messages(text,uuid,uuid,text,boolean,timestamp with time zone,timestamp with time zone,uuid,integer)', true),
  ('parley_internal.create_invite_link(uuid,integer,integer,boolean)', true),
  ('parley_internal.revoke_invite_link(uuid)', true),
  ('parley_internal.join_by_invite(text)', true),
  ('parley_internal.answer_join_request(uuid,uuid,boolean)', true),
  ('parley_internal.mark_delivered(uuid,bigint)', true),
  ('parley_internal.list_receipts(uuid)', true),
  ('parley_internal.message_receipts(uuid)', true),
  ('parley_internal.register_push_device(text,text,text,text,jsonb)', true),
  ('parley_internal.set_push_preferences(boolean)', true),
  ('parley_internal.mark_active(boolean)', true),
  ('parley_internal.enqueue_message_push()', false),
  ('parley_internal.enqueue_call_push()', false),
  ('parley_internal.sweep_push_jobs()', false),
  ('parley_internal.claim_push_jobs(integer,integer)', false),
  ('parley_internal.finish_push_job(uuid,uuid,jsonb)', false);
-- Messaging internals that must stay unreachable for the API roles (they skip permission checks).
create temp table internal_functions (signature text primary key);
insert into internal_functions values
  ('parley_internal.append_message(uuid,uuid,text,text,jsonb,jsonb,uuid,uuid,uuid,boolean)'),
  ('parley_internal.check_message_content(uuid,text,text,jsonb)'),
  ('parley_internal.check_metadata(jsonb)'),
  ('parley_internal.lock_group(uuid,uuid)'),
  ('parley_internal.check_group_fields(text,text,text)'),
  ('parley_internal.post_system_message(uuid,uuid,text,jsonb)'),
  ('parley_internal.check_profile()'),
  ('parley_internal.handle_new_user()'),
  ('parley_internal.keep_group_owner()'),
  ('parley_internal.ensure_profile(uuid)'),
  ('parley_internal.require_own_profile(uuid)'),
  ('parley_internal.refuse_anonymous(text)'),
  ('parley_internal.check_emoji(text)'),
  ('parley_internal.member_message(uuid,uuid,boolean)'),
  ('parley_internal.admit_member(uuid,uuid,uuid)'),
  ('parley_internal.invite_code_hash(text)'),
  ('parley_internal.forget_mentions(uuid)'),
  ('parley_internal.is_forwardable_attachment(text)'),
  ('parley_internal.take_token(uuid,text,integer)'),
  ('parley_internal.take_upload_token()'),
  ('parley_internal.group_invitations_on()'),
  ('parley_internal.is_blocked(uuid,uuid)'),
  ('parley_internal.check_contact(uuid,uuid)'),
  ('parley_internal.sort_adds(uuid,uuid,uuid[])'),
  ('parley_internal.invite_users(uuid,uuid,uuid[])'),
  ('parley_internal.lock_invitation(uuid,uuid)'),
  ('parley_internal.check_moderation_target(uuid,text,uuid,uuid)'),
  ('parley_internal.check_report_fields(text,text)'),
  ('parley_internal.hides_read_receipts(uuid)'),
  ('parley_internal.check_push_device(text,text,text,text,jsonb)'),
  ('parley_internal.push_active_since()'),
  ('parley_internal.push_reachable(uuid,uuid,uuid,boolean)'),
  ('parley_internal.push_dispatch_config()'),
  ('parley_internal.wake_push_dispatcher(text)'),
  ('parley_internal.push_preview(text,text)'),
  ('parley_internal.push_payload(parley_internal.push_jobs)'),
  ('parley_internal.fold_push_outbox(integer,integer)'),
  ('parley_internal.enqueue_message_push()'),
  ('parley_internal.enqueue_call_push()');
-- Every function messaging keeps in parley_internal.
create temp view messaging_private as
  select signature from expected_definers union select signature from internal_functions
  union values ('parley_internal.require_user()'), ('parley_internal.limits()'), ('parley_internal.check_page(integer)');
-- Definer functions by schema-qualified name and argument types.
create temp view definer_sigs as
  select n.nspname || '.' || p.proname || '(' || coalesce((select string_agg(format_type(t, null), ',' order by i)
           from unnest(p.proargtypes::oid[]) with ordinality a(t, i)), '') || ')' as signature, p.oid, p.proconfig, n.nspname
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef and n.nspname in ('parley', 'parley_internal');

select is((select count(*) from definer_sigs where nspname = 'parley'), 0::bigint,
  'DEF-01 no security definer function lives in parley (the exposed schema)');
select is(array(select signature from expected_definers except select signature from definer_sigs), '{}'::text[],
  'DEF-02 every documented messaging definer function exists and is security definer');
select is(array(select d.signature from definer_sigs d
                 where d.signature not in (select signature from expected_definers)
                   and (select prorettype from pg_proc where oid = d.oid)
                       in ('parley.messages'::regtype, 'parley.conversations'::regtype, 'parley.conversation_members'::regtype, 'parley.profiles'::regtype)),
  '{}'::text[], 'DEF-03 no undocumented definer function returns messaging rows');
select is(array(select signature from definer_sigs where not coalesce(proconfig @> array['search_path=""'], false)), '{}'::text[],
  'DEF-04 every definer function has search_path fixed to empty');
select is(array(select e.signature from expected_definers e
                 where has_function_privilege('anon', e.signature::regprocedure, 'execute')), '{}'::text[],
  'DEF-05 anon may execute none of the definer functions');
select is(array(select m.signature from messaging_private m
                 where has_function_privilege('anon', m.signature::regprocedure, 'execute')), '{}'::text[],
  'DEF-06 anon may execute no messaging function in parley_internal');
select is(array(select m.signature from messaging_private m, pg_proc p
                 where p.oid = m.signature::regprocedure
                   and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')),
  '{}'::text[], 'DEF-07 PUBLIC may execute no messaging function in parley_internal');
select is(array(select e.signature from expected_definers e
                 where has_function_privilege('authenticated', e.signature::regprocedure, 'execute') <> e.authenticated_may_execute), '{}'::text[],
  'DEF-08 authenticated executes exactly the definer functions that check auth.uid() themselves');
select is(array(select i.signature from internal_functions i
                 where has_function_privilege('authenticated', i.signature::regprocedure, 'execute')), '{}'::text[],
  'DEF-09 authenticated cannot execute the messaging internals (no permission checks inside)');
select is(array(select i.signature from internal_functions i
                 where has_function_privilege('service_role', i.signature::regprocedure, 'execute')), '{}'::text[],
  'DEF-10 nor can service_role');
select is((select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'parley_internal' and p.prosecdef and p.proargnames[1:p.pronargs] && array['actor_id', 'sender_id', 'as_user_id', 'caller_id']
              and p.oid in (select signature::regprocedure from expected_definers where authenticated_may_execute)), 0::bigint,
  'DEF-11 no callable definer function takes a user id to act as');
-- the parley_internal schema is not reachable by anon at all
select is(has_schema_privilege('anon', 'parley_internal', 'usage'), false, 'DEF-12 anon has no usage on schema parley_internal');

select * from finish();
rollback;
