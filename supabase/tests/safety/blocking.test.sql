-- Blocking: both sides of a block in direct conversations, direct messages, calls and group adds; the
-- blocked side is answered exactly as for a missing user; shared groups stay open; who sees the block.
-- IDs: docs/safety.md § Tests (BLK-xx).
begin;
select plan(34);

-- Cast (prefix f2): alice 01 blocks bob 02; carol 03 owns a group with both; dave 04 never talked to alice.
select tests.create_user('f2000000-0000-0000-0000-000000000001', 'f2_alice');
select tests.create_user('f2000000-0000-0000-0000-000000000002', 'f2_bob');
select tests.create_user('f2000000-0000-0000-0000-000000000003', 'f2_carol');
select tests.create_user('f2000000-0000-0000-0000-000000000004', 'f2_dave');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('f2c00000-0000-0000-0000-000000000001', 'direct', 'f2000000-0000-0000-0000-000000000001:f2000000-0000-0000-0000-000000000002',
   'f2000000-0000-0000-0000-000000000002');
insert into parley.conversations (id, kind, title, created_by) values
  ('f2c00000-0000-0000-0000-000000000002', 'group', 'F2 shared', 'f2000000-0000-0000-0000-000000000003'),
  ('f2c00000-0000-0000-0000-000000000003', 'group', 'F2 bob''s', 'f2000000-0000-0000-0000-000000000002'),
  ('f2c00000-0000-0000-0000-000000000004', 'group', 'F2 alice''s', 'f2000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('f2c00000-0000-0000-0000-000000000001', 'f2000000-0000-0000-0000-000000000001', 'member'),
  ('f2c00000-0000-0000-0000-000000000001', 'f2000000-0000-0000-0000-000000000002', 'member'),
  ('f2c00000-0000-0000-0000-000000000002', 'f2000000-0000-0000-0000-000000000003', 'owner'),
  ('f2c00000-0000-0000-0000-000000000002', 'f2000000-0000-0000-0000-000000000001', 'member'),
  ('f2c00000-0000-0000-0000-000000000002', 'f2000000-0000-0000-0000-000000000002', 'member'),
  ('f2c00000-0000-0000-0000-000000000003', 'f2000000-0000-0000-0000-000000000002', 'owner'),
  ('f2c00000-0000-0000-0000-000000000004', 'f2000000-0000-0000-0000-000000000001', 'owner');
-- bob had invited alice to his group before she blocked him, and she him to hers.
insert into parley.group_invitations (id, conversation_id, invitee_id, inviter_id) values
  ('f2e00000-0000-0000-0000-000000000001', 'f2c00000-0000-0000-0000-000000000003', 'f2000000-0000-0000-0000-000000000001',
   'f2000000-0000-0000-0000-000000000002'),
  ('f2e00000-0000-0000-0000-000000000002', 'f2c00000-0000-0000-0000-000000000004', 'f2000000-0000-0000-0000-000000000002',
   'f2000000-0000-0000-0000-000000000001');


-- Blocking
delete from realtime.messages where topic = 'user:f2000000-0000-0000-0000-000000000001';
select tests.authenticate_as('f2000000-0000-0000-0000-000000000001');
select is((select blocked_id from parley.block_user('f2000000-0000-0000-0000-000000000002')), 'f2000000-0000-0000-0000-000000000002'::uuid,
  'BLK-01 block_user returns the block');
create temp table blk_before as select tests.state_of($$select ctid, * from parley.blocks where blocker_id::text like 'f2%'$$) as state;
grant select on blk_before to authenticated;
select is(tests.error_of($$select parley.block_user('f2000000-0000-0000-0000-000000000002')$$), 'no error', 'BLK-02 blocking again is accepted');
select is(tests.state_of($$select ctid, * from parley.blocks where blocker_id::text like 'f2%'$$), (select state from blk_before),
  'BLK-02b and changes nothing: no row written, no event sent');
select is((select count(*) from parley.blocks), 1::bigint, 'BLK-03 one row, which the blocker reads');
select is(tests.error_of($$select parley.block_user('f2000000-0000-0000-0000-000000000001')$$), '22023 cannot_block_self', 'BLK-04 nobody blocks themselves');
select is(tests.error_of($$select parley.block_user('f2ffffff-0000-0000-0000-000000000000')$$), 'PT404 user_not_found', 'BLK-05 nor a missing user');
select is((select array_agg(user_id) from parley.list_blocked_users()), array['f2000000-0000-0000-0000-000000000002'::uuid],
  'BLK-06 list_blocked_users names bob');
select tests.clear_authentication();
select is((select payload ->> 'blocked' || ' ' || (payload -> 'declined_invitation_ids')::text from realtime.messages
            where topic = 'user:f2000000-0000-0000-0000-000000000001' and event = 'block_changed'),
  'true ["f2e00000-0000-0000-0000-000000000001"]', 'BLK-07 block_changed reaches the blocker''s other devices, naming the invitations it declined');
select is((select status from parley.group_invitations where id = 'f2e00000-0000-0000-0000-000000000001'), 'declined',
  'BLK-08 the blocked user''s pending invitation to the blocker is declined');
select is((select status from parley.group_invitations where id = 'f2e00000-0000-0000-0000-000000000002'), 'revoked',
  'BLK-33 and the blocker''s own invitation to them is withdrawn');
select tests.authenticate_as('f2000000-0000-0000-0000-000000000001');
select is((select other_user ->> 'blocked' from parley.list_conversations() where conversation_id = 'f2c00000-0000-0000-0000-000000000001'), 'true',
  'BLK-09 the blocker''s inbox marks the other person blocked');

-- The blocked side: like a missing user, and nothing written
select tests.authenticate_as('f2000000-0000-0000-0000-000000000002');
select is((select count(*) from parley.blocks), 0::bigint, 'BLK-10 the blocked user cannot see the block');
select is(tests.error_of($$select parley.send_message('f2c00000-0000-0000-0000-000000000001', 'hello?')$$), 'PT404 user_not_found',
  'BLK-11 the blocked user cannot message in the existing direct conversation (404 user_not_found)');
select is(tests.error_of($$select parley.send_direct_message('f2000000-0000-0000-0000-000000000001', 'hello?')$$), 'PT404 user_not_found',
  'BLK-12 nor through send_direct_message');
select is(tests.error_of($$select parley.get_or_create_direct_conversation('f2000000-0000-0000-0000-000000000001')$$),
  tests.error_of($$select parley.get_or_create_direct_conversation('f2ffffff-0000-0000-0000-000000000000')$$),
  'BLK-13 opening the direct conversation answers exactly what a missing user does');
select is(tests.error_of($$select parley.start_call('f2c00000-0000-0000-0000-000000000001', 'audio')$$), 'PT404 user_not_found',
  'BLK-14 the blocked user cannot call the blocker');
select is((select last_seq from parley.conversations where id = 'f2c00000-0000-0000-0000-000000000001'), 0::bigint,
  'BLK-15 none of it wrote a message');
select is((select count(*) from parley.calls where conversation_id = 'f2c00000-0000-0000-0000-000000000001'), 0::bigint, 'BLK-16 nor a call');
select is(tests.error_of($$select parley.add_members('f2c00000-0000-0000-0000-000000000003', array['f2000000-0000-0000-0000-000000000001'::uuid])$$),
  'PT404 user_not_found', 'BLK-17 the blocked user cannot add the blocker to a group');
select is(tests.error_of($$select parley.create_group('F2 trap', member_ids => array['f2000000-0000-0000-0000-000000000001'::uuid])$$),
  'PT404 user_not_found', 'BLK-18 nor create a group with them');
select is((select other_user ->> 'blocked' from parley.list_conversations() where conversation_id = 'f2c00000-0000-0000-0000-000000000001'), 'false',
  'BLK-19 the blocked user''s inbox says nothing');
select is(tests.error_of($$select parley.send_message('f2c00000-0000-0000-0000-000000000002', 'in the group')$$), 'no error',
  'BLK-20 shared groups stay open: the blocked user still writes there (the blocker''s client hides it)');
select parley.start_call('f2c00000-0000-0000-0000-000000000002', 'audio');
select is((select array_agg(p.user_id order by p.user_id) from parley.call_participants p join parley.calls c on c.id = p.call_id
            where c.conversation_id = 'f2c00000-0000-0000-0000-000000000002'),
  array['f2000000-0000-0000-0000-000000000002'::uuid, 'f2000000-0000-0000-0000-000000000003'::uuid],
  'BLK-21 a group call by the blocked user does not ring the blocker');
select parley.leave_call(id) from parley.calls where conversation_id = 'f2c00000-0000-0000-0000-000000000002' and status in ('ringing', 'active');

-- The blocker's side: told, and free to read back
select tests.authenticate_as('f2000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.send_message('f2c00000-0000-0000-0000-000000000001', 'hi')$$), '42501 user_blocked',
  'BLK-22 the blocker cannot message the blocked user either (403 user_blocked: unblock first)');
select is(tests.error_of($$select parley.start_call('f2c00000-0000-0000-0000-000000000001', 'audio')$$), '42501 user_blocked', 'BLK-23 nor call them');
select is((select id from parley.get_or_create_direct_conversation('f2000000-0000-0000-0000-000000000002')), 'f2c00000-0000-0000-0000-000000000001'::uuid,
  'BLK-24 but still opens the conversation to read it back');

-- A stranger blocked before any conversation
select parley.block_user('f2000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.get_or_create_direct_conversation('f2000000-0000-0000-0000-000000000004')$$), '42501 user_blocked',
  'BLK-25 the blocker cannot start a conversation with someone they blocked');
select tests.authenticate_as('f2000000-0000-0000-0000-000000000004');
select is(tests.error_of($$select parley.send_direct_message('f2000000-0000-0000-0000-000000000001', 'hi')$$), 'PT404 user_not_found',
  'BLK-26 a blocked stranger cannot start one either');
select is((select count(*) from parley.conversations where direct_key like '%f2000000-0000-0000-0000-000000000004%'), 0::bigint,
  'BLK-27 and no conversation was made');

-- Unblocking
select tests.authenticate_as('f2000000-0000-0000-0000-000000000001');
select is(parley.unblock_user('f2000000-0000-0000-0000-000000000002'), true, 'BLK-28 unblock_user lifts the block');
select is(parley.unblock_user('f2000000-0000-0000-0000-000000000002'), false, 'BLK-29 again: false, nothing to lift');
select tests.authenticate_as('f2000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.send_message('f2c00000-0000-0000-0000-000000000001', 'friends again')$$), 'no error',
  'BLK-30 after unblocking they message each other again');

-- Grants
select tests.clear_authentication();
select is(has_table_privilege('authenticated', 'parley.blocks', 'insert') or has_table_privilege('authenticated', 'parley.blocks', 'delete'), false,
  'BLK-31 nobody writes parley.blocks directly (block_user / unblock_user)');
select is(has_function_privilege('anon', 'parley.block_user(uuid)', 'execute'), false, 'BLK-32 anon cannot block');

select * from finish();
rollback;
