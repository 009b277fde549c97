-- Push notifications: devices and preferences under RLS for every role, the outbox rules (sender, mute,
-- mention through a mute, block, active, collapse, private previews), the dispatcher's lease and outcomes,
-- and the call rings with their cancels. IDs: docs/push.md § Tests (PSH-xx).
begin;
select plan(89);
-- npm test points the webhook at the stack (test/support/push-recorder.ts); this file starts without a target.
delete from parley_internal.push_dispatch_target;

-- Cast (prefix d2): alice 01 sends; bob 02 has devices; carol 03 muted the group; dave 04 has no device;
-- erin 05 blocked alice; frank 06 is active; gina 07 is a stranger.
select tests.create_user('d2000000-0000-0000-0000-000000000001', 'd2_alice');
select tests.create_user('d2000000-0000-0000-0000-000000000002', 'd2_bob');
select tests.create_user('d2000000-0000-0000-0000-000000000003', 'd2_carol');
select tests.create_user('d2000000-0000-0000-0000-000000000004', 'd2_dave');
select tests.create_user('d2000000-0000-0000-0000-000000000005', 'd2_erin');
select tests.create_user('d2000000-0000-0000-0000-000000000006', 'd2_frank');
select tests.create_user('d2000000-0000-0000-0000-000000000007', 'd2_gina');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('d2c00000-0000-0000-0000-000000000001', 'direct', 'd2000000-0000-0000-0000-000000000001:d2000000-0000-0000-0000-000000000002',
   'd2000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, title, created_by) values
  ('d2c00000-0000-0000-0000-000000000002', 'group', 'D2 group', 'd2000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role, muted_until) values
  ('d2c00000-0000-0000-0000-000000000001', 'd2000000-0000-0000-0000-000000000001', 'member', null),
  ('d2c00000-0000-0000-0000-000000000001', 'd2000000-0000-0000-0000-000000000002', 'member', null),
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000001', 'owner', null),
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000002', 'member', null),
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000003', 'member', now() + interval '1 day'),
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000004', 'member', null),
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000005', 'member', null),
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000006', 'member', null);
insert into parley.blocks (blocker_id, blocked_id) values ('d2000000-0000-0000-0000-000000000005', 'd2000000-0000-0000-0000-000000000001');
insert into parley.push_devices (id, user_id, provider, token, platform) values
  ('d2d00000-0000-0000-0000-000000000001', 'd2000000-0000-0000-0000-000000000001', 'fcm', 'd2-alice-fcm-token-0000000001', 'android'),
  ('d2d00000-0000-0000-0000-000000000003', 'd2000000-0000-0000-0000-000000000003', 'fcm', 'd2-carol-fcm-token-0000000003', 'android'),
  ('d2d00000-0000-0000-0000-000000000005', 'd2000000-0000-0000-0000-000000000005', 'fcm', 'd2-erin-fcm-token-00000000005', 'android'),
  ('d2d00000-0000-0000-0000-000000000006', 'd2000000-0000-0000-0000-000000000006', 'fcm', 'd2-frank-fcm-token-0000000006', 'android');
insert into parley.push_preferences (user_id, active_at) values ('d2000000-0000-0000-0000-000000000006', now());

-- Devices: registration ---------------------------------------------------------------------------------
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
create temp table d2_ids (name text primary key, id uuid);
grant all on d2_ids to authenticated, service_role, anon;
insert into d2_ids select 'bob_fcm', id from parley.register_push_device('fcm', 'd2-bob-fcm-token-000000000002', 'android', 'com.example.chat');
select is((select user_id from parley.push_devices where id = (select id from d2_ids where name = 'bob_fcm')),
  'd2000000-0000-0000-0000-000000000002'::uuid, 'PSH-01 register_push_device stores the caller''s FCM token');
select is((select id from parley.register_push_device('fcm', 'd2-bob-fcm-token-000000000002', 'android', 'com.example.chat')),
  (select id from d2_ids where name = 'bob_fcm'), 'PSH-02 registering the same token again returns the same row');
insert into d2_ids select 'bob_web', id from parley.register_push_device('webpush', 'https://push.example.test/send/d2-bob', 'web', null,
  '{"p256dh": "BOr4Tj2n3TMVSmMmHKlJ1hCSmX1dOhoIRkqcPBx5XG7X4v6D0wv9oW7rmqr-y4pQ-xnMSUkEh8bNn8h0EgdLDBo", "auth": "Zc2m0k5c6xg-P1a2LGwQxQ"}');
select is((select count(*) from parley.push_devices), 2::bigint, 'PSH-03 bob reads his two devices and no one else''s');
select is(tests.error_of($$select parley.register_push_device('gcm', 'd2-bob-fcm-token-000000000009', 'android')$$), '22023 push_provider_invalid',
  'PSH-04 an unknown provider is refused');
select is(tests.error_of($$select parley.register_push_device('fcm', 'short', 'android')$$), '22023 push_token_invalid',
  'PSH-05 a malformed FCM token is refused');
select is(tests.error_of($$select parley.register_push_device('expo', 'NotAnExpoToken', 'ios')$$), '22023 push_token_invalid',
  'PSH-06 a malformed Expo token is refused');
select is(tests.error_of($$select parley.register_push_device('apns', repeat('ab', 32), 'ios')$$), '22023 push_app_id_invalid',
  'PSH-07 an APNs token needs the app''s bundle id');
select is(tests.error_of($$select parley.register_push_device('webpush', 'http://evil.example.test/hook', 'web', null,
  '{"p256dh": "BOr4Tj2n3TMVSmMmHKlJ1hCSmX1dOhoIRkqcPBx5XG7X4v6D0wv9oW7rmqr-y4pQ-xnMSUkEh8bNn8h0EgdLDBo", "auth": "Zc2m0k5c6xg-P1a2LGwQxQ"}')$$),
  '22023 push_token_invalid', 'PSH-08 a Web Push endpoint must be https (plain http only to this machine)');
select is(tests.error_of($$select parley.register_push_device('webpush', 'https://push.example.test/x', 'web', null, '{"p256dh": "short", "auth": "x"}')$$),
  '22023 push_subscription_invalid', 'PSH-09 a Web Push subscription needs its p256dh and auth keys');
select is(tests.error_of($$select parley.register_push_device('fcm', 'd2-bob-fcm-token-000000000009', 'android', null, '{"auth": "x"}')$$),
  '22023 push_subscription_invalid', 'PSH-10 keys on a non-Web Push token are refused');
select is(tests.error_of($$select parley.register_push_device('webpush', 'https://push.example.test/y', 'ios', null,
  '{"p256dh": "BOr4Tj2n3TMVSmMmHKlJ1hCSmX1dOhoIRkqcPBx5XG7X4v6D0wv9oW7rmqr-y4pQ-xnMSUkEh8bNn8h0EgdLDBo", "auth": "Zc2m0k5c6xg-P1a2LGwQxQ"}')$$),
  '22023 push_platform_invalid', 'PSH-11 a Web Push subscription is a web device');
select is((select count(*) from parley.push_devices), 2::bigint, 'PSH-12 the refusals stored nothing');
select is(tests.error_of($$insert into parley.push_devices (user_id, provider, token, platform) values ('d2000000-0000-0000-0000-000000000002', 'fcm', 'd2-direct-insert-token-0000', 'android')$$),
  '42501 -', 'PSH-13 nobody inserts devices directly');
select is(tests.error_of($$update parley.push_devices set user_id = 'd2000000-0000-0000-0000-000000000007'$$), '42501 -',
  'PSH-14 nor updates them');

-- The same phone, another account: the token moves to the new account.
select tests.authenticate_as('d2000000-0000-0000-0000-000000000007');
select is((select id from parley.register_push_device('fcm', 'd2-bob-fcm-token-000000000002', 'android', 'com.example.chat')),
  (select id from d2_ids where name = 'bob_fcm'), 'PSH-15 another account registering the token gets the same row');
select is((select user_id from parley.push_devices where token = 'd2-bob-fcm-token-000000000002'), 'd2000000-0000-0000-0000-000000000007'::uuid,
  'PSH-16 and owns it now');
select is(tests.rows_affected($$delete from parley.push_devices where token = 'https://push.example.test/send/d2-bob'$$), 0::bigint,
  'PSH-17 a stranger cannot delete someone else''s device');
select is(parley.unregister_push_device('https://push.example.test/send/d2-bob'), false, 'PSH-18 nor unregister it');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select is((select count(*) from parley.push_devices), 1::bigint, 'PSH-19 bob no longer sees the token that moved, his Web Push device is untouched');
select is((select id from parley.register_push_device('fcm', 'd2-bob-fcm-token-000000000002', 'android', 'com.example.chat')),
  (select id from d2_ids where name = 'bob_fcm'), 'PSH-20 and takes it back by registering again');
select is(parley.unregister_push_device('d2-never-registered-token-000'), false, 'PSH-21 unregistering an unknown token is a no-op');

-- Anonymous key: nothing.
select tests.authenticate_as_anon();
select is(tests.error_of($$select count(*) from parley.push_devices$$), '42501 -', 'PSH-22 anon cannot read devices');
select is(tests.error_of($$select parley.register_push_device('fcm', 'd2-anon-fcm-token-0000000000', 'android')$$), '42501 -',
  'PSH-23 anon cannot register');
select is(tests.error_of($$select parley.mark_active()$$), '42501 -', 'PSH-24 anon has no heartbeat');
select is(tests.error_of($$select count(*) from parley.push_preferences$$), '42501 -', 'PSH-25 anon cannot read preferences');

-- Preferences and the heartbeat.
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select is((select private_previews from parley.set_push_preferences(false)), false, 'PSH-26 set_push_preferences stores the caller''s row');
select is(tests.error_of($$update parley.push_preferences set active_at = now() + interval '1 year'$$), '42501 -',
  'PSH-27 nobody writes active_at directly (only mark_active)');
select is(parley.mark_active(), now(), 'PSH-28 mark_active records now');
select is(parley.mark_active(false), null, 'PSH-29 mark_active(false): in the background at once');
select tests.clear_authentication();
update parley.push_preferences set active_at = now() - interval '5 seconds' where user_id = 'd2000000-0000-0000-0000-000000000002';
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select is(parley.mark_active(), now() - interval '5 seconds', 'PSH-30 a beat within 10 s of the last one is not rewritten');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000007');
select is((select count(*) from parley.push_preferences), 0::bigint, 'PSH-31 users read only their own preferences');
select tests.clear_authentication();
update parley.push_preferences set active_at = null where user_id = 'd2000000-0000-0000-0000-000000000002';

-- Grants of the internals.
select is(has_table_privilege('authenticated', 'parley_internal.push_jobs', 'select'), false, 'PSH-32 users cannot read the outbox');
select is(has_function_privilege('authenticated', 'parley.service_role_claim_push_jobs(integer,integer)', 'execute')
       or has_function_privilege('authenticated', 'parley.service_role_finish_push_job(uuid,uuid,jsonb)', 'execute')
       or has_function_privilege('anon', 'parley.service_role_claim_push_jobs(integer,integer)', 'execute'), false,
  'PSH-33 nor call the dispatcher''s RPCs');
select is(has_function_privilege('service_role', 'parley.service_role_claim_push_jobs(integer,integer)', 'execute')
      and has_function_privilege('service_role', 'parley.service_role_finish_push_job(uuid,uuid,jsonb)', 'execute'), true,
  'PSH-34 the service role can');

select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select is(tests.rows_affected($$delete from parley.push_devices where token = 'https://push.example.test/send/d2-bob'$$), 1::bigint,
  'PSH-35 a user deletes their own device directly');
update d2_ids set id = (select id from parley.register_push_device('webpush', 'https://push.example.test/send/d2-bob', 'web', null,
  '{"p256dh": "BOr4Tj2n3TMVSmMmHKlJ1hCSmX1dOhoIRkqcPBx5XG7X4v6D0wv9oW7rmqr-y4pQ-xnMSUkEh8bNn8h0EgdLDBo", "auth": "Zc2m0k5c6xg-P1a2LGwQxQ"}'))
 where name = 'bob_web';
select is(tests.error_of($$insert into parley.push_preferences (user_id, private_previews) values ('d2000000-0000-0000-0000-000000000002', true)$$)
          || ' / ' || tests.error_of($$delete from parley.push_preferences$$), '42501 - / 42501 -',
  'PSH-36 nobody inserts or deletes preferences directly');
select tests.authenticate_as_service_role();
select is((select count(*) from parley.push_devices where token like 'd2-%' or token like 'https://push.example.test/%'), 6::bigint,
  'PSH-37 the service role reads every device');
select tests.clear_authentication();
select is(has_table_privilege('authenticated', 'parley_internal.push_jobs', 'insert') or has_table_privilege('anon', 'parley_internal.push_jobs', 'select')
       or has_table_privilege('authenticated', 'parley_internal.push_deliveries', 'select'), false,
  'PSH-38 nor write the outbox or read the delivery log');

-- Enqueue rules ---------------------------------------------------------------------------------------------
-- A send writes one push_outbox row with its recipients; the dispatcher's lease folds the rows into
-- per-member notifications (push_jobs). d2_fold() is that fold, as claim_push_jobs runs it.
create function pg_temp.d2_fold() returns integer language sql as $$ select parley_internal.fold_push_outbox(200, 5) $$;
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'message 1');
select tests.clear_authentication();
select is((select array_agg(recipients) from parley_internal.push_outbox where conversation_id = 'd2c00000-0000-0000-0000-000000000002'),
  array[array['d2000000-0000-0000-0000-000000000002'::uuid]],
  'PSH-40 a group message writes one outbox row for bob only: not the sender, not muted carol, not dave (no device), not erin (blocked alice), not active frank');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'message ' || n) from generate_series(2, 10) n;
