-- Delivery and read receipts (receipts.sql): delivered and read cursors, list_receipts /
-- message_receipts, the hide-read-receipts setting (user_settings), the events they send, and what
-- co-members may read of each other's membership rows.
-- IDs: RCP-xx.
begin;
select plan(40);
-- Adds here are memberships at once (consent for group adds is tested in supabase/tests/safety/).
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;

-- Cast (prefix ce): ann 01, bob 02, cat 03 (ann's group), dan 04 (outside everything).
select tests.create_user('ce000000-0000-0000-0000-000000000001', 'ce_ann');
select tests.create_user('ce000000-0000-0000-0000-000000000002', 'ce_bob');
select tests.create_user('ce000000-0000-0000-0000-000000000003', 'ce_cat');
select tests.create_user('ce000000-0000-0000-0000-000000000004', 'ce_dan');
create temp table ids (name text primary key, id uuid);
grant all on ids to authenticated, service_role;
create function pg_temp.id(p_name text) returns uuid language sql as $f$ select id from ids where name = p_name $f$;

-- The realtime rows written since the last call, as sorted 'event topic' strings (the user topic by
-- its last two digits), consumed.
create temp table seen (topic text, event text, payload jsonb);
create function pg_temp.events() returns text[] language plpgsql as $f$
declare v text[];
begin
  truncate seen;
  with d as (delete from realtime.messages m returning m.topic, m.event, m.payload)
  insert into seen select * from d;
  select coalesce(array_agg(s.event || ' ' || case when s.topic like 'user:%' then 'user:' || right(s.topic, 2) else s.topic end
                            order by s.event, s.topic), '{}') into v from seen s;
  return v;
end $f$;
create function pg_temp.payload(p_topic_suffix text, p_event text) returns jsonb language sql as $f$
  select s.payload - 'id' - 'read_at' - 'delivered_at' from seen s where right(s.topic, 2) = p_topic_suffix and s.event = p_event;
$f$;

select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
insert into ids select 'direct', id from parley.get_or_create_direct_conversation('ce000000-0000-0000-0000-000000000002');
insert into ids select 'd1', id from parley.send_message(pg_temp.id('direct'), 'one');
insert into ids select 'd2', id from parley.send_message(pg_temp.id('direct'), 'two');
insert into ids select 'group', id from parley.create_group('CE', null,
  array['ce000000-0000-0000-0000-000000000002', 'ce000000-0000-0000-0000-000000000003']::uuid[]);
insert into ids select 'g1', id from parley.send_message(pg_temp.id('group'), 'hello group');
select tests.clear_authentication();
select pg_temp.events();

-- Ticks in a direct conversation: sent, then delivered, then read.
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select status from parley.message_receipts(pg_temp.id('d2'))), 'sent', 'RCP-01 a message nobody received is sent');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
select is(parley.mark_delivered(pg_temp.id('direct'), 1), 1::bigint, 'RCP-02 mark_delivered returns the new delivered cursor');
select tests.clear_authentication();
select is(pg_temp.events(), array['member_delivered user:01', 'member_delivered user:02', 'membership_updated user:02'],
  'RCP-03 in a direct conversation a delivery is a member_delivered to both, plus the deliverer''s other devices');
select is(pg_temp.payload('01', 'member_delivered'),
  jsonb_build_object('conversation_id', pg_temp.id('direct'), 'user_id', 'ce000000-0000-0000-0000-000000000002', 'last_delivered_seq', 1),
  'RCP-04 member_delivered says who received up to which seq');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select array[status, delivered_count::text, read_count::text, recipient_count::text] from parley.message_receipts(pg_temp.id('d1'))),
  array['delivered', '1', '0', '1'], 'RCP-05 the sender sees the first message delivered');
