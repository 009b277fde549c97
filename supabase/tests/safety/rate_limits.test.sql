-- Rate limits (token buckets per user) and slow mode: every refusal, what it carries, that it changes
-- nothing, the replay that costs nothing, refill, overrides, and who may read or write the settings.
-- Each limit is tightened for this file's own users only (parley.rate_limit_overrides), so nothing else
-- running at the same time meets it. IDs: docs/rate-limits.md § Tests.
begin;
select plan(53);

-- Cast: owner 01, admin 02, member 03, stranger 04, partners 05-07 (prefix f1).
select tests.create_user('f1000000-0000-0000-0000-000000000001', 'f1_owner');
select tests.create_user('f1000000-0000-0000-0000-000000000002', 'f1_admin');
select tests.create_user('f1000000-0000-0000-0000-000000000003', 'f1_member');
select tests.create_user('f1000000-0000-0000-0000-000000000004', 'f1_stranger');
select tests.create_user('f1000000-0000-0000-0000-000000000005', 'f1_partner5');
select tests.create_user('f1000000-0000-0000-0000-000000000006', 'f1_partner6');
select tests.create_user('f1000000-0000-0000-0000-000000000007', 'f1_partner7');
insert into parley.conversations (id, kind, title, created_by)
values ('f1c00000-0000-0000-0000-000000000001', 'group', 'F1 group', 'f1000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('f1c00000-0000-0000-0000-000000000001', 'f1000000-0000-0000-0000-000000000001', 'owner'),
  ('f1c00000-0000-0000-0000-000000000001', 'f1000000-0000-0000-0000-000000000002', 'admin'),
  ('f1c00000-0000-0000-0000-000000000001', 'f1000000-0000-0000-0000-000000000003', 'member');

-- '<sqlstate> <hint> <retry_after>' of what sql raises ('no error' when nothing): the whole refusal.
-- retry_after is shown rounded up to a multiple of 10 s: it shrinks as the clock runs, and a loaded
-- machine may take a second or more between two statements of this file.
create function pg_temp.refusal(sql text) returns text
language plpgsql
set search_path = parley, public
as $$
declare
  v_state text;
  v_hint text;
  v_detail text;
begin
  execute sql;
  return 'no error';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_hint = pg_exception_hint, v_detail = pg_exception_detail;
  return v_state || ' ' || coalesce(nullif(v_hint, ''), '-') || ' ' || coalesce((ceil((nullif(v_detail, '')::jsonb ->> 'retry_after')::numeric / 10) * 10)::integer::text, '-');
end
$$;
-- Tokens left in a user's bucket (read as postgres: the table is closed to the API roles).
create function pg_temp.tokens(user_id uuid, bucket text) returns double precision
language sql
security definer
set search_path = ''
as $$
  select b.tokens from parley_internal.rate_limit_buckets b where b.user_id = $1 and b.bucket = $2
$$;
-- Pretends an hour went by for a user's bucket.
create function pg_temp.an_hour_later(user_id uuid, bucket text) returns void
language sql
security definer
set search_path = ''
as $$
  update parley_internal.rate_limit_buckets b set refilled_at = b.refilled_at - interval '1 hour' where b.user_id = $1 and b.bucket = $2
$$;

-- The defaults
select is((select array_agg(bucket || ' ' || burst || ' ' || per_minute || ' ' || enabled order by bucket) from parley.rate_limit_rules),
  array['add_member 1000 600 true', 'call_token 30 20 true', 'create_group 10 2 true', 'invite 20 10 true', 'new_direct 20 1 true',
        'report 20 2 true', 'send_message 30 300 true', 'start_call 10 6 true', 'upload 100 60 true'],
  'RL-01 the default rules: burst and per-minute rate of every bucket');

-- Tight limits for this file's users only: 3 sends, then one every 10 s.
insert into parley.rate_limit_overrides (user_id, bucket, burst, per_minute) values
  ('f1000000-0000-0000-0000-000000000003', 'send_message', 3, 6),
  ('f1000000-0000-0000-0000-000000000003', 'new_direct', 1, 1),
  ('f1000000-0000-0000-0000-000000000003', 'create_group', 1, 1),
  ('f1000000-0000-0000-0000-000000000001', 'add_member', 2, 1),
  ('f1000000-0000-0000-0000-000000000003', 'start_call', 1, 1),
  ('f1000000-0000-0000-0000-000000000003', 'call_token', 1, 1),
  ('f1000000-0000-0000-0000-000000000003', 'upload', 1, 1);

-- send_message
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'one', client_id => 'f1a00000-0000-0000-0000-000000000001')$$),
  'no error', 'RL-02 within the burst a send succeeds');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'two')$$), 'no error', 'RL-03 the second one too');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'three')$$), 'no error', 'RL-04 and the third');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'four')$$), 'PT429 rate_limited 10',
  'RL-05 the fourth is refused: PT429 (HTTP 429), rate_limited, retry_after 10 s (one token at 6 a minute)');
