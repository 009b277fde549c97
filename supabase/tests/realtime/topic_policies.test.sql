-- Who may receive and who may send on Parley's private Realtime topics, checked the way Realtime checks
-- (docs/realtime-events.md § Topics and policies; spec realtime.md § 8): a join inserts a probe row per
-- extension as the realtime admin, sets role, claims and realtime.topic, and selects it back as the
-- client's role (visible = may receive); a first send inserts a probe as the client's role (42501 = may not).
-- The topics that carry database events (user:<id>, conversation:<id>:events) and call:<id> take no
-- client broadcast from anyone; conversation:<id> takes members' typing and presence only. Stored rows
-- of a conversation's topics are visible to a member from the second they joined.
-- IDs: RT-POL-xx.
begin;
select plan(59);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

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

-- Nobody can forge a database event: every role's send on every topic that carries them.
-- sends(actors, topic): 'actor extension result' for each actor and both extensions.
create function pg_temp.sends(p_actors text[], p_topic text) returns text[] language sql as $f$
  select array_agg(a.n || ' ' || e.x || ' ' || pg_temp.can_send(a.actor, p_topic, e.x) order by a.n, e.x)
    from unnest(p_actors) with ordinality as a(actor, n), unnest(array['broadcast', 'presence']) as e(x);
$f$;
select is(pg_temp.sends(array['anon', 'e1000000-0000-0000-0000-000000000002', 'e1000000-0000-0000-0000-000000000001',
                              'e1000000-0000-0000-0000-000000000003'], 'user:e1000000-0000-0000-0000-000000000002'),
  array['1 broadcast 42501', '1 presence 42501', '2 broadcast 42501', '2 presence 42501',
        '3 broadcast 42501', '3 presence 42501', '4 broadcast 42501', '4 presence 42501'],
  'RT-POL-39 user:<id>: anon, its own user, a co-member and a stranger may neither broadcast nor track presence');
select is(pg_temp.sends(array['anon', 'e1000000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000002',
                              'e1000000-0000-0000-0000-000000000005', 'e1000000-0000-0000-0000-000000000003',
                              'e1000000-0000-0000-0000-000000000004'], 'conversation:e1c00000-0000-0000-0000-000000000001:events'),
  array['1 broadcast 42501', '1 presence 42501', '2 broadcast 42501', '2 presence 42501', '3 broadcast 42501', '3 presence 42501',
        '4 broadcast 42501', '4 presence 42501', '5 broadcast 42501', '5 presence 42501', '6 broadcast 42501', '6 presence 42501'],
  'RT-POL-40 conversation:<id>:events: anon, the owner, a member, a late member, a stranger and a removed member may send nothing');
select is(array(select pg_temp.can_send(a, 'call:e1ca0000-0000-0000-0000-000000000001', 'broadcast')
                  from unnest(array['anon', 'e1000000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000002',
                                    'e1000000-0000-0000-0000-000000000005', 'e1000000-0000-0000-0000-000000000003']) a),
  array['42501', '42501', '42501', '42501', '42501'],
  'RT-POL-41 call:<id>: anon, the caller (joined), a ringing participant, a member not in the call and a stranger may not broadcast');
select is(pg_temp.sends(array['e1000000-0000-0000-0000-000000000001', 'e1000000-0000-0000-0000-000000000002',
                              'e1000000-0000-0000-0000-000000000005'], 'conversation:e1c00000-0000-0000-0000-000000000001'),
  array['1 broadcast allowed', '1 presence allowed', '2 broadcast allowed', '2 presence allowed', '3 broadcast allowed', '3 presence allowed'],
  'RT-POL-42 members (owner, member, late member) still send typing broadcasts and presence on conversation:<id>');

