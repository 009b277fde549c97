-- Reading history stays flat in how many conversations the reader is in: the messages select policy
-- checks each row with one primary-key probe of conversation_members, the page reads
-- messages_conversation_id_seq_idx newest first, and a send maintains no (conversation_id, joined_at)
-- index (npm run bench measures the cost; this guards the plan shape). IDs: HPLAN-*.
begin;
select plan(12);

-- Cast (prefix be): member 01 (in 300 conversations), other member 02, stranger 03.
select tests.create_user('be000000-0000-0000-0000-000000000001', 'be_member');
select tests.create_user('be000000-0000-0000-0000-000000000002', 'be_other');
select tests.create_user('be000000-0000-0000-0000-000000000003', 'be_stranger');
-- The history group be c…01 with 120 messages, plus 299 more groups of the member.
insert into parley.conversations (id, kind, title, last_seq)
select ('bec00000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'group', 'BE group ' || g, case when g = 1 then 120 else 0 end
  from generate_series(1, 300) g;
insert into parley.conversation_members (conversation_id, user_id, role)
select ('bec00000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'be000000-0000-0000-0000-000000000001', 'owner'
  from generate_series(1, 300) g;
insert into parley.conversation_members (conversation_id, user_id, role)
values ('bec00000-0000-0000-0000-000000000001', 'be000000-0000-0000-0000-000000000002', 'member');
insert into parley.messages (conversation_id, seq, sender_id, body)
select 'bec00000-0000-0000-0000-000000000001', s, 'be000000-0000-0000-0000-000000000002', 'message ' || s
  from generate_series(1, 120) s;
analyze parley.conversations, parley.conversation_members, parley.messages;

-- Members read, strangers do not.
select tests.authenticate_as('be000000-0000-0000-0000-000000000001');
select is(tests.value_of($$select count(*) from (select * from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001' order by seq desc limit 50) p$$),
  '50', 'HPLAN-01 a member in 300 conversations reads a full newest-50 page');
select is(tests.value_of($$select max(seq) from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001'$$),
  '120', 'HPLAN-02 the page starts at the newest message');
select tests.authenticate_as('be000000-0000-0000-0000-000000000002');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001'$$),
  '120', 'HPLAN-03 another member reads the whole history');
select tests.authenticate_as('be000000-0000-0000-0000-000000000003');
select is(tests.value_of($$select count(*) from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001'$$),
  '0', 'HPLAN-04 a stranger reads nothing');
select tests.clear_authentication();

-- Plan shape: the membership check probes the primary key per row read, never the reader's whole
-- membership list (which is what made pages slow for users in many conversations).
select tests.authenticate_as('be000000-0000-0000-0000-000000000001');
select matches(tests.plan_of($$select * from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001' order by seq desc limit 50$$),
  'Index Scan using messages_conversation_id_seq_idx on messages',
  'HPLAN-05 the history page reads messages_conversation_id_seq_idx, newest first');
select matches(tests.plan_of($$select * from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001' order by seq desc limit 50$$),
  'Index (Only )?Scan using conversation_members_pkey on conversation_members',
  'HPLAN-06 membership is one probe of conversation_members_pkey');
select doesnt_match(tests.plan_of($$select * from parley.messages where conversation_id = 'bec00000-0000-0000-0000-000000000001' order by seq desc limit 50$$),
  '(conversation_members_user_id_activity_idx|Seq Scan|Sort)',
  'HPLAN-07 no scan of the reader''s memberships, no sequential scan, no sort');
select tests.clear_authentication();

-- The fan-out index set: the joined_at index is gone; a conversation's members are found by the primary key.
select hasnt_index('parley', 'conversation_members', 'conversation_members_conversation_id_joined_at_idx',
  'HPLAN-08 conversation_members has no (conversation_id, joined_at) index to maintain on every send');
-- (a test table is small enough for a sequential scan to win; forbid it to see which index serves the lookup)
set local enable_seqscan = off;
select matches(tests.plan_of($$select * from parley.conversation_members where conversation_id = 'bec00000-0000-0000-0000-000000000001' order by joined_at$$),
  'conversation_members_pkey', 'HPLAN-09 a conversation''s member list is read through the primary key');
reset enable_seqscan;

-- The hot functions keep one generic plan per session (Postgres chose custom plans for them and planned
-- again at every call: docs/performance.md), and the generic plan of the history page is still the
-- index range read. The prepared statements are the pages parley_internal.list_messages runs, with its
-- variables as parameters, planned as that definer (the table owner, no RLS) plans them.
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'parley_internal'::regnamespace
      and 'plan_cache_mode=force_generic_plan' = any (p.proconfig)),
  array['append_message', 'list_messages', 'list_receipts'],
  'HPLAN-10 list_messages, append_message and list_receipts run with plan_cache_mode = force_generic_plan');
set local plan_cache_mode = force_generic_plan;
prepare hplan_newest(uuid, bigint, integer, uuid) as
  select * from parley.messages m
   where m.conversation_id = $1 and m.seq < coalesce($2, 9223372036854775807) and m.shown_in_conversation
     and not exists (select 1 from parley.message_hides h where h.user_id = $4 and h.message_id = m.id)
   order by m.seq desc limit $3;
prepare hplan_after(uuid, bigint, integer, uuid) as
  select * from parley.messages m
   where m.conversation_id = $1 and m.seq > $2 and m.shown_in_conversation
     and not exists (select 1 from parley.message_hides h where h.user_id = $4 and h.message_id = m.id)
   order by m.seq asc limit $3;
select ok(tests.plan_of($$execute hplan_newest('bec00000-0000-0000-0000-000000000001', null, 50, 'be000000-0000-0000-0000-000000000001')$$)
            ~ 'Index Scan using messages_conversation_id_seq_idx on messages'
          and tests.plan_of($$execute hplan_newest('bec00000-0000-0000-0000-000000000001', null, 50, 'be000000-0000-0000-0000-000000000001')$$)
            !~ '(Seq Scan on messages|Sort)',
  'HPLAN-11 the generic plan of the newest-first page reads messages_conversation_id_seq_idx, no sort');
select ok(tests.plan_of($$execute hplan_after('bec00000-0000-0000-0000-000000000001', 10, 200, 'be000000-0000-0000-0000-000000000001')$$)
            ~ 'Index Scan Backward using messages_conversation_id_seq_idx on messages'
          and tests.plan_of($$execute hplan_after('bec00000-0000-0000-0000-000000000001', 10, 200, 'be000000-0000-0000-0000-000000000001')$$)
            !~ '(Seq Scan on messages|Sort)',
  'HPLAN-12 the generic plan of the catch-up page reads the same index oldest first, no sort');
deallocate hplan_newest;
deallocate hplan_after;
reset plan_cache_mode;

select * from finish();
rollback;