select is((select last_seq from parley.conversations where id = 'f1c00000-0000-0000-0000-000000000001'), 3::bigint,
  'RL-06 a refused send writes nothing (last_seq stays 3)');
select is((select count(*) from parley.messages where conversation_id = 'f1c00000-0000-0000-0000-000000000001'), 3::bigint,
  'RL-07 and no message row');
select ok(pg_temp.tokens('f1000000-0000-0000-0000-000000000003', 'send_message') < 1,
  'RL-08 the bucket keeps what it had before the refusal (less than one token, never below zero)');
select ok(pg_temp.tokens('f1000000-0000-0000-0000-000000000003', 'send_message') >= 0, 'RL-09 a refusal takes no token');
select is((select body from parley.send_message('f1c00000-0000-0000-0000-000000000001', 'one again', client_id => 'f1a00000-0000-0000-0000-000000000001')),
  'one', 'RL-10 a retried client_id returns the first message even with the bucket empty: a replay is not counted');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'five', client_id => 'f1a00000-0000-0000-0000-000000000002')$$),
  'PT429 rate_limited 10', 'RL-11 a new client_id is counted');
select pg_temp.an_hour_later('f1000000-0000-0000-0000-000000000003', 'send_message');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'later')$$), 'no error',
  'RL-12 the bucket refills at the sustained rate');
select ok(pg_temp.tokens('f1000000-0000-0000-0000-000000000003', 'send_message') between 1.9 and 2.0,
  'RL-13 but never above the burst (3 refilled, 1 taken)');
select tests.authenticate_as('f1000000-0000-0000-0000-000000000002');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'admin speaking')$$), 'no error',
  'RL-14 buckets are per user: another member is not affected');

-- Overrides and rules
select tests.clear_authentication();
update parley.rate_limit_overrides set exempt = true
 where user_id = 'f1000000-0000-0000-0000-000000000003' and bucket = 'send_message';
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select count(*) from (select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'x' || s) from generate_series(1, 5) s) x$$),
  'no error', 'RL-15 an exempt user is not limited');
select tests.clear_authentication();
update parley.rate_limit_overrides set exempt = false
 where user_id = 'f1000000-0000-0000-0000-000000000003' and bucket = 'send_message';
update parley.rate_limit_rules set enabled = false where bucket = 'send_message';
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select count(*) from (select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'y' || s) from generate_series(1, 5) s) x$$),
  'no error', 'RL-16 a disabled rule limits nobody');
select tests.clear_authentication();
update parley.rate_limit_rules set enabled = true where bucket = 'send_message';
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select count(*) from (select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'z' || s) from generate_series(1, 3) s) x$$),
  'PT429 rate_limited 10', 'RL-17 enabled again, the bucket is where it was left: two tokens, so the third send of three is refused');

-- new_direct: only a conversation with someone new takes a token
select is(pg_temp.refusal($$select parley.get_or_create_direct_conversation('f1000000-0000-0000-0000-000000000005')$$), 'no error',
  'RL-18 a first direct conversation is started');
select is(pg_temp.refusal($$select parley.get_or_create_direct_conversation('f1000000-0000-0000-0000-000000000005')$$), 'no error',
  'RL-19 asking for the same one again is free');
select is(pg_temp.refusal($$select parley.get_or_create_direct_conversation('f1000000-0000-0000-0000-000000000006')$$), 'PT429 rate_limited 60',
  'RL-20 a second new direct conversation is refused (new_direct, retry_after 60 s)');