-- conversation:<id>:events: members receive broadcasts there, nothing else, nobody else.
select is(array[
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001:events', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000005', 'conversation:e1c00000-0000-0000-0000-000000000001:events', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001:events', 'presence')],
  array[true, true, false],
  'RT-POL-43 a member (and a late member) may join conversation:<id>:events and receive its broadcasts; it has no presence');
select is(array[
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000003', 'conversation:e1c00000-0000-0000-0000-000000000001:events', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000004', 'conversation:e1c00000-0000-0000-0000-000000000001:events', 'broadcast'),
    pg_temp.can_receive('anon', 'conversation:e1c00000-0000-0000-0000-000000000001:events', 'broadcast')],
  array[false, false, false],
  'RT-POL-44 a stranger, a removed member and anon may not join conversation:<id>:events');
select is(array[
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001:EVENTS', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation:e1c00000-0000-0000-0000-000000000001:events:x', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'user:e1000000-0000-0000-0000-000000000002:events', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'call:e1ca0000-0000-0000-0000-000000000001:events', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000000002', 'conversation::events', 'broadcast')],
  array[false, false, false, false, false],
  'RT-POL-45 look-alike events topics (upper case, suffixed, on user: or call:, no id) admit nobody');

-- Stored rows and late joiners. stored(actor, topic): the stored broadcasts of topic visible to actor
-- under the select policy with role, claims and realtime.topic set as Realtime sets them: 'event note|seq|
-- member_count', oldest first. (Realtime's own replay query runs on its connection, gated by the join's
-- read probe, not by this row filter: what these rows prove is what a member may read as themselves.)
create function pg_temp.stored(p_actor text, p_topic text) returns text[] language plpgsql as $f$
declare v text[];
begin
  perform pg_temp.act_as(p_actor);
  perform set_config('realtime.topic', p_topic, true);
  select coalesce(array_agg(m.event || ' ' || coalesce(m.payload ->> 'note', m.payload ->> 'seq', m.payload ->> 'member_count', '')
                            order by m.inserted_at, m.event, m.payload ->> 'seq'), '{}')
    into v from realtime.messages m
   where m.topic = p_topic and m.private is true and m.extension = 'broadcast';
  perform tests.clear_authentication();
  perform set_config('realtime.topic', '', true);
  return v;
end $f$;
-- A group above the inbox fan-out bound (101 members, joined two hours ago) whose events go to conversation:<id>:events.
select count(tests.create_user(('e1000000-0000-0000-0000-' || lpad((1000 + i)::text, 12, '0'))::uuid, 'e1_big' || i)) from generate_series(1, 101) i;
select tests.create_user('e1000000-0000-0000-0000-000000000006', 'e1_newcomer');
insert into parley.conversations (id, kind, title, created_by) values
  ('e1c00000-0000-0000-0000-000000000002', 'group', 'E1 big', 'e1000000-0000-0000-0000-000000001001');
insert into parley.conversation_members (conversation_id, user_id, role, joined_at)
select 'e1c00000-0000-0000-0000-000000000002', ('e1000000-0000-0000-0000-' || lpad((1000 + i)::text, 12, '0'))::uuid,
       case i when 1 then 'owner' else 'member' end, now() - interval '2 hours'
  from generate_series(1, 101) i;
-- An hour ago: a message, stored as its notice; and a stored row of the old design on conversation:<id>.
select tests.authenticate_as('e1000000-0000-0000-0000-000000001001');
select parley.send_message('e1c00000-0000-0000-0000-000000000002', 'before the newcomer');
select tests.clear_authentication();
insert into realtime.messages (topic, extension, event, payload, private) values
  ('conversation:e1c00000-0000-0000-0000-000000000002', 'broadcast', 'message_created', '{"note": "old body"}', true);
update realtime.messages set inserted_at = inserted_at - interval '1 hour', updated_at = updated_at - interval '1 hour'
 where topic like 'conversation:e1c00000-0000-0000-0000-000000000002%';
-- A row of the second before the newcomer joins, then the newcomer (now), then a message after.
insert into realtime.messages (topic, extension, event, payload, private, inserted_at) values
  ('conversation:e1c00000-0000-0000-0000-000000000002:events', 'broadcast', 'member_read', '{"note": "a second before"}', true,
   date_trunc('second', now() at time zone 'utc') - interval '1 second');