select tests.clear_authentication();
select is((select count(*) from parley_internal.push_outbox where conversation_id = 'd2c00000-0000-0000-0000-000000000002'), 10::bigint,
  'PSH-39 one outbox row per message, however many recipients');
select is(pg_temp.d2_fold(), 10, 'PSH-51 the fold takes the ten rows');
select is((select message_count || ' ' || seq || ' ' || status from parley_internal.push_jobs
            where conversation_id = 'd2c00000-0000-0000-0000-000000000002' and user_id = 'd2000000-0000-0000-0000-000000000002'),
  '10 10 pending', 'PSH-41 ten quick messages collapse into one pending notification with a count, pointing at the newest');
select is((select count(*) from parley_internal.push_outbox), 0::bigint, 'PSH-52 and deletes the folded rows');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'hey carol, erin', metadata => jsonb_build_object('mentions',
  jsonb_build_array('d2000000-0000-0000-0000-000000000003', 'd2000000-0000-0000-0000-000000000005')));
select tests.clear_authentication();
select is((select array_to_string(array(select unnest(recipients) order by 1), ',') || ' | ' || array_to_string(mentioned, ',')
             from parley_internal.push_outbox where conversation_id = 'd2c00000-0000-0000-0000-000000000002'),
  'd2000000-0000-0000-0000-000000000002,d2000000-0000-0000-0000-000000000003 | d2000000-0000-0000-0000-000000000003',
  'PSH-53 the row carries bob and carol, and that carol is mentioned');
