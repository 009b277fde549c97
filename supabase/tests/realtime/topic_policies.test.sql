-- Who may receive and who may send on Parley's private Realtime topics, checked the way Realtime checks
-- (docs/realtime-events.md § Topics and policies; spec realtime.md § 8): a join inserts a probe row per
-- extension as the realtime admin, sets role, claims and realtime.topic, and selects it back as the
-- client's role (visible = may receive); a first send inserts a probe as the client's role (42501 = may not).
-- IDs: RT-POL-xx.
begin;
select plan(38);

-- act_as(actor): 'anon', 'service_role' or a user id.
create function pg_temp.act_as(p_actor text) returns void language plpgsql as $f$
begin
  case p_actor
    when 'anon' then perform tests.authenticate_as_anon();
    when 'service_role' then perform tests.authenticate_as_service_role();
    else perform tests.authenticate_as(p_actor::uuid);
  end case;
end $f$;
-- can_receive(actor, topic, extension): Realtime's read check (join).
create function pg_temp.can_receive(p_actor text, p_topic text, p_extension text) returns boolean language plpgsql as $f$
declare v_id uuid := gen_random_uuid(); v boolean;
begin
  insert into realtime.messages (id, topic, extension) values (v_id, p_topic, p_extension);
  perform pg_temp.act_as(p_actor);
  perform set_config('realtime.topic', coalesce(p_topic, ''), true);
  select exists (select 1 from realtime.messages m where m.id = v_id) into v;
  perform tests.clear_authentication();
  perform set_config('realtime.topic', '', true);
  delete from realtime.messages m where m.id = v_id;
  return v;
end $f$;
-- can_send(actor, topic, extension): Realtime's write check (first broadcast or track); the probe never stays.
create function pg_temp.can_send(p_actor text, p_topic text, p_extension text) returns text language plpgsql as $f$
declare v text;
begin
  perform pg_temp.act_as(p_actor);
  perform set_config('realtime.topic', coalesce(p_topic, ''), true);
  begin
    insert into realtime.messages (topic, extension, inserted_at, updated_at) values (p_topic, p_extension, now(), now());
    raise exception 'probe allowed' using errcode = 'XPROB';
  exception
    when sqlstate 'XPROB' then v := 'allowed';
    when others then v := sqlstate;
  end;
  perform tests.clear_authentication();
  perform set_config('realtime.topic', '', true);
  return v;
end $f$;

-- Cast (prefix e1): owner 01, member 02, stranger 03, former member 04, late member 05 (joined after the call started).
select tests.create_user('e1000000-0000-0000-0000-000000000001', 'e1_owner');
select tests.create_user('e1000000-0000-0000-0000-000000000002', 'e1_member');
select tests.create_user('e1000000-0000-0000-0000-000000000003', 'e1_stranger');
select tests.create_user('e1000000-0000-0000-0000-000000000004', 'e1_former');
select tests.create_user('e1000000-0000-0000-0000-000000000005', 'e1_late');
insert into parley.conversations (id, kind, title, created_by) values
  ('e1c00000-0000-0000-0000-000000000001', 'group', 'E1 group', 'e1000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('e1c00000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000001', 'owner'),
  ('e1c00000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000002', 'member'),
  ('e1c00000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000004', 'member');
insert into parley.calls (id, conversation_id, kind, media, status, initiated_by, room_name, max_participants) values
  ('e1ca0000-0000-0000-0000-000000000001', 'e1c00000-0000-0000-0000-000000000001', 'group', 'audio', 'ringing',
   'e1000000-0000-0000-0000-000000000001', 'parley-call-e1', 50);
insert into parley.call_participants (call_id, user_id, state) values
  ('e1ca0000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000001', 'joined'),
  ('e1ca0000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000002', 'ringing');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('e1c00000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000005', 'member');
delete from parley.conversation_members
 where conversation_id = 'e1c00000-0000-0000-0000-000000000001' and user_id = 'e1000000-0000-0000-0000-000000000004';

-- conversation:<id>
select ok(pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-01 a member may join conversation:<id> and receive its broadcasts');
select ok(pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001', 'presence'),
  'RT-POL-02 a member receives the conversation''s presence');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000003', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-03 a non-member may not join conversation:<id>');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000003', 'conversation:e1c00000-0000-0000-0000-000000000001', 'presence'),
  'RT-POL-04 a non-member does not receive its presence');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000004', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-05 a removed member may no longer join');