select tests.authenticate_as('e1000000-0000-0000-0000-000000001001');
select parley.add_members('e1c00000-0000-0000-0000-000000000002', array['e1000000-0000-0000-0000-000000000006']::uuid[]);
select parley.send_message('e1c00000-0000-0000-0000-000000000002', 'after the newcomer');
select tests.clear_authentication();
insert into realtime.messages (topic, extension, event, payload, private) values
  ('conversation:e1c00000-0000-0000-0000-000000000002', 'broadcast', 'typing', '{"note": "typing now"}', true);

select is(pg_temp.stored('e1000000-0000-0000-0000-000000001002', 'conversation:e1c00000-0000-0000-0000-000000000002:events'),
  array['members_added 101', 'message_created 1', 'member_read a second before', 'members_added 102', 'message_created 2', 'message_created 3'],
  'RT-POL-46 a member of two hours sees every stored notice of conversation:<id>:events since they joined');
select is(pg_temp.stored('e1000000-0000-0000-0000-000000000006', 'conversation:e1c00000-0000-0000-0000-000000000002:events'),
  array['members_added 102', 'message_created 2', 'message_created 3'],
  'RT-POL-47 a member added later sees none of the stored rows of conversation:<id>:events from before they joined, and those after');
select is(pg_temp.stored('e1000000-0000-0000-0000-000000000006', 'conversation:e1c00000-0000-0000-0000-000000000002'),
  array['typing typing now'],
  'RT-POL-48 nor a stored row of conversation:<id> from before they joined (an old body), only what came after');
select is(pg_temp.stored('e1000000-0000-0000-0000-000000001002', 'conversation:e1c00000-0000-0000-0000-000000000002'),
  array['message_created old body', 'typing typing now'],
  'RT-POL-49 while a member who was there then still sees it (they could receive it live)');
select is(array[pg_temp.can_receive('e1000000-0000-0000-0000-000000000006', 'conversation:e1c00000-0000-0000-0000-000000000002:events', 'broadcast'),
                pg_temp.can_receive('e1000000-0000-0000-0000-000000000006', 'conversation:e1c00000-0000-0000-0000-000000000002', 'presence')],
  array[true, true], 'RT-POL-50 the newcomer''s join itself is allowed (the probe is written at join time, after they joined)');

-- A removed member: refused on both conversation topics, no stored row visible, no further row on their user:<id>.
delete from realtime.messages where topic = 'user:e1000000-0000-0000-0000-000000001003';
select tests.authenticate_as('e1000000-0000-0000-0000-000000001001');
select parley.remove_member('e1c00000-0000-0000-0000-000000000002', 'e1000000-0000-0000-0000-000000001003');
select tests.clear_authentication();
select is((select array_agg(event) from realtime.messages where topic = 'user:e1000000-0000-0000-0000-000000001003'), array['conversation_removed'],
  'RT-POL-51 a member removed from a large group hears conversation_removed on user:<id>');
select tests.authenticate_as('e1000000-0000-0000-0000-000000001001');
select parley.send_message('e1c00000-0000-0000-0000-000000000002', 'after the removal');
select parley.update_group('e1c00000-0000-0000-0000-000000000002', 'E1 big renamed');
select parley.mark_read('e1c00000-0000-0000-0000-000000000002');
select tests.clear_authentication();
select is((select array_agg(event) from realtime.messages where topic = 'user:e1000000-0000-0000-0000-000000001003'), array['conversation_removed'],
  'RT-POL-52 and nothing more on user:<id> as the group goes on');
