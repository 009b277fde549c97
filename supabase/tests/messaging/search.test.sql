-- Search under RLS: messages by word and by substring, only in the caller's conversations; filters,
-- paging, snippets; conversations by title or the other person's name.
-- IDs: SRCH-xx (docs/messaging.md § Search).
begin;
-- Adds here are memberships at once (consent for group adds is tested in supabase/tests/safety/).
insert into parley.settings (key, value) values ('group_invitations', '"off"');
select plan(24);

-- Cast (prefix cc): ann 01, bob 02, rita 03 (removed from the group), out 04 (stranger).
select tests.create_user('cc000000-0000-0000-0000-000000000001', 'cc_ann');
select tests.create_user('cc000000-0000-0000-0000-000000000002', 'cc_bob');
select tests.create_user('cc000000-0000-0000-0000-000000000003', 'cc_rita');
select tests.create_user('cc000000-0000-0000-0000-000000000004', 'cc_out');
update parley.profiles set display_name = 'Bob Marley' where id = 'cc000000-0000-0000-0000-000000000002';
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated;

select tests.authenticate_as('cc000000-0000-0000-0000-000000000001');
insert into ids select 'group', id from parley.create_group('Climbing trip', null,
  array['cc000000-0000-0000-0000-000000000002', 'cc000000-0000-0000-0000-000000000003']::uuid[]);
insert into ids select 'dm', id from parley.get_or_create_direct_conversation('cc000000-0000-0000-0000-000000000002');
insert into ids select 'm_rope', id from parley.send_message((select id from ids where name = 'group'), 'Who brings the rope tomorrow?');
insert into ids select 'm_url', id from parley.send_message((select id from ids where name = 'group'), 'Topo at https://example.com/crag/north-face?id=7');
insert into ids select 'm_de', id from parley.send_message((select id from ids where name = 'group'), 'Überraschung! Привет всем');
insert into ids select 'm_pct', id from parley.send_message((select id from ids where name = 'group'), '1000 metres of rope');
insert into ids select 'm_html', id from parley.send_message((select id from ids where name = 'group'), '<script>alert(1)</script> rope burn');
insert into ids select 'm_dm', id from parley.send_message((select id from ids where name = 'dm'), 'rope for you, bob');
select tests.authenticate_as('cc000000-0000-0000-0000-000000000002');
insert into ids select 'm_bob', id from parley.send_message((select id from ids where name = 'group'), 'I have a 60m rope');
insert into ids select 'm_edit', id from parley.send_message((select id from ids where name = 'group'), 'carabiners are old');
select parley.edit_message((select id from ids where name = 'm_edit'), 'quickdraws are new');
insert into ids select 'm_del', id from parley.send_message((select id from ids where name = 'group'), 'secret harness plan');
select parley.delete_message((select id from ids where name = 'm_del'));

-- One transaction has one now(): date the messages a minute apart, in the order they were sent.
select tests.clear_authentication();
update parley.messages x set created_at = now() - make_interval(mins => (100 - o.n)::int)
  from (select id, row_number() over (order by name_order) as n
          from ids join unnest(array['m_rope', 'm_url', 'm_de', 'm_pct', 'm_html', 'm_dm', 'm_bob', 'm_edit', 'm_del'])
                        with ordinality as w(name, name_order) using (name)) o
 where x.id = o.id;

select tests.authenticate_as('cc000000-0000-0000-0000-000000000001');
select is((select array_agg(id order by created_at desc) from parley.search_messages('rope')),
  array[(select id from ids where name = 'm_bob'), (select id from ids where name = 'm_dm'), (select id from ids where name = 'm_html'),
        (select id from ids where name = 'm_pct'), (select id from ids where name = 'm_rope')],
  'SRCH-01 a word finds every message of mine containing it, newest first');
select is((select array_agg(id) from parley.search_messages('tomor')), array[(select id from ids where name = 'm_rope')],
  'SRCH-02 a partial word finds it as a substring');
select is((select array_agg(id) from parley.search_messages('example.com/crag')), array[(select id from ids where name = 'm_url')],
  'SRCH-03 so does part of a URL');