select ok(not pg_temp.can_receive('anon', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-06 anon may not join conversation:<id>');
select ok(pg_temp.can_receive('service_role', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-07 service_role may join conversation:<id> (bypasses RLS)');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'), 'allowed',
  'RT-POL-08 a member may send client broadcasts (typing)');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001', 'presence'), 'allowed',
  'RT-POL-09 a member may track presence');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000003', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'), '42501',
  'RT-POL-10 a non-member''s typing broadcast is refused (42501)');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000003', 'conversation:e1c00000-0000-0000-0000-000000000001', 'presence'), '42501',
  'RT-POL-11 a non-member may not track presence');
select is(pg_temp.can_send('anon', 'conversation:e1c00000-0000-0000-0000-000000000001', 'broadcast'), '42501',
  'RT-POL-12 anon may not send');

-- user:<id>
select ok(pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'user:e1000000-0000-0000-0000-000000000002', 'broadcast'),
  'RT-POL-13 a user may join their own user:<id> inbox');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'user:e1000000-0000-0000-0000-000000000002', 'presence'),
  'RT-POL-14 the inbox carries no presence');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000001', 'user:e1000000-0000-0000-0000-000000000002', 'broadcast'),
  'RT-POL-15 another user (even a co-member) may not join someone''s inbox');
select ok(not pg_temp.can_receive('anon', 'user:e1000000-0000-0000-0000-000000000002', 'broadcast'),
  'RT-POL-16 anon may not join an inbox');
select ok(pg_temp.can_receive('service_role', 'user:e1000000-0000-0000-0000-000000000002', 'broadcast'),
  'RT-POL-17 service_role may join an inbox');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000002', 'user:e1000000-0000-0000-0000-000000000002', 'broadcast'), '42501',
  'RT-POL-18 not even its user may broadcast on an inbox (server events only)');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000002', 'user:e1000000-0000-0000-0000-000000000002', 'presence'), '42501',
  'RT-POL-19 nor track presence on it');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000001', 'user:e1000000-0000-0000-0000-000000000002', 'broadcast'), '42501',
  'RT-POL-20 another user may not send to someone''s inbox');

-- call:<id>
select ok(pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'call:e1ca0000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-21 a participant (still ringing) may join call:<id>');
select ok(pg_temp.can_receive('e1000000-0000-0000-0000-000000000001', 'call:e1ca0000-0000-0000-0000-000000000001', 'presence'),
  'RT-POL-22 a participant receives the call''s presence');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000001', 'call:e1ca0000-0000-0000-0000-000000000001', 'presence'), 'allowed',
  'RT-POL-23 a participant may track presence in the call');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000001', 'call:e1ca0000-0000-0000-0000-000000000001', 'broadcast'), '42501',
  'RT-POL-24 nobody may broadcast on a call topic (call events cannot be forged)');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000005', 'call:e1ca0000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-25 a member who is not a participant of the call may not join it');
select ok(not pg_temp.can_receive('e1000000-0000-0000-0000-000000000003', 'call:e1ca0000-0000-0000-0000-000000000001', 'broadcast'),
  'RT-POL-26 a stranger may not join a call topic');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000003', 'call:e1ca0000-0000-0000-0000-000000000001', 'presence'), '42501',
  'RT-POL-27 a stranger may not track presence in a call');
select ok(not pg_temp.can_receive('anon', 'call:e1ca0000-0000-0000-0000-000000000001', 'presence'),
  'RT-POL-28 anon may not join a call topic');