select is(array[
    pg_temp.can_receive('e1000000-0000-0000-0000-000000001003', 'conversation:e1c00000-0000-0000-0000-000000000002:events', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000001003', 'conversation:e1c00000-0000-0000-0000-000000000002', 'broadcast'),
    pg_temp.can_receive('e1000000-0000-0000-0000-000000001003', 'conversation:e1c00000-0000-0000-0000-000000000002', 'presence')],
  array[false, false, false], 'RT-POL-53 a removed member''s (re)join of conversation:<id>:events and conversation:<id> is refused');
select is(array[cardinality(pg_temp.stored('e1000000-0000-0000-0000-000000001003', 'conversation:e1c00000-0000-0000-0000-000000000002:events')),
                cardinality(pg_temp.stored('e1000000-0000-0000-0000-000000001003', 'conversation:e1c00000-0000-0000-0000-000000000002'))],
  array[0, 0], 'RT-POL-54 and they see no stored row of either topic, not even those written while they were a member');

-- user:<id> and call:<id> rows are addressed to their readers: visible whenever they were written.
insert into realtime.messages (topic, extension, event, payload, private, inserted_at) values
  ('user:e1000000-0000-0000-0000-000000000006', 'broadcast', 'conversation_added', '{"note": "three hours ago"}', true, (now() at time zone 'utc') - interval '3 hours');
select is(pg_temp.stored('e1000000-0000-0000-0000-000000000006', 'user:e1000000-0000-0000-0000-000000000006'),
  array['conversation_added three hours ago', 'conversation_added 102'],
  'RT-POL-55 a user sees every stored row of their own user:<id>, however old (only conversation_added here: the group is above the bound)');
select tests.authenticate_as('e1000000-0000-0000-0000-000000000006');
select is(array[parley_internal.realtime_topic_visible_since('conversation:e1c00000-0000-0000-0000-000000000002'),
                parley_internal.realtime_topic_visible_since('conversation:e1c00000-0000-0000-0000-000000000002:events')],
  (select array[m.joined_at at time zone 'utc', m.joined_at at time zone 'utc']
     from parley.conversation_members m
    where m.conversation_id = 'e1c00000-0000-0000-0000-000000000002' and m.user_id = 'e1000000-0000-0000-0000-000000000006'),
  'RT-POL-56 visible_since is the caller''s exact joined_at (UTC) on both conversation topics');
select is(array[parley_internal.realtime_topic_visible_since('user:e1000000-0000-0000-0000-000000000006'),
                parley_internal.realtime_topic_visible_since('call:e1ca0000-0000-0000-0000-000000000001')],
  array['-infinity'::timestamp, '-infinity'::timestamp], 'RT-POL-57 and -infinity on user:<id> and call:<id>');
select is(parley_internal.realtime_topic_visible_since('conversation:e1c00000-0000-0000-0000-000000000001'), null,
  'RT-POL-58 and null (nothing visible) on a conversation the caller is not in');
select tests.clear_authentication();

-- Realtime dates its join probe with its own clock (in whole seconds): a probe a few seconds behind the
-- database's clock still admits a member who joined just now, while an event row of then does not.
create function pg_temp.sees_probe_dated(p_actor text, p_topic text, p_at timestamp) returns boolean language plpgsql as $f$
declare v boolean;
begin
  insert into realtime.messages (id, topic, extension, private, inserted_at) values ('e1e00000-0000-0000-0000-000000000059', p_topic, 'broadcast', true, p_at);
  perform pg_temp.act_as(p_actor);
  perform set_config('realtime.topic', p_topic, true);
  select exists (select 1 from realtime.messages m where m.id = 'e1e00000-0000-0000-0000-000000000059') into v;
  perform tests.clear_authentication();
  perform set_config('realtime.topic', '', true);
  delete from realtime.messages where id = 'e1e00000-0000-0000-0000-000000000059';
  return v;
end $f$;
select is(pg_temp.sees_probe_dated('e1000000-0000-0000-0000-000000000006', 'conversation:e1c00000-0000-0000-0000-000000000002:events',
                                   date_trunc('second', now() at time zone 'utc') - interval '3 seconds'), true,
  'RT-POL-59 a join probe dated before the member joined (Realtime''s clock behind) still admits them');

select * from finish();
rollback;