select is((select status from parley.message_receipts(pg_temp.id('d2'))), 'sent', 'RCP-06 and the second still only sent');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
select is(parley.mark_delivered(pg_temp.id('direct'), 1), 1::bigint, 'RCP-07 delivering again returns the same cursor');
select is(parley.mark_delivered(pg_temp.id('direct'), 0), 1::bigint, 'RCP-08 and a lower seq never moves it back');
select tests.clear_authentication();
select is(pg_temp.events(), '{}'::text[], 'RCP-09 a delivery that moves nothing sends nothing');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
select is(parley.mark_delivered(pg_temp.id('direct')), 2::bigint, 'RCP-10 without seq it delivers up to the last message');
select parley.mark_read(pg_temp.id('direct'), 2);
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select status from parley.message_receipts(pg_temp.id('d2'))), 'read', 'RCP-11 read once the recipient read it');
select is((select array[last_delivered_seq, last_read_seq] from parley.list_receipts(pg_temp.id('direct'))
            where user_id = 'ce000000-0000-0000-0000-000000000002'), array[2, 2]::bigint[],
  'RCP-12 list_receipts shows the other person''s delivered and read cursors');
select tests.clear_authentication();
select is(pg_temp.events(), array['member_delivered user:01', 'member_delivered user:02', 'member_read user:01', 'member_read user:02',
                                 'membership_updated user:02', 'membership_updated user:02'],
  'RCP-13 the delivery and then the read each reach both people');
select is(pg_temp.payload('01', 'member_read') - 'message_id',
  jsonb_build_object('conversation_id', pg_temp.id('direct'), 'user_id', 'ce000000-0000-0000-0000-000000000002',
                     'last_read_seq', 2, 'last_delivered_seq', 2),
  'RCP-14 member_read carries the delivered cursor too');

-- Reading delivers: mark_read moves the delivered cursor with it.
select tests.authenticate_as('ce000000-0000-0000-0000-000000000003');
select parley.mark_read(pg_temp.id('group'));
select is((select last_delivered_seq from parley.list_receipts(pg_temp.id('group')) where user_id = 'ce000000-0000-0000-0000-000000000003'),
  (select seq from parley.messages where id = pg_temp.id('g1')), 'RCP-15 what a member read counts as delivered to them');

-- Groups: counts on request, no event per delivery.
select tests.clear_authentication();
select pg_temp.events();
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
select parley.mark_delivered(pg_temp.id('group'));
select tests.clear_authentication();
select is(pg_temp.events(), array['membership_updated user:02'],
  'RCP-16 in a group a delivery reaches only the deliverer''s own devices (no event per member per message)');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select array[status, recipient_count::text, delivered_count::text, read_count::text] from parley.message_receipts(pg_temp.id('g1'))),
  array['delivered', '2', '2', '1'], 'RCP-17 a group message counts its recipients, deliveries and reads (the sender is no recipient)');

-- Hiding read receipts.
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
insert into parley.user_settings (user_id, hide_read_receipts) values ('ce000000-0000-0000-0000-000000000002', true)
  on conflict (user_id) do update set hide_read_receipts = excluded.hide_read_receipts;
select is((select hide_read_receipts from parley.user_settings), true, 'RCP-18 a user turns read receipts off with an upsert of their own row');
select parley.mark_read(pg_temp.id('group'));
select tests.clear_authentication();
select is(pg_temp.events(), array['membership_updated user:02'],
  'RCP-19 a member hiding read receipts reads without any member_read; their own devices still follow');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select last_read_seq from parley.list_receipts(pg_temp.id('group')) where user_id = 'ce000000-0000-0000-0000-000000000002'), null,
  'RCP-20 co-members see no read cursor for them');
select is((select last_delivered_seq from parley.list_receipts(pg_temp.id('group')) where user_id = 'ce000000-0000-0000-0000-000000000002'),
  (select seq from parley.messages where id = pg_temp.id('g1')), 'RCP-21 but still what was delivered');
