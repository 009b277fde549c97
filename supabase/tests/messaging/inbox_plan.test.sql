-- The inbox: its index keys on the second of the last activity, so a send's updates of its members' rows
-- change no indexed column and are HOT; the inbox still lists by the exact instant, and its
-- (last_activity_at, conversation_id) cursor pages through a second correctly. IDs: IPLAN-*.
begin;
select plan(8);

-- Cast (prefix ba1): reader 01, other 02. Direct conversation d, five groups g1..g5 of the reader.
select tests.create_user('ba100000-0000-0000-0000-000000000001', 'ba1_reader');
select tests.create_user('ba100000-0000-0000-0000-000000000002', 'ba1_other');
insert into parley.conversations (id, kind, direct_key, title) values
  ('ba1c0000-0000-0000-0000-00000000000d', 'direct',
   'ba100000-0000-0000-0000-000000000001:ba100000-0000-0000-0000-000000000002', null);
insert into parley.conversations (id, kind, title)
select ('ba1c0000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'group', 'BA1 group ' || g from generate_series(1, 5) g;
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('ba1c0000-0000-0000-0000-00000000000d', 'ba100000-0000-0000-0000-000000000001', 'member'),
  ('ba1c0000-0000-0000-0000-00000000000d', 'ba100000-0000-0000-0000-000000000002', 'member');
-- Activity: g1, g2, g3 inside one second (…:00.900, .500, .100), g4 in the next second, g5 in the one before.
insert into parley.conversation_members (conversation_id, user_id, role, last_activity_at)
select ('ba1c0000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'ba100000-0000-0000-0000-000000000001', 'owner', t
  from (values (1, timestamptz '2026-01-01 10:00:00.900+00'), (2, timestamptz '2026-01-01 10:00:00.500+00'),
               (3, timestamptz '2026-01-01 10:00:00.100+00'), (4, timestamptz '2026-01-01 10:00:01.050+00'),
               (5, timestamptz '2026-01-01 09:59:59.990+00')) as a(g, t);

select is(tests.value_of($$select last_activity_second::text from parley.conversation_members
                         where conversation_id = 'ba1c0000-0000-0000-0000-000000000001'$$),
  '2026-01-01 10:00:00+00', 'IPLAN-01 last_activity_second is last_activity_at truncated to the second');
select is(tests.value_of($$select count(*) from pg_indexes where schemaname = 'parley' and tablename = 'conversation_members'
                         and indexdef ~ 'last_activity_at[,) ]'$$), '0',
  'IPLAN-02 no index of conversation_members contains last_activity_at (so moving it keeps updates HOT)');

-- The direct conversation is the newest (it gets messages below); the groups follow by exact instant.
select tests.authenticate_as('ba100000-0000-0000-0000-000000000001');
select is(tests.value_of($$select string_agg(right(conversation_id::text, 1), ',' order by n)
                          from (select conversation_id, row_number() over () as n
                                  from parley.list_conversations() where kind = 'group') x$$),
  '4,1,2,3,5', 'IPLAN-03 the inbox lists by the exact instant, also within one second');
select is(tests.value_of($$
  with recursive pages(n, at, id, path) as (
    select 1, p.last_activity_at, p.conversation_id, right(p.conversation_id::text, 1)
      from parley.list_conversations(max_count => 1) p
    union all
    select pages.n + 1, c.last_activity_at, c.conversation_id, pages.path || ',' || right(c.conversation_id::text, 1)
      from pages, lateral parley.list_conversations(max_count => 1, before_activity_at => pages.at, before_id => pages.id) c
     where pages.n < 10)
  select path from pages order by n desc limit 1$$),
  'd,4,1,2,3,5', 'IPLAN-04 one-row pages through the cursor visit the same order, through the middle of a second');
select is(tests.value_of($$select string_agg(right(conversation_id::text, 1), ',')
                          from parley.list_conversations(before_activity_at => '2026-01-01 10:00:00.500+00',
                                                         before_id => 'ba1c0000-0000-0000-0000-000000000002')$$),
  '3,5', 'IPLAN-05 a cursor in the middle of a second gives the rest of that second, then the earlier ones');

-- Sends: the members' rows move in place. Counters of this transaction (pg_stat_get_xact_*).
create temp table counts as
select pg_stat_get_xact_tuples_updated('parley.conversation_members'::regclass) as updated,
       pg_stat_get_xact_tuples_hot_updated('parley.conversation_members'::regclass) as hot;
grant select on counts to authenticated;
select count(*) from parley.send_message('ba1c0000-0000-0000-0000-00000000000d', 'one');
select count(*) from parley.send_message('ba1c0000-0000-0000-0000-00000000000d', 'two');
select count(*) from parley.send_message('ba1c0000-0000-0000-0000-00000000000d', 'three');
select count(*) from parley.send_message('ba1c0000-0000-0000-0000-00000000000d', 'four');
select tests.clear_authentication();
select is(pg_stat_get_xact_tuples_updated('parley.conversation_members'::regclass) - (select updated from counts), 8::bigint,
  'IPLAN-06 four sends to a direct conversation update its two member rows each time');
select cmp_ok(pg_stat_get_xact_tuples_hot_updated('parley.conversation_members'::regclass) - (select hot from counts), '>=', 4::bigint,
  'IPLAN-07 and at least half of those updates are HOT (all of them, but for a send that crosses a second or finds its page full)');
select is(tests.value_of($$select (last_activity_second = date_bin('1 second', last_activity_at, timestamptz '2000-01-01 00:00:00+00'))::text
                          from parley.conversation_members
                         where conversation_id = 'ba1c0000-0000-0000-0000-00000000000d'
                           and user_id = 'ba100000-0000-0000-0000-000000000002'$$),
  'true', 'IPLAN-08 after the sends the key still follows last_activity_at');

select * from finish();
rollback;