select is((select array_agg(id) from parley.search_messages('überraschung')), array[(select id from ids where name = 'm_de')],
  'SRCH-04 words of other languages, ignoring case');
select is((select array_agg(id) from parley.search_messages('привет')), array[(select id from ids where name = 'm_de')],
  'SRCH-05 including other scripts');
select is((select count(*) from parley.search_messages('who')), 1::bigint, 'SRCH-06 no stop words: "who" is found');
select is((select count(*) from parley.search_messages('100%')), 0::bigint, 'SRCH-07 % in a query is literal ("100%" does not match "1000")');
select is((select count(*) from parley.search_messages('quickdraws')), 1::bigint, 'SRCH-08 an edited message matches its current text');
select is((select count(*) from parley.search_messages('carabiners')), 0::bigint, 'SRCH-09 and not its old one');
select is((select count(*) from parley.search_messages('harness')), 0::bigint, 'SRCH-10 a deleted message never matches');
select is((select snippet from parley.search_messages('burn')),
  '&lt;script&gt;alert(1)&lt;/script&gt; rope <mark>burn</mark>', 'SRCH-11 the snippet is HTML-escaped with the match marked');
select is((select array_agg(id) from parley.search_messages('rope', in_conversation_id => (select id from ids where name = 'dm'))),
  array[(select id from ids where name = 'm_dm')], 'SRCH-12 within one conversation');
select is((select array_agg(id) from parley.search_messages('rope', from_user_id => 'cc000000-0000-0000-0000-000000000002')),
  array[(select id from ids where name = 'm_bob')], 'SRCH-13 from one sender');
select is((select count(*) from parley.search_messages('rope', has_attachment => true)), 0::bigint, 'SRCH-14 with attachments only');
select is((select count(*) from parley.search_messages('rope', after => now() + interval '1 minute')), 0::bigint, 'SRCH-15 in a date range');
select is((select array_agg(id order by created_at desc) from parley.search_messages('rope', max_count => 2)),
  array[(select id from ids where name = 'm_bob'), (select id from ids where name = 'm_dm')], 'SRCH-16 a page');
select is((select array_agg(id order by created_at desc) from parley.search_messages('rope',
             before => (select created_at from parley.messages where id = (select id from ids where name = 'm_dm')),
             before_id => (select id from ids where name = 'm_dm'), max_count => 2)),
  array[(select id from ids where name = 'm_html'), (select id from ids where name = 'm_pct')], 'SRCH-17 and the next page from the cursor');
select is(tests.error_of($$select * from parley.search_messages('r')$$), '22023 query_invalid', 'SRCH-18 a one-character query is refused');
select parley.hide_message((select id from ids where name = 'm_pct'));
select is((select count(*) from parley.search_messages('metres')), 0::bigint, 'SRCH-19 a message I hid is not found');

-- Who may find what.
select tests.authenticate_as('cc000000-0000-0000-0000-000000000004');
select is((select count(*) from parley.search_messages('rope')), 0::bigint, 'SRCH-20 a stranger finds nothing');
select tests.authenticate_as('cc000000-0000-0000-0000-000000000001');
select parley.remove_member((select id from ids where name = 'group'), 'cc000000-0000-0000-0000-000000000003');
select tests.authenticate_as('cc000000-0000-0000-0000-000000000003');
select is((select count(*) from parley.search_messages('rope')), 0::bigint, 'SRCH-21 nor does a removed member, of that conversation');

-- Conversations by title or the other person's name.
select tests.authenticate_as('cc000000-0000-0000-0000-000000000001');
select is((select array_agg(conversation_id) from parley.search_conversations('climb')), array[(select id from ids where name = 'group')],
  'SRCH-22 a group by part of its title');
select is((select array_agg(conversation_id) from parley.search_conversations('marley')), array[(select id from ids where name = 'dm')],
  'SRCH-23 a direct conversation by the other person''s name');
select tests.authenticate_as('cc000000-0000-0000-0000-000000000004');
select is((select count(*) from parley.search_conversations('climb')), 0::bigint, 'SRCH-24 only my own conversations');

select * from finish();
rollback;