select is((select array[status, read_count::text] from parley.message_receipts(pg_temp.id('g1'))), array['delivered', '1'],
  'RCP-22 nor count them as a reader');
select is((select last_read_seq from parley.list_members(pg_temp.id('group')) where user_id = 'ce000000-0000-0000-0000-000000000002'), null,
  'RCP-23 list_members hides it the same way');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
select isnt((select last_read_seq from parley.list_receipts(pg_temp.id('group')) where user_id = 'ce000000-0000-0000-0000-000000000002'), null,
  'RCP-24 the member still sees their own cursor');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
insert into ids select 'd3', id from parley.send_message(pg_temp.id('direct'), 'three');
select tests.clear_authentication();
select pg_temp.events();
select tests.authenticate_as('ce000000-0000-0000-0000-000000000002');
select parley.mark_read(pg_temp.id('direct'));
select tests.clear_authentication();
select is(pg_temp.events(), array['member_delivered user:01', 'member_delivered user:02', 'membership_updated user:02'],
  'RCP-25 in a direct conversation their reading shows only as a delivery');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select status from parley.message_receipts(pg_temp.id('d3'))), 'delivered', 'RCP-26 so the sender''s ticks stop at delivered');

-- The settings row is its owner's alone.
select tests.authenticate_as('ce000000-0000-0000-0000-000000000001');
select is((select count(*) from parley.user_settings), 0::bigint, 'RCP-27 nobody reads another user''s settings');
select is(tests.error_of($$insert into parley.user_settings (user_id, hide_read_receipts) values ('ce000000-0000-0000-0000-000000000002', false)$$),
  '42501 -', 'RCP-28 nor writes them');
select is(tests.rows_affected($$update parley.user_settings set hide_read_receipts = false$$), 0::bigint,
  'RCP-29 an update reaches only the caller''s own row');

-- What co-members may read of each other's rows.
select is(tests.error_of($$select last_read_seq from parley.conversation_members where conversation_id = pg_temp.id('group')$$),
  '42501 -', 'RCP-30 a member cannot read co-members'' read cursors from the table');
select is(tests.error_of($$select muted_until, hidden_at, mention_count from parley.conversation_members where conversation_id = pg_temp.id('group')$$),
  '42501 -', 'RCP-31 nor whether they muted or hid the conversation, nor their mentions');
select is((select count(*) from parley.conversation_members where conversation_id = pg_temp.id('group')), 3::bigint,
  'RCP-32 but reads who is in it');

-- Refusals.
select is(tests.error_of($$select parley.mark_delivered(pg_temp.id('direct'), 99)$$), '22023 seq_out_of_range',
  'RCP-33 a seq past the last message is refused');
select is(tests.error_of($$select parley.mark_delivered(pg_temp.id('direct'), -1)$$), '22023 seq_out_of_range',
  'RCP-34 and a negative one');
select tests.authenticate_as('ce000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.mark_delivered(pg_temp.id('group'))$$), 'PT404 conversation_not_found',
  'RCP-35 a non-member cannot deliver');
select is(tests.error_of($$select * from parley.list_receipts(pg_temp.id('group'))$$), 'PT404 conversation_not_found',
  'RCP-36 nor list receipts');
select is(tests.error_of($$select * from parley.message_receipts(pg_temp.id('g1'))$$), 'PT404 message_not_found',
  'RCP-37 nor count a message''s receipts');
select tests.authenticate_as_anon();
select is(tests.error_of($$select parley.mark_delivered(pg_temp.id('group'))$$), '42501 -', 'RCP-38 anon has no execute grant');
select is(tests.error_of($$select 1 from parley.user_settings$$), '42501 -', 'RCP-39 nor any grant on user_settings');
select tests.authenticate_as_service_role();
select is(tests.error_of($$select parley.mark_delivered(pg_temp.id('group'))$$), '42501 not_authenticated',
  'RCP-40 mark_delivered needs a signed-in user');

select * from finish();
rollback;