select pg_temp.d2_fold();
select is((select mentioned::text || ' ' || message_count from parley_internal.push_jobs
            where conversation_id = 'd2c00000-0000-0000-0000-000000000002' and user_id = 'd2000000-0000-0000-0000-000000000003'),
  'true 1', 'PSH-42 a mention reaches carol through her mute');
select is((select mentioned::text || ' ' || message_count || ' ' || seq from parley_internal.push_jobs
            where conversation_id = 'd2c00000-0000-0000-0000-000000000002' and user_id = 'd2000000-0000-0000-0000-000000000002'),
  'false 11 11', 'PSH-54 a later fold adds to bob''s pending notification (count 11, the newest message)');
select is((select count(*) from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000005'), 0::bigint,
  'PSH-43 a block wins over a mention: erin hears nothing from alice');
update parley.push_preferences set active_at = now() - interval '61 seconds' where user_id = 'd2000000-0000-0000-0000-000000000006';
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'direct hello');
select tests.clear_authentication();
select is((select array_agg(recipients) from parley_internal.push_outbox where conversation_id = 'd2c00000-0000-0000-0000-000000000001'),
  array[array['d2000000-0000-0000-0000-000000000002'::uuid]], 'PSH-44 the sender is never a recipient (alice has a device)');
insert into parley.settings (key, value) values ('push_offline_after_seconds', '120');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'message 12');
select tests.clear_authentication();
select pg_temp.d2_fold();
select is((select count(*) from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000006'), 0::bigint,
  'PSH-45 with push_offline_after_seconds 120 a heartbeat 61 s ago still counts as active');
delete from parley.settings where key = 'push_offline_after_seconds';
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'message 13');
select tests.clear_authentication();
select pg_temp.d2_fold();
select is((select count(*) from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000006'), 1::bigint,
  'PSH-46 by default (60 s) frank is offline now and gets one');
select is(tests.error_of($$insert into parley.settings (key, value) values ('push_offline_after_seconds', '0')$$), '23514 -',
  'PSH-47 the setting must be a whole number of seconds, at least 1');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('d2c00000-0000-0000-0000-000000000003', 'direct', 'd2000000-0000-0000-0000-000000000001:d2000000-0000-0000-0000-000000000004',
   'd2000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('d2c00000-0000-0000-0000-000000000003', 'd2000000-0000-0000-0000-000000000001', 'member'),
  ('d2c00000-0000-0000-0000-000000000003', 'd2000000-0000-0000-0000-000000000004', 'member');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000003', 'dave has no phone');
select tests.clear_authentication();
select is((select count(*) from parley_internal.push_outbox), 0::bigint, 'PSH-48 a message nobody should hear (dave has no device) writes no outbox row');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'x', metadata => '{"mentions": ["nobody"]}')$$),
  '22023 mentions_invalid', 'PSH-49 a malformed mention list is refused and enqueues nothing');
