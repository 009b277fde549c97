-- The inbox fan-out bound (docs/realtime-events.md § Fan-out): one conversation_activity per member
-- while a conversation has at most inbox_fanout_max (100) members, none above; crossing the bound either
-- way tells the members (conversation_fanout_changed). IDs: RT-FAN-xx.
begin;
select plan(20);

create temp table taken (id uuid, topic text, event text, payload jsonb, private boolean, extension text);
create function pg_temp.take() returns bigint language plpgsql as $f$
declare n bigint;
begin
  truncate taken;
  with d as (delete from realtime.messages m returning m.id, m.topic, m.event, m.payload, m.private, m.extension)
  insert into taken select * from d;
  get diagnostics n = row_count;
  return n;
end $f$;
create function pg_temp.n(p_event text) returns bigint language sql as $f$
  select count(*) from taken t where t.event = p_event;
$f$;
-- u(i): the i-th user of this file (prefix e4).
create function pg_temp.u(i integer) returns uuid language sql immutable as $f$
  select ('e4000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid;
$f$;
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;

select is((parley_internal.realtime_limits() ->> 'inbox_fanout_max')::int, 100, 'RT-FAN-01 the documented bound is 100 members');

-- Cast: 102 users; the owner is 1.
select count(tests.create_user(pg_temp.u(i), 'e4_user' || i)) from generate_series(1, 102) i;
select tests.authenticate_as(pg_temp.u(1));
insert into ids select 'g', id from parley.create_group('E4 hundred', null, array(select pg_temp.u(i) from generate_series(2, 100) i));
select tests.clear_authentication();
create function pg_temp.g() returns uuid language sql as $f$ select id from ids where name = 'g' $f$;
select pg_temp.take();
select is(pg_temp.n('conversation_activity'), 100::bigint, 'RT-FAN-02 at 100 members every member''s inbox hears of the group_created message');

select tests.authenticate_as(pg_temp.u(2));
select parley.send_message(pg_temp.g(), 'hello hundred');
select tests.clear_authentication();
select is(pg_temp.take(), 101::bigint, 'RT-FAN-03 a message to 100 members: message_created + 100 conversation_activity');

-- Growing past the bound.
select tests.authenticate_as(pg_temp.u(1));
select parley.add_members(pg_temp.g(), array[pg_temp.u(101)]);
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.n('conversation_fanout_changed'), 100::bigint,
  'RT-FAN-04 the 101st member: the 100 members already there get conversation_fanout_changed');
select ok((select bool_and(payload -> 'inbox_fanout' = 'false'::jsonb and (payload ->> 'member_count')::int = 101
                           and topic <> 'user:' || pg_temp.u(101)) from taken where event = 'conversation_fanout_changed'),
  'RT-FAN-05 saying inbox_fanout false, member_count 101 (and not to the newcomer)');
select is((select payload -> 'inbox_fanout' from taken where event = 'conversation_added'), 'false'::jsonb,
  'RT-FAN-06 the newcomer''s conversation_added says inbox_fanout false');
select is(pg_temp.n('conversation_activity'), 0::bigint, 'RT-FAN-07 the members_added message is not fanned out to 101 inboxes');
select is(pg_temp.n('message_created'), 1::bigint, 'RT-FAN-08 it is announced once, on conversation:<id>');

select tests.authenticate_as(pg_temp.u(101));
select is(array(select parley.list_realtime_topics()), array['user:' || pg_temp.u(101), 'conversation:' || pg_temp.g()],
  'RT-FAN-15 list_realtime_topics: the inbox first, then each group above the bound (to watch instead of per-member events)');
select tests.authenticate_as(pg_temp.u(3));
select parley.send_message(pg_temp.g(), 'hello hundred and one');
select tests.clear_authentication();
select is(pg_temp.take(), 1::bigint, 'RT-FAN-09 above the bound a message costs exactly one realtime row');
select tests.authenticate_as(pg_temp.u(1));
select parley.add_members(pg_temp.g(), array[pg_temp.u(102)]);
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.n('conversation_fanout_changed'), 0::bigint, 'RT-FAN-10 growing further tells nobody again');

-- Shrinking back to the bound.
select tests.authenticate_as(pg_temp.u(1));
select parley.remove_member(pg_temp.g(), pg_temp.u(102));
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.n('conversation_fanout_changed'), 0::bigint, 'RT-FAN-11 101 members: still above the bound');
select tests.authenticate_as(pg_temp.u(1));
select parley.remove_member(pg_temp.g(), pg_temp.u(101));
select tests.clear_authentication();
select pg_temp.take();
select is(pg_temp.n('conversation_fanout_changed'), 100::bigint,
  'RT-FAN-12 back to 100: each remaining member gets conversation_fanout_changed ...');
select ok((select bool_and(payload -> 'inbox_fanout' = 'true'::jsonb and (payload ->> 'member_count')::int = 100)
             from taken where event = 'conversation_fanout_changed'), 'RT-FAN-13 ... saying inbox_fanout true');
select is(pg_temp.n('conversation_activity'), 100::bigint, 'RT-FAN-14 and per-member activity resumes (the member_removed message)');
select tests.authenticate_as(pg_temp.u(2));
select is(array(select parley.list_realtime_topics()), array['user:' || pg_temp.u(2)],
  'RT-FAN-16 at 100 members the group is no longer listed: the inbox suffices');
select tests.authenticate_as_anon();
select throws_ok($$select parley.list_realtime_topics()$$, '42501', null, 'RT-FAN-17 anon may not list topics');
select tests.clear_authentication();
select is((select array_agg(r.signature) from (values ('parley_internal.list_realtime_topics()')) r(signature), pg_proc p
            where p.oid = r.signature::regprocedure and p.prosecdef and p.proconfig @> array['search_path=""']
              and not has_function_privilege('anon', r.signature, 'execute')),
  array['parley_internal.list_realtime_topics()'], 'RT-FAN-18 its implementation is an audited definer with a fixed search_path, closed to anon');

-- Plan shape of the fan-out decision (what parley_internal.send_conversation_activity reads): a range of one
-- conversation's members on an index, stopped after inbox_fanout_max + 1, never a scan of all memberships.
insert into parley.conversations (id, kind, title)
select ('e4c00000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid, 'group', 'bulk ' || s from generate_series(1, 300) s;
insert into parley.conversation_members (conversation_id, user_id, role)
select ('e4c00000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid, pg_temp.u(k), 'member'
  from generate_series(1, 300) s, generate_series(1, 10) k;
analyze parley.conversation_members;
select matches(tests.plan_of(format($$select x.user_id, x.last_read_seq from parley.conversation_members x
  where x.conversation_id = %L limit 101$$, pg_temp.g())),
  '(Bitmap Index|Index|Index Only) Scan (using|on) conversation_members_(pkey|conversation_id_joined_at_idx)',
  'RT-FAN-19 the fan-out reads one conversation''s members from an index ...');
select doesnt_match(tests.plan_of(format($$select x.user_id, x.last_read_seq from parley.conversation_members x
  where x.conversation_id = %L limit 101$$, pg_temp.g())),
  'Seq Scan', 'RT-FAN-20 ... and never scans every membership');

select * from finish();
rollback;
