-- list_conversations (the inbox) and mark_read: unread arithmetic, ordering, keyset pages, hiding, plan shape.
begin;
select plan(28);
-- Adds here are the direct kind: consent for strangers (supabase/tests/safety/consent.test.sql) is off, for
-- this transaction only.
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');

-- Cast (prefix b7): owner 01, admin 02, member 03, stranger 04, partner 05.
select tests.create_user('b7000000-0000-0000-0000-000000000001', 'b7_owner');
select tests.create_user('b7000000-0000-0000-0000-000000000002', 'b7_admin');
select tests.create_user('b7000000-0000-0000-0000-000000000003', 'b7_member');
select tests.create_user('b7000000-0000-0000-0000-000000000004', 'b7_stranger');
select tests.create_user('b7000000-0000-0000-0000-000000000005', 'b7_partner');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000001');
select set_config('b7.group', (select id::text from parley.create_group('B7 group', null,
  array['b7000000-0000-0000-0000-000000000002', 'b7000000-0000-0000-0000-000000000003']::uuid[])), true);
create function pg_temp.grp() returns uuid language sql as $f$ select current_setting('b7.group')::uuid $f$;
select count(*) from parley.send_direct_message('b7000000-0000-0000-0000-000000000005', 'hello partner');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000003');
select count(*) from (select parley.send_message(pg_temp.grp(), 'g' || s) from generate_series(1, 3) s) x;

-- unread arithmetic and previews
select tests.authenticate_as('b7000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.list_conversations()$$), '2', 'INBOX-01 the owner has two conversations');
select is(tests.value_of($$select kind from parley.list_conversations() limit 1$$), 'group',
  'INBOX-02 ordered by activity: the group had the latest message');
select is(tests.value_of($$select unread_count from parley.list_conversations() where kind = 'group'$$), '3',
  'INBOX-03 unread = last_seq - last_read_seq: the three messages from the member (the owner''s own system message is read)');
select is(tests.value_of($$select last_message ->> 'body' from parley.list_conversations() where kind = 'group'$$), 'g3',
  'INBOX-04 the group shows its last message');
select is(tests.value_of($$select unread_count from parley.list_conversations() where kind = 'direct'$$), '0',
  'INBOX-05 my own messages are never unread');
select is(tests.value_of($$select other_user ->> 'username' from parley.list_conversations() where kind = 'direct'$$), 'b7_partner',
  'INBOX-06 a direct conversation shows the other person');
select is(tests.value_of($$select other_user from parley.list_conversations() where kind = 'group'$$), null,
  'INBOX-07 a group has no other_user');
select is(tests.value_of($$select role from parley.list_conversations() where kind = 'group'$$), 'owner', 'INBOX-08 my role is included');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000005');
select is(tests.value_of($$select unread_count || '/' || (other_user ->> 'username') from parley.list_conversations()$$), '1/b7_owner',
  'INBOX-09 the other party has one unread message from the owner');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select count(*) from parley.list_conversations()$$), '0', 'INBOX-10 a stranger''s inbox is empty');

-- mark_read
select tests.authenticate_as('b7000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select parley.mark_read(pg_temp.grp(), 2)$$), '2', 'READ-01 mark_read moves the cursor to the given seq');
select is(tests.value_of($$select unread_count from parley.list_conversations() where conversation_id = pg_temp.grp()$$), '2',
  'READ-02 unread drops accordingly (last_seq 4 - cursor 2)');
select is(tests.value_of($$select parley.mark_read(pg_temp.grp(), 1)$$), '2', 'READ-03 the cursor never moves back');
select is(tests.value_of($$select parley.mark_read(pg_temp.grp())$$), '4', 'READ-04 without seq it marks everything read');
select is(tests.error_of($$select parley.mark_read(pg_temp.grp(), 5)$$), '22023 seq_out_of_range', 'READ-05 a seq beyond the last message is refused');
select is(tests.error_of($$select parley.mark_read(pg_temp.grp(), -1)$$), '22023 seq_out_of_range', 'READ-06 a negative seq is refused');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.mark_read(pg_temp.grp())$$), 'PT404 conversation_not_found', 'READ-07 a stranger cannot mark read');
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.mark_read(pg_temp.grp())$$), '42501 -', 'READ-08 anon cannot call mark_read');
select is(tests.error_of($$select * from parley.list_conversations()$$), '42501 -', 'INBOX-11 anon cannot call list_conversations');