select tests.clear_authentication();
select is((select count(*) from parley_internal.push_outbox), 0::bigint, 'PSH-55 (the refused send left no outbox row)');
select is((select message_count from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000002'
            and conversation_id = 'd2c00000-0000-0000-0000-000000000002' and status = 'pending'), 13,
  'PSH-50 bob''s pending group notification counts the 13 messages that went through');

-- Dispatching ---------------------------------------------------------------------------------------------
create temp table d2_claim (batch jsonb);
grant all on d2_claim to service_role;
-- Only bob's jobs are due for this test; others' wait.
update parley_internal.push_jobs set due_at = now() + interval '1 hour', leased_until = greatest(leased_until, now() + interval '1 hour')
 where user_id <> 'd2000000-0000-0000-0000-000000000002';
select tests.authenticate_as_service_role();
insert into d2_claim select parley.service_role_claim_push_jobs(50, 60);
select is((select jsonb_array_length(batch) from d2_claim), 2, 'PSH-60 the claim leases bob''s two jobs (group and direct)');
select is((select j ->> 'title' || ' | ' || (j ->> 'body') from d2_claim, jsonb_array_elements(batch) j where j -> 'data' ->> 'conversation_id' = 'd2c00000-0000-0000-0000-000000000002'),
  'D2 group | 13 new messages · D2_Alice: message 13', 'PSH-61 the group notification: the group''s title, the count, the sender and the newest text');
