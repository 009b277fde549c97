-- The inbox fan-out bound (docs/realtime-events.md § Fan-out): while a conversation has at most
-- inbox_fanout_max (100) members each of its database events goes once to every member's user:<id>;
-- above it, one content-free notice (ids and seq only) on the receive-only conversation:<id>:events and
-- nothing on the user topics; crossing the bound either way tells the members (conversation_fanout_changed).
-- conversation:<id> (typing and presence) never carries a database event. IDs: RT-FAN-xx.
begin;
select plan(30);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- tests.take() (the helpers) moves the events sent so far into the temp table taken; made here, empty.
select tests.take();
create function pg_temp.n(p_event text) returns bigint language sql as $f$
  select count(*) from taken t where t.event = p_event;
$f$;
-- where_(event): the taken rows of that event as 'topic-kind count', e.g. 'user 100' or 'events 1'.
create function pg_temp.where_(p_event text) returns text[] language sql as $f$
  select coalesce(array_agg(k || ' ' || n order by k), '{}') from (
    select case when t.topic like 'user:%' then 'user' when t.topic like '%:events' then 'events' else 'conversation' end as k, count(*) as n
      from taken t where t.event = p_event group by 1) x;
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
select tests.take();
select is((select count(distinct topic) || ' members, ' || count(*) || ' rows' from taken where event = 'message_created' and topic like 'user:%'),
  '100 members, 100 rows', 'RT-FAN-02 at 100 members every member''s user:<id> hears of the group_created message, once');

select tests.authenticate_as(pg_temp.u(2));
select parley.send_message(pg_temp.g(), 'hello hundred');
select tests.clear_authentication();
select is(tests.take(), 100::bigint, 'RT-FAN-03 a message to 100 members: 100 rows, one message_created per member, nothing else');

-- Growing past the bound.
select tests.authenticate_as(pg_temp.u(1));
select parley.add_members(pg_temp.g(), array[pg_temp.u(101)]);
select tests.clear_authentication();
select tests.take();
select is(pg_temp.n('conversation_fanout_changed'), 100::bigint,
  'RT-FAN-04 the 101st member: the 100 members already there get conversation_fanout_changed');
select ok((select bool_and(payload -> 'inbox_fanout' = 'false'::jsonb and (payload ->> 'member_count')::int = 101
                           and topic <> 'user:' || pg_temp.u(101)) from taken where event = 'conversation_fanout_changed'),
  'RT-FAN-05 saying inbox_fanout false, member_count 101 (and not to the newcomer)');
select is((select payload -> 'inbox_fanout' from taken where event = 'conversation_added'), 'false'::jsonb,
  'RT-FAN-06 the newcomer''s conversation_added says inbox_fanout false');
select is(array[pg_temp.where_('message_created'), pg_temp.where_('members_added')], array[array['events 1'], array['events 1']],
  'RT-FAN-07 the members_added event and its message are not fanned out to 101 inboxes ...');
select is((select array_agg(event || ' ' || (select string_agg(k, ',' order by k) from jsonb_object_keys(payload) k) order by event) from taken
            where topic = 'conversation:' || pg_temp.g() || ':events'),
  array['members_added conversation_id,id,member_count', 'message_created conversation_id,id,message_id,seq'],
  'RT-FAN-08 ... each is one content-free notice on conversation:<id>:events (ids, seq, member_count: no body, no names)');

select tests.authenticate_as(pg_temp.u(101));
select is(array(select parley.list_realtime_topics()), array['user:' || pg_temp.u(101), 'conversation:' || pg_temp.g() || ':events'],
  'RT-FAN-15 list_realtime_topics: the inbox first, then each group above the bound (to watch instead of per-member events)');
select tests.authenticate_as(pg_temp.u(3));
select parley.send_message(pg_temp.g(), 'hello hundred and one');
select tests.clear_authentication();
select tests.take();
select is((select array_agg(topic || ' ' || event || ' ' || (payload - 'id')::text) from taken),
  (select array['conversation:' || pg_temp.g() || ':events message_created ' ||
                jsonb_build_object('conversation_id', m.conversation_id, 'message_id', m.id, 'seq', m.seq)::text]
     from parley.messages m where m.conversation_id = pg_temp.g() and m.body = 'hello hundred and one'),
  'RT-FAN-09 above the bound a message costs exactly one realtime row: {conversation_id, message_id, seq} on conversation:<id>:events');