-- Anything else: refused quietly, never an error.
select is(array[
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:E1C00000-0000-0000-0000-000000000001', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:not-a-uuid', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'room:e1c00000-0000-0000-0000-000000000001', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001:x', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', '', 'broadcast')],
  array[false, false, false, false, false],
  'RT-POL-29 malformed, upper-case, unknown or empty topics admit nobody (and raise nothing)');
select is(pg_temp.can_send('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001', 'persistence'), '42501',
  'RT-POL-30 extensions other than broadcast and presence are refused');

-- Cost and surface.
select tests.authenticate_as('e1000000-0000-0000-0000-000000000002');
select set_config('realtime.topic', 'conversation:e1c00000-0000-0000-0000-000000000001', true);
create function pg_temp.plan_text(sql text) returns text language plpgsql as $f$
declare r record; v text := '';
begin
  for r in execute 'explain (costs off) ' || sql loop v := v || r."QUERY PLAN" || E'\n'; end loop;
  return v;
end $f$;
select ok(pg_temp.plan_text($$select id from realtime.messages where id = '00000000-0000-0000-0000-000000000000'$$) ~ 'InitPlan',
  'RT-POL-31 the policy helper runs once per statement (InitPlan), not per row');
select tests.clear_authentication();
select is((select array_agg(p.cmd || ':' || array_to_string(p.roles, ',') order by p.cmd) from pg_catalog.pg_policies p
            where p.schemaname = 'realtime' and p.tablename = 'messages' and p.policyname like '%parley%'),
  array['INSERT:authenticated', 'SELECT:authenticated'],
  'RT-POL-32 Parley has exactly one select and one insert policy on realtime.messages, both to authenticated');
select ok(not has_function_privilege('anon', 'parley_internal.realtime_topic_receive_extensions(text)', 'execute')
      and not has_function_privilege('anon', 'parley_internal.realtime_topic_send_extensions(text)', 'execute'),
  'RT-POL-33 anon cannot execute the topic helpers');
select ok(has_function_privilege('authenticated', 'parley_internal.realtime_topic_receive_extensions(text)', 'execute')
      and has_function_privilege('authenticated', 'parley_internal.realtime_topic_send_extensions(text)', 'execute'),
  'RT-POL-34 authenticated can (policies run as the client)');
select tests.authenticate_as('e1000000-0000-0000-0000-000000000003');
select is(parley_internal.realtime_topic_receive_extensions('user:e1000000-0000-0000-0000-000000000002'), '{}'::text[],
  'RT-POL-35 the helper answers only for the caller: nothing about another user''s inbox');
select is(parley_internal.realtime_topic_receive_extensions('user:e1000000-0000-0000-0000-000000000003'), array['broadcast'],
  'RT-POL-36 and the caller''s own inbox');
select tests.clear_authentication();

-- The row's own topic must be the topic being authorised.
insert into realtime.messages (id, topic, extension, event, payload, private) values
  ('e1e00000-0000-0000-0000-000000000001', 'user:e1000000-0000-0000-0000-000000000001', 'broadcast', 'x', '{}', true);
select tests.authenticate_as('e1000000-0000-0000-0000-000000000002');
select set_config('realtime.topic', 'user:e1000000-0000-0000-0000-000000000002', true);
select is((select count(*) from realtime.messages where id = 'e1e00000-0000-0000-0000-000000000001'), 0::bigint,
  'RT-POL-37 authorised for your own inbox, another inbox''s rows stay invisible');
select set_config('realtime.topic', 'conversation:e1c00000-0000-0000-0000-000000000001', true);
select throws_ok($$insert into realtime.messages (topic, extension) values ('conversation:e1c00000-0000-0000-0000-0000000000ff', 'broadcast')$$,
  '42501', null, 'RT-POL-38 authorised for one conversation, a row for another topic is refused');
select tests.clear_authentication();
select set_config('realtime.topic', '', true);

select * from finish();
rollback;