select is((select j ->> 'title' || ' | ' || (j ->> 'body') || ' | ' || (j ->> 'priority') from d2_claim, jsonb_array_elements(batch) j
            where j -> 'data' ->> 'conversation_id' = 'd2c00000-0000-0000-0000-000000000001'),
  'D2_Alice | direct hello | normal', 'PSH-62 the direct one: the sender as title, normal priority');
select is((select jsonb_array_length(j -> 'devices') from d2_claim, jsonb_array_elements(batch) j limit 1), 2,
  'PSH-63 with both of bob''s devices');
select is(parley.service_role_claim_push_jobs(50, 60), '[]'::jsonb, 'PSH-64 a leased job is not handed out again');

-- Retry: the FCM device asks for a retry after 30 s, the Web Push one took it.
create temp table d2_job as
  select (j ->> 'id')::uuid as id, (j ->> 'lease_id')::uuid as lease_id from d2_claim, jsonb_array_elements(batch) j
   where j -> 'data' ->> 'conversation_id' = 'd2c00000-0000-0000-0000-000000000002';
grant all on d2_job to service_role;
select is((select parley.service_role_finish_push_job(id, lease_id, jsonb_build_array(
            jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_fcm'), 'outcome', 'retry', 'retry_after', 30, 'error', 'fcm 429'),
            jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_web'), 'outcome', 'sent'))) ->> 'status' from d2_job),
  'retrying', 'PSH-65 a retry puts the job back, as retrying (new messages no longer collapse into it)');
select tests.clear_authentication();
select ok((select due_at >= now() + interval '30 seconds' from parley_internal.push_jobs where id = (select id from d2_job)),
  'PSH-66 due no earlier than the provider''s Retry-After');
-- A message while bob's notification waits for its retry: a new pending one, the retrying one is left as it was.
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'while retrying');
select tests.clear_authentication();
select pg_temp.d2_fold();
select is((select string_agg(status || ':' || message_count, ',' order by status) from parley_internal.push_jobs
            where conversation_id = 'd2c00000-0000-0000-0000-000000000002' and user_id = 'd2000000-0000-0000-0000-000000000002'),
  'pending:1,retrying:13', 'PSH-56 a message folded while bob''s notification waits for a retry makes a new pending one; the retrying one keeps its count');
update parley_internal.push_jobs set due_at = now() + interval '1 hour' where conversation_id = 'd2c00000-0000-0000-0000-000000000002' and status = 'pending';
update parley_internal.push_jobs set due_at = now() where id = (select id from d2_job);
select tests.authenticate_as_service_role();
delete from d2_claim;
insert into d2_claim select parley.service_role_claim_push_jobs(50, 60);
select is((select jsonb_agg(d ->> 'id') from d2_claim, jsonb_array_elements(batch) j, jsonb_array_elements(j -> 'devices') d),
  jsonb_build_array((select id from d2_ids where name = 'bob_fcm')), 'PSH-67 the retry goes only to the device that has not got it');
select is((select (j ->> 'attempt')::int from d2_claim, jsonb_array_elements(batch) j), 2, 'PSH-68 as attempt 2');
select is(parley.service_role_finish_push_job((select id from d2_job), (select lease_id from d2_job), '[]') ->> 'lease_lost', 'true',
  'PSH-69 the old lease settles nothing');
select is((select parley.service_role_finish_push_job((j ->> 'id')::uuid, (j ->> 'lease_id')::uuid, jsonb_build_array(
            jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_fcm'), 'outcome', 'sent', 'provider_message_id', 'projects/p/messages/1')))
            ->> 'status' from d2_claim, jsonb_array_elements(batch) j), 'sent', 'PSH-70 the current lease records the send');
select is(tests.error_of($$select parley.service_role_finish_push_job('d2ffffff-0000-0000-0000-000000000000', null, '[]')$$),
  'PT404 push_job_not_found', 'PSH-71 an unknown job is refused');
select is(tests.error_of($$select parley.service_role_finish_push_job('d2ffffff-0000-0000-0000-000000000000', null, '[{"outcome": "maybe"}]')$$),
  '22023 push_outcomes_invalid', 'PSH-72 so are outcomes that are not the four known ones');
select tests.clear_authentication();
select is((select string_agg(status, ',' order by status) from parley_internal.push_deliveries where job_id = (select id from d2_job)),
  'sent,sent', 'PSH-73 each device has its delivery recorded once');

-- Invalid token: removed; the job fails when nothing took it. Private previews say nothing.
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select parley.set_push_preferences(true);
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'secret plans');
select tests.authenticate_as_service_role();
delete from d2_claim;
insert into d2_claim select parley.service_role_claim_push_jobs(50, 60);
select is((select jsonb_build_object('title', j -> 'title', 'body', j -> 'body', 'message_id', j -> 'data' -> 'message_id') from d2_claim, jsonb_array_elements(batch) j),
  '{"title": "New message", "body": null, "message_id": null}'::jsonb, 'PSH-74 private previews: "New message", no sender, no text');
select is((select parley.service_role_finish_push_job((j ->> 'id')::uuid, (j ->> 'lease_id')::uuid, jsonb_build_array(
            jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_fcm'), 'outcome', 'invalid', 'error', 'UNREGISTERED'),
            jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_web'), 'outcome', 'failed', 'error', '400')))
            ->> 'status' from d2_claim, jsonb_array_elements(batch) j), 'failed', 'PSH-75 no device took it: failed');
select is((select count(*) from parley.push_devices where id = (select id from d2_ids where name = 'bob_fcm')), 0::bigint,
  'PSH-76 the token the provider called invalid is gone');

-- Give up after push_max_attempts.
select tests.clear_authentication();
insert into parley.settings (key, value) values ('push_max_attempts', '2');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'try twice');
select tests.authenticate_as_service_role();
select parley.service_role_finish_push_job((j ->> 'id')::uuid, (j ->> 'lease_id')::uuid, jsonb_build_array(
         jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_web'), 'outcome', 'retry', 'error', '503')))
  from jsonb_array_elements(parley.service_role_claim_push_jobs(50, 60)) j;
select tests.clear_authentication();
update parley_internal.push_jobs set due_at = now() where status = 'retrying' and user_id = 'd2000000-0000-0000-0000-000000000002';
select tests.authenticate_as_service_role();
select is((select parley.service_role_finish_push_job((j ->> 'id')::uuid, (j ->> 'lease_id')::uuid, jsonb_build_array(
         jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_web'), 'outcome', 'retry', 'error', '503'))) ->> 'status'
  from jsonb_array_elements(parley.service_role_claim_push_jobs(50, 60)) j), 'failed', 'PSH-77 after push_max_attempts (2) a retrying job fails');
select tests.clear_authentication();
select is((select last_error from parley_internal.push_jobs where status = 'failed' and user_id = 'd2000000-0000-0000-0000-000000000002' and attempts = 2),
  '503', 'PSH-78 with the provider''s error recorded');
delete from parley.settings where key = 'push_max_attempts';

-- Skips when it is sent: read on another device meanwhile.
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'read elsewhere');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select parley.mark_read('d2c00000-0000-0000-0000-000000000001');
select tests.authenticate_as_service_role();
select is(parley.service_role_claim_push_jobs(50, 60), '[]'::jsonb, 'PSH-79 a message read before the dispatcher came is not pushed');
select tests.clear_authentication();
select is((select last_error from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000002' and status = 'skipped' order by created_at desc limit 1),
  'already_read', 'PSH-80 the job is closed as skipped, with the reason');

-- A recipient removed from the conversation before the dispatcher came gets nothing.
select tests.create_user('d2000000-0000-0000-0000-000000000008', 'd2_hank');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('d2c00000-0000-0000-0000-000000000002', 'd2000000-0000-0000-0000-000000000008', 'member');
insert into parley.push_devices (user_id, provider, token, platform) values
  ('d2000000-0000-0000-0000-000000000008', 'fcm', 'd2-hank-fcm-token-0000000008', 'android');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000002', 'bye hank');
select tests.clear_authentication();
select ok((select 'd2000000-0000-0000-0000-000000000008'::uuid = any (recipients) from parley_internal.push_outbox
            where conversation_id = 'd2c00000-0000-0000-0000-000000000002'), 'PSH-57 hank was a recipient when the message was sent');
delete from parley.conversation_members where conversation_id = 'd2c00000-0000-0000-0000-000000000002' and user_id = 'd2000000-0000-0000-0000-000000000008';
select tests.authenticate_as_service_role();
select is(parley.service_role_claim_push_jobs(50, 60), '[]'::jsonb, 'PSH-58 removed from the group before the dispatcher came: nothing is sent to hank');
select tests.clear_authentication();
select is((select string_agg(status || ' ' || last_error, ',') from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000008'),
  'skipped not_a_member', 'PSH-59 his notification is closed as skipped: not a member');

-- Calls ---------------------------------------------------------------------------------------------------
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select parley.set_push_preferences(false);
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
create temp table d2_call as select id from parley.start_call('d2c00000-0000-0000-0000-000000000001', 'video');
grant all on d2_call to authenticated, service_role;
select tests.authenticate_as_service_role();
delete from d2_claim;
insert into d2_claim select parley.service_role_claim_push_jobs(50, 60);
select is((select j ->> 'kind' || ' ' || (j ->> 'priority') || ' ' || (j ->> 'title') || ' | ' || (j ->> 'body') from d2_claim, jsonb_array_elements(batch) j),
  'call high D2_Alice | Incoming video call', 'PSH-90 a call rings bob at high priority');
select is((select (j -> 'data' ->> 'ring_expires_at')::timestamptz from d2_claim, jsonb_array_elements(batch) j),
  now() + interval '45 seconds', 'PSH-91 with the ring deadline');
select parley.service_role_finish_push_job((j ->> 'id')::uuid, (j ->> 'lease_id')::uuid, jsonb_build_array(
         jsonb_build_object('device_id', (select id from d2_ids where name = 'bob_web'), 'outcome', 'sent')))
  from d2_claim, jsonb_array_elements(batch) j;
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select parley.accept_call((select id from d2_call));
select tests.authenticate_as_service_role();
select is((select j ->> 'kind' || ' ' || (j ->> 'priority') || ' ' || (j -> 'data' ->> 'reason') || ' ' || coalesce(j ->> 'title', 'no title')
             from jsonb_array_elements(parley.service_role_claim_push_jobs(50, 60)) j),
  'call_cancel high answered no title', 'PSH-92 answering elsewhere sends a data-only cancel at high priority');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select parley.end_call((select id from d2_call));
select tests.clear_authentication();
delete from d2_call;
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
insert into d2_call select id from parley.start_call('d2c00000-0000-0000-0000-000000000001', 'audio');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000002');
select parley.decline_call((select id from d2_call));
select tests.clear_authentication();
select is((select string_agg(kind || ':' || status, ',') from parley_internal.push_jobs where call_id = (select id from d2_call)),
  'call:cancelled', 'PSH-93 declined before the ring went out: the ring is dropped, no cancel needed');
delete from d2_call;
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
insert into d2_call select id from parley.start_call('d2c00000-0000-0000-0000-000000000001', 'audio');
select tests.clear_authentication();
update parley.call_participants set invited_at = now() - interval '1 minute' where call_id = (select id from d2_call);
select parley_internal.sweep_calls();
select is((select string_agg(kind || ':' || status, ',' order by kind) from parley_internal.push_jobs where call_id = (select id from d2_call)),
  'call:cancelled,missed_call:pending', 'PSH-94 unanswered: the missed-call notice replaces the ring');
select is(parley_internal.wake_push_dispatcher('test'), false, 'PSH-95 without a configured push-dispatch URL nothing is called');

insert into parley_internal.push_dispatch_target (url, secret) values ('http://127.0.0.1:9/functions/v1/push-dispatch', 'd2-dispatch-secret-0000');
select is(parley_internal.wake_push_dispatcher('test'), to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is not null,
  'PSH-96 with a target the webhook call is queued exactly when pg_net is installed');
-- The webhook call: one per message, none for a message whose conversation already has an outbox row waiting.
create temp table d2_calls (step text, calls bigint);
create function pg_temp.d2_count_calls(step text) returns void language plpgsql as $$
begin
  if to_regclass('net.http_request_queue') is not null then
    execute 'insert into d2_calls select $1, count(*) from net.http_request_queue q where q.url = ''http://127.0.0.1:9/functions/v1/push-dispatch'''
      using step;
  end if;
end $$;
select pg_temp.d2_count_calls('before');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'wake up');
select tests.clear_authentication();
select pg_temp.d2_count_calls('first');
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'still waiting');
select tests.clear_authentication();
select pg_temp.d2_count_calls('second');
select pg_temp.d2_fold();
select tests.authenticate_as('d2000000-0000-0000-0000-000000000001');
select parley.send_message('d2c00000-0000-0000-0000-000000000001', 'after the fold');
select tests.clear_authentication();
select pg_temp.d2_count_calls('third');
select case when to_regclass('net.http_request_queue') is null then skip('pg_net is not installed', 1)
       else is((select array_agg(calls - (select calls from d2_calls where step = 'before') order by step) from d2_calls where step <> 'before'),
               array[1, 1, 2]::bigint[], 'PSH-98 a message queues one webhook call, the next one while the first waits none, the one after the fold one') end;
insert into parley_internal.push_jobs (user_id, conversation_id, kind, message_id, seq, status, finished_at) values
  ('d2000000-0000-0000-0000-000000000007', 'd2c00000-0000-0000-0000-000000000001', 'message', 'd2e00000-0000-0000-0000-000000000001', 1, 'sent', now() - interval '8 days'),
  ('d2000000-0000-0000-0000-000000000007', 'd2c00000-0000-0000-0000-000000000001', 'message', 'd2e00000-0000-0000-0000-000000000002', 2, 'sent', now() - interval '6 days');
select parley_internal.sweep_push_jobs();
select is((select array_agg(seq order by seq) from parley_internal.push_jobs where user_id = 'd2000000-0000-0000-0000-000000000007'), array[2::bigint],
  'PSH-97 the sweep forgets jobs finished over a week ago, keeps the rest');

select * from finish();
rollback;