select tests.authenticate_as(pg_temp.u(1));
select parley.add_members(pg_temp.g(), array[pg_temp.u(102)]);
select tests.clear_authentication();
select tests.take();
select is(pg_temp.n('conversation_fanout_changed'), 0::bigint, 'RT-FAN-10 growing further tells nobody again');

-- Shrinking back to the bound.
select tests.authenticate_as(pg_temp.u(1));
select parley.remove_member(pg_temp.g(), pg_temp.u(102));
select tests.clear_authentication();
select tests.take();
select is(pg_temp.n('conversation_fanout_changed'), 0::bigint, 'RT-FAN-11 101 members: still above the bound');
select tests.authenticate_as(pg_temp.u(1));
select parley.remove_member(pg_temp.g(), pg_temp.u(101));
select tests.clear_authentication();
select tests.take();
select is(pg_temp.n('conversation_fanout_changed'), 100::bigint,
  'RT-FAN-12 back to 100: each remaining member gets conversation_fanout_changed ...');
select ok((select bool_and(payload -> 'inbox_fanout' = 'true'::jsonb and (payload ->> 'member_count')::int = 100)
             from taken where event = 'conversation_fanout_changed'), 'RT-FAN-13 ... saying inbox_fanout true');
select is(array[pg_temp.where_('members_removed'), pg_temp.where_('message_created')], array[array['user 100'], array['user 100']],
  'RT-FAN-14 and per-member events resume: members_removed and the member_removed message to each of the 100, nothing on :events');
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

-- Rows per send, what a viewer receives (each member exactly one row per message, wherever they listen).
-- per_send(): after one send, 'rows N, members M (each 1), events E, conversation C, users U'.
create function pg_temp.per_send(p_conversation uuid) returns text language sql as $f$
  select 'rows ' || count(*)
         || ', members ' || (select count(*) from parley.conversation_members m where m.conversation_id = p_conversation)
         || ' (each ' || coalesce((select string_agg(distinct n::text, ',') from (
              select count(t.id) as n from parley.conversation_members m
                left join taken t on t.topic = 'user:' || m.user_id and t.event = 'message_created'
               where m.conversation_id = p_conversation group by m.user_id) x), '-') || ')'
         || ', events ' || count(*) filter (where topic = 'conversation:' || p_conversation || ':events')
         || ', conversation ' || count(*) filter (where topic = 'conversation:' || p_conversation)
         || ', users ' || count(*) filter (where topic like 'user:%')
    from taken;
$f$;
select tests.take();
select tests.authenticate_as(pg_temp.u(1));
insert into ids select 'dm', conversation_id from parley.send_direct_message(pg_temp.u(2), 'first');
insert into ids select 'ten', id from parley.create_group('E4 ten', null, array(select pg_temp.u(i) from generate_series(2, 10) i));
select parley.add_members(pg_temp.g(), array[pg_temp.u(101)]);
select tests.clear_authentication();
select tests.take();

select tests.authenticate_as(pg_temp.u(2));
select parley.send_message((select id from ids where name = 'dm'), 'one to one');
select tests.clear_authentication();
select tests.take();
select is(pg_temp.per_send((select id from ids where name = 'dm')), 'rows 2, members 2 (each 1), events 0, conversation 0, users 2',
  'RT-FAN-21 a direct message: 2 realtime rows, one message_created on each member''s user:<id>');
select tests.authenticate_as(pg_temp.u(2));
select parley.send_message((select id from ids where name = 'ten'), 'one to ten');
select tests.clear_authentication();
select tests.take();
select is(pg_temp.per_send((select id from ids where name = 'ten')), 'rows 10, members 10 (each 1), events 0, conversation 0, users 10',
  'RT-FAN-22 a message to a 10-member group: 10 rows, exactly one per member');
select tests.authenticate_as(pg_temp.u(2));
select parley.send_message(pg_temp.g(), 'one to a hundred and one');
select tests.clear_authentication();
select tests.take();
select is(pg_temp.per_send(pg_temp.g()), 'rows 1, members 101 (each 0), events 1, conversation 0, users 0',
  'RT-FAN-23 a message to a 101-member group: 1 row on conversation:<id>:events, none on any user topic');