-- hiding and paging
select tests.authenticate_as('b7000000-0000-0000-0000-000000000001');
update parley.conversation_members set hidden_at = now()
 where conversation_id = pg_temp.grp() and user_id = 'b7000000-0000-0000-0000-000000000001';
select is(tests.value_of($$select string_agg(kind, ',') from parley.list_conversations()$$), 'direct', 'INBOX-12 a hidden conversation leaves the inbox');
select is(tests.value_of($$select count(*) from parley.list_conversations(include_hidden => true)$$), '2', 'INBOX-13 include_hidden shows it');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000003');
select count(*) from parley.send_message(pg_temp.grp(), 'wake up');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.list_conversations()$$), '2', 'INBOX-14 a new message unhides the conversation');
select is(tests.value_of($$select string_agg(c.kind, ',') from parley.list_conversations(max_count => 1) p,
  lateral parley.list_conversations(max_count => 1, before_activity_at => p.last_activity_at, before_id => p.conversation_id) c$$),
  'direct', 'INBOX-15 the keyset cursor (last_activity_at, conversation_id) gives the next page');
select is(tests.error_of($$select * from parley.list_conversations(before_id => pg_temp.grp())$$), '22023 cursor_invalid',
  'INBOX-16 before_id without before_activity_at is refused');
select is(tests.error_of($$select * from parley.list_conversations(max_count => 1000)$$), '22023 invalid_page_size',
  'INBOX-17 a page over 200 is refused');

-- plan shape of the inbox query (what parley_internal.list_conversations runs): one index read second by second,
-- each second's rows sorted by the instant (incremental sort), never a sort of all memberships.
select tests.clear_authentication();
insert into parley.conversations (id, kind, title)
select ('b7c00000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid, 'group', 'bulk ' || s from generate_series(1, 400) s;
insert into parley.conversation_members (conversation_id, user_id, role, last_activity_at)
select ('b7c00000-0000-0000-0000-' || lpad(to_hex(s), 12, '0'))::uuid, u, 'member', now() - s * interval '1 minute'
  from generate_series(1, 400) s,
       unnest(array['b7000000-0000-0000-0000-000000000001', 'b7000000-0000-0000-0000-000000000002',
                    'b7000000-0000-0000-0000-000000000003']::uuid[]) u;
analyze parley.conversation_members;
analyze parley.conversations;
select matches(tests.plan_of($$select m.conversation_id from parley.conversation_members m join parley.conversations c on c.id = m.conversation_id
  where m.user_id = 'b7000000-0000-0000-0000-000000000001' and (false or m.hidden_at is null)
    and (m.last_activity_second, m.last_activity_at, m.conversation_id)
        < ('infinity'::timestamptz, 'infinity'::timestamptz, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  order by m.last_activity_second desc, m.last_activity_at desc, m.conversation_id desc limit 50$$),
  'Index Scan using conversation_members_user_id_activity_idx', 'INBOX-18 the inbox page reads conversation_members_user_id_activity_idx');
select doesnt_match(tests.plan_of($$select m.conversation_id from parley.conversation_members m join parley.conversations c on c.id = m.conversation_id
  where m.user_id = 'b7000000-0000-0000-0000-000000000001' and (false or m.hidden_at is null)
    and (m.last_activity_second, m.last_activity_at, m.conversation_id)
        < ('infinity'::timestamptz, 'infinity'::timestamptz, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  order by m.last_activity_second desc, m.last_activity_at desc, m.conversation_id desc limit 50$$),
  '(-> +Sort +\(|Seq Scan on conversation_members)', 'INBOX-19 the inbox page neither sorts nor scans all memberships (flat in conversation count)');
select tests.authenticate_as('b7000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from parley.list_conversations(max_count => 200)$$), '200',
  'INBOX-20 a user in 402 conversations gets a full page');

select * from finish();
rollback;