select is(pg_temp.refusal($$select parley.send_direct_message('f1000000-0000-0000-0000-000000000007', 'hi stranger')$$), 'PT429 rate_limited 60',
  'RL-21 send_direct_message to someone new is refused the same way');
select is((select count(*) from parley.conversations where direct_key like '%f1000000-0000-0000-0000-000000000003%'), 1::bigint,
  'RL-22 a refused start leaves no conversation or membership behind');

-- create_group and add_member
select is(pg_temp.refusal($$select parley.create_group('F1 first')$$), 'no error', 'RL-23 a first group is created');
select is(pg_temp.refusal($$select parley.create_group('F1 second')$$), 'PT429 rate_limited 60', 'RL-24 the second is refused (create_group)');
select is((select count(*) from parley.conversations where title like 'F1 %' and created_by = 'f1000000-0000-0000-0000-000000000003'), 1::bigint,
  'RL-25 the refused group does not exist');
select tests.authenticate_as('f1000000-0000-0000-0000-000000000001');
select is(pg_temp.refusal($$select parley.add_members('f1c00000-0000-0000-0000-000000000001', array['f1000000-0000-0000-0000-000000000004', 'f1000000-0000-0000-0000-000000000005']::uuid[])$$),
  'no error', 'RL-26 adding two members takes two add_member tokens');
select is(pg_temp.refusal($$select parley.add_members('f1c00000-0000-0000-0000-000000000001', array['f1000000-0000-0000-0000-000000000005']::uuid[])$$),
  'no error', 'RL-27 re-adding a member is free');
select is(pg_temp.refusal($$select parley.add_members('f1c00000-0000-0000-0000-000000000001', array['f1000000-0000-0000-0000-000000000006']::uuid[])$$),
  'PT429 rate_limited 60', 'RL-28 one more is refused (add_member)');
select is((select count(*) from parley.conversation_members where conversation_id = 'f1c00000-0000-0000-0000-000000000001')
          + (select count(*) from parley.group_invitations where conversation_id = 'f1c00000-0000-0000-0000-000000000001' and status = 'pending'), 5::bigint,
  'RL-29 the refused member was neither added nor invited (the two strangers to the owner were invited)');
select is(pg_temp.refusal($$select parley.create_group('F1 owner''s', member_ids => array['f1000000-0000-0000-0000-000000000006']::uuid[])$$),
  'PT429 rate_limited 60', 'RL-30 create_group with members takes add_member tokens too');

-- start_call and call_token
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
create temp table f1_calls (id uuid);
grant all on f1_calls to authenticated;
insert into f1_calls select id from parley.start_call('f1c00000-0000-0000-0000-000000000001');
select is((select count(*) from f1_calls), 1::bigint, 'RL-31 a first call is started');
select is(pg_temp.refusal($$select parley.get_call_grant((select id from f1_calls))$$), 'no error', 'RL-32 a first call token is granted');
select is(pg_temp.refusal($$select parley.get_call_grant((select id from f1_calls))$$), 'PT429 rate_limited 60',
  'RL-33 the second call-token request is refused (call_token)');
select is(pg_temp.refusal($$select parley.start_call('f1c00000-0000-0000-0000-000000000001')$$), 'no error',
  'RL-34 start_call on a live call joins it and is free');
select lives_ok($$select parley.end_call((select id from f1_calls))$$, 'the call ends');
select is(pg_temp.refusal($$select parley.start_call('f1c00000-0000-0000-0000-000000000001')$$), 'PT429 rate_limited 60',
  'RL-35 starting a new call is refused (start_call)');
select is((select count(*) from parley.calls where conversation_id = 'f1c00000-0000-0000-0000-000000000001'), 1::bigint,
  'RL-36 the refused call does not exist');

-- uploads into parley-attachments
select is(pg_temp.refusal($$insert into storage.objects (bucket_id, name, owner_id, metadata)
  values ('parley-attachments', 'f1c00000-0000-0000-0000-000000000001/a.png', 'f1000000-0000-0000-0000-000000000003', '{"size": 1, "mimetype": "image/png"}')$$),
  'no error', 'RL-37 a first upload is stored');