-- Everything else a large group does is a content-free notice on its events topic, once.
-- notices(): the taken rows as 'topic-kind event payload-keys', sorted.
create function pg_temp.notices() returns text[] language sql as $f$
  select coalesce(array_agg(k || ' ' || t.event || ' ' || (select string_agg(j, ',' order by j) from jsonb_object_keys(t.payload) j)
                            order by k, t.event), '{}')
    from (select t.*, case when t.topic like 'user:%' then 'user:' || right(t.topic, 3) when t.topic like '%:events' then 'events'
                           else 'conversation' end as k from taken t) t;
$f$;
select tests.authenticate_as(pg_temp.u(3));
select parley.mark_read(pg_temp.g());
select tests.clear_authentication();
select tests.take();
select is(pg_temp.notices(), array['events member_read conversation_id,id,last_delivered_seq,last_read_seq,user_id', 'user:003 membership_updated conversation_id,hidden_at,id,last_delivered_seq,last_read_seq,muted_until,role,unread_count'],
  'RT-FAN-24 above the bound a read receipt is one member_read notice (who, up to which seq) plus the reader''s own membership_updated');
select tests.authenticate_as(pg_temp.u(1));
select parley.set_member_role(pg_temp.g(), pg_temp.u(3), 'admin');
select parley.update_group(pg_temp.g(), 'E4 secret title', 'secret description');
select tests.clear_authentication();
select tests.take();
select is(pg_temp.notices(), array['events conversation_updated conversation_id,id', 'events member_role_changed conversation_id,id,user_id',
    'events message_created conversation_id,id,message_id,seq', 'events message_created conversation_id,id,message_id,seq',
    'user:003 membership_updated conversation_id,hidden_at,id,last_delivered_seq,last_read_seq,muted_until,role,unread_count'],
  'RT-FAN-25 a role change and a rename: one notice each (and one per system message), the new role only to its member');
select is((select count(*) from taken where payload::text like '%secret%' or payload::text like '%admin%' and topic like '%:events'), 0::bigint,
  'RT-FAN-26 the notices name neither the new title nor the new role: members read those through RLS');
select tests.authenticate_as(pg_temp.u(2));
insert into ids select 'big', id from parley.send_message(pg_temp.g(), 'secret plans');
select parley.edit_message((select id from ids where name = 'big'), 'secret plans, edited');
select parley.delete_message((select id from ids where name = 'big'));
select tests.clear_authentication();
select tests.take();
select is((select array_agg(event || ' ' || (payload - 'id' - 'conversation_id')::text order by event) from taken),
  (select array['message_created ' || x, 'message_deleted ' || x, 'message_edited ' || x]
     from (select jsonb_build_object('message_id', m.id, 'seq', m.seq)::text as x from parley.messages m where m.id = (select id from ids where name = 'big')) m),
  'RT-FAN-27 send, edit and delete above the bound: three notices with the message id and seq only, no text');
select tests.authenticate_as(pg_temp.u(1));
select parley.add_members(pg_temp.g(), array[pg_temp.u(102)]);
select tests.clear_authentication();
select tests.take();
select tests.authenticate_as(pg_temp.u(1));
select parley.remove_member(pg_temp.g(), pg_temp.u(102));
select tests.clear_authentication();
select tests.take();
select is(pg_temp.notices(), array['events members_removed conversation_id,id,member_count', 'events message_created conversation_id,id,message_id,seq',
    'user:102 conversation_removed conversation_id,id,reason'],
  'RT-FAN-28 removing a member above the bound: one members_removed notice (the new member_count), conversation_removed to the removed member');
select tests.authenticate_as(pg_temp.u(1));
select parley.delete_group(pg_temp.g());
select tests.clear_authentication();
select tests.take();
select is(array[pg_temp.where_('conversation_deleted'), pg_temp.where_('conversation_removed')], array[array['events 1'], array['user 101']],
  'RT-FAN-29 deleting a 101-member group: one conversation_deleted on its events topic, conversation_removed to each of the 101 ...');
select is((select count(*) from taken where event not in ('conversation_deleted', 'conversation_removed')), 0::bigint,
  'RT-FAN-30 ... and nothing else');

-- Plan shape of the fan-out decision (what parley_internal.send_conversation_event reads): a range of one
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