select is(pg_temp.refusal($$insert into storage.objects (bucket_id, name, owner_id, metadata)
  values ('parley-attachments', 'f1c00000-0000-0000-0000-000000000001/b.png', 'f1000000-0000-0000-0000-000000000003', '{"size": 1, "mimetype": "image/png"}')$$),
  'PT429 rate_limited 60', 'RL-38 the second is refused (upload)');
select tests.clear_authentication();
select is((select count(*) from storage.objects where name like 'f1c00000-0000-0000-0000-000000000001/%'), 1::bigint,
  'RL-39 the refused object is not stored');

-- Slow mode
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select parley.set_slow_mode('f1c00000-0000-0000-0000-000000000001', 30)$$), '42501 insufficient_role -',
  'RL-40 a member cannot set slow mode');
select tests.authenticate_as('f1000000-0000-0000-0000-000000000002');
select is(pg_temp.refusal($$select parley.set_slow_mode('f1c00000-0000-0000-0000-000000000001', 21601)$$), '22023 slow_mode_invalid -',
  'RL-41 more than 6 hours is refused');
select is((select slow_mode_seconds from parley.set_slow_mode('f1c00000-0000-0000-0000-000000000001', 30)), 30,
  'RL-42 an admin sets slow mode');
select is((select metadata ->> 'event' from parley.messages where conversation_id = 'f1c00000-0000-0000-0000-000000000001' order by seq desc limit 1),
  'slow_mode_changed', 'RL-43 members are told with a system message');
select tests.clear_authentication();
update parley.rate_limit_overrides set exempt = true where user_id = 'f1000000-0000-0000-0000-000000000003' and bucket = 'send_message';
update parley.conversation_members set last_sent_at = null
 where conversation_id = 'f1c00000-0000-0000-0000-000000000001' and user_id = 'f1000000-0000-0000-0000-000000000003';
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'slow one')$$), 'no error',
  'RL-44 in slow mode a member sends one message');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'slow two')$$), 'PT429 slow_mode 30',
  'RL-45 the next within the interval is refused: PT429 slow_mode, retry_after the seconds left');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'slow one', client_id => 'f1a00000-0000-0000-0000-000000000001')$$),
  'no error', 'RL-46 a replayed client_id is still answered');
select tests.clear_authentication();
update parley.conversation_members set last_sent_at = last_sent_at - interval '31 seconds'
 where conversation_id = 'f1c00000-0000-0000-0000-000000000001' and user_id = 'f1000000-0000-0000-0000-000000000003';
select tests.authenticate_as('f1000000-0000-0000-0000-000000000003');
select is(pg_temp.refusal($$select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'slow three')$$), 'no error',
  'RL-47 after the interval the member may send again');
select tests.authenticate_as('f1000000-0000-0000-0000-000000000001');
select is(pg_temp.refusal($$select count(*) from (select parley.send_message('f1c00000-0000-0000-0000-000000000001', 'owner ' || s) from generate_series(1, 3) s) x$$),
  'no error', 'RL-48 owners (and admins) are exempt from slow mode');
select is(pg_temp.refusal($$select parley.set_slow_mode((select id from parley.get_or_create_direct_conversation('f1000000-0000-0000-0000-000000000002')), 10)$$),
  '22023 not_a_group -', 'RL-49 slow mode is for groups only');

-- Who reads and writes the settings
select tests.authenticate_as('f1000000-0000-0000-0000-000000000004');
select is((select count(*) from parley.rate_limit_rules), 9::bigint, 'RL-50 every user reads the rules');
select is((select count(*) from parley.rate_limit_overrides), 0::bigint, 'RL-51 but only their own overrides (a stranger sees none of the others'')');
select is(tests.error_of($$update parley.rate_limit_rules set burst = 1000000$$) || ' / ' || tests.error_of($$insert into parley.rate_limit_overrides (user_id, bucket, exempt) values ('f1000000-0000-0000-0000-000000000004', 'send_message', true)$$)
          || ' / ' || tests.error_of($$select * from parley_internal.rate_limit_buckets$$),
  '42501 - / 42501 - / 42501 -', 'RL-52 users cannot change rules, grant themselves overrides or read bucket state');

select * from finish();
rollback;
