-- Invite links: made by owners and admins, codes stored hashed, expiry, use limit, approval queue,
-- revocation, bans, idempotent joins. IDs: INV-xx (docs/safety.md § Invite links).
begin;
select plan(22);

-- Cast (prefix cd): ann 01 (owner), bob 02 (member), joe 03, kim 04, lou 05 (strangers), ned 06 (banned).
select tests.create_user('cd000000-0000-0000-0000-000000000001', 'cd_ann');
select tests.create_user('cd000000-0000-0000-0000-000000000002', 'cd_bob');
select tests.create_user('cd000000-0000-0000-0000-000000000003', 'cd_joe');
select tests.create_user('cd000000-0000-0000-0000-000000000004', 'cd_kim');
select tests.create_user('cd000000-0000-0000-0000-000000000005', 'cd_lou');
select tests.create_user('cd000000-0000-0000-0000-000000000006', 'cd_ned');
insert into parley.conversations (id, kind, title, created_by) values
  ('cdc00000-0000-0000-0000-000000000001', 'group', 'CD', 'cd000000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('cdc00000-0000-0000-0000-000000000001', 'cd000000-0000-0000-0000-000000000001', 'owner'),
  ('cdc00000-0000-0000-0000-000000000001', 'cd000000-0000-0000-0000-000000000002', 'member');
insert into parley.group_bans (conversation_id, user_id, banned_by) values
  ('cdc00000-0000-0000-0000-000000000001', 'cd000000-0000-0000-0000-000000000006', 'cd000000-0000-0000-0000-000000000001');
create temp table links (name text primary key, id uuid, code text);
grant all on links to authenticated;

select tests.authenticate_as('cd000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select * from parley.create_invite_link('cdc00000-0000-0000-0000-000000000001')$$), '42501 insufficient_role',
  'INV-01 a member cannot make invite links');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000001');
insert into links select 'open', id, code from parley.create_invite_link('cdc00000-0000-0000-0000-000000000001', max_uses => 2);
insert into links select 'gated', id, code from parley.create_invite_link('cdc00000-0000-0000-0000-000000000001', requires_approval => true);
select ok((select char_length(code) >= 24 from links where name = 'open'), 'INV-02 the code carries at least 128 random bits (24 base64url characters)');
select tests.clear_authentication();
select is((select count(*) from parley.group_invite_links where code_hash = sha256(convert_to((select code from links where name = 'open'), 'UTF8'))), 1::bigint,
  'INV-03 only the code''s hash is stored');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select code_hash from parley.group_invite_links$$), '42501 -', 'INV-04 and nobody can read even that through the API');
select is(tests.error_of($$select * from parley.create_invite_link('cdc00000-0000-0000-0000-000000000001', expires_in_seconds => 5)$$), '22023 invite_expiry_invalid',
  'INV-05 an expiry under a minute is refused');
select is(tests.error_of($$select * from parley.create_invite_link('cdc00000-0000-0000-0000-000000000001', max_uses => 0)$$), '22023 invite_max_uses_invalid',
  'INV-06 so is a use limit of 0');

-- Joining.
select tests.authenticate_as('cd000000-0000-0000-0000-000000000003');
select is((select status from parley.join_by_invite((select code from links where name = 'open'))), 'joined', 'INV-07 a stranger joins with the code');
select ok(exists (select 1 from parley.conversation_members where conversation_id = 'cdc00000-0000-0000-0000-000000000001' and user_id = 'cd000000-0000-0000-0000-000000000003'),
  'INV-08 and is a member');
select is((select status from parley.join_by_invite((select code from links where name = 'open'))), 'joined', 'INV-09 joining again is a no-op');
select tests.clear_authentication();
select is((select uses from parley.group_invite_links where id = (select id from links where name = 'open')), 1, 'INV-10 and is not counted twice');
select is((select metadata ->> 'invited_by' from parley.messages where conversation_id = 'cdc00000-0000-0000-0000-000000000001' and metadata ->> 'event' = 'member_joined'),
  'cd000000-0000-0000-0000-000000000001', 'INV-11 the group hears member_joined, invited by the link''s maker');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000004');
select parley.join_by_invite((select code from links where name = 'open'));
select tests.authenticate_as('cd000000-0000-0000-0000-000000000005');
select is(tests.error_of($$select * from parley.join_by_invite((select code from links where name = 'open'))$$), '22023 invite_used_up',
  'INV-12 a link used its max_uses times takes no more');
select is(tests.error_of($$select * from parley.join_by_invite('not-a-real-code')$$), 'PT404 invite_not_found', 'INV-13 an unknown code is not found');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000006');
select is(tests.error_of($$select * from parley.join_by_invite((select code from links where name = 'gated'))$$), '42501 user_banned',
  'INV-14 a banned user cannot join through a link');

-- Approval.
select tests.authenticate_as('cd000000-0000-0000-0000-000000000005');
select is((select status from parley.join_by_invite((select code from links where name = 'gated'))), 'pending', 'INV-15 a link needing approval queues a request');
select is((select status from parley.group_join_requests), 'pending', 'INV-16 the requester sees their request');
select tests.clear_authentication();
select is((select count(*) from realtime.messages where topic = 'user:cd000000-0000-0000-0000-000000000001' and event = 'join_requested'), 1::bigint,
  'INV-17 the owner hears join_requested');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.approve_join_request('cdc00000-0000-0000-0000-000000000001', 'cd000000-0000-0000-0000-000000000005')$$), '42501 insufficient_role',
  'INV-18 a member cannot approve');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000001');
select is((select status from parley.approve_join_request('cdc00000-0000-0000-0000-000000000001', 'cd000000-0000-0000-0000-000000000005')), 'approved',
  'INV-19 the owner approves');
select ok(exists (select 1 from parley.conversation_members where conversation_id = 'cdc00000-0000-0000-0000-000000000001' and user_id = 'cd000000-0000-0000-0000-000000000005'),
  'INV-20 and the requester is a member');

-- Revocation and expiry.
select parley.revoke_invite_link((select id from links where name = 'gated'));
select tests.authenticate_as('cd000000-0000-0000-0000-000000000006');
select tests.clear_authentication();
delete from parley.group_bans;
select tests.authenticate_as('cd000000-0000-0000-0000-000000000006');
select is(tests.error_of($$select * from parley.join_by_invite((select code from links where name = 'gated'))$$), '22023 invite_revoked',
  'INV-21 a revoked link stops working');
select tests.clear_authentication();
update parley.group_invite_links set expires_at = now() - interval '1 second', revoked_at = null where id = (select id from links where name = 'gated');
select tests.authenticate_as('cd000000-0000-0000-0000-000000000006');
select is(tests.error_of($$select * from parley.join_by_invite((select code from links where name = 'gated'))$$), '22023 invite_expired',
  'INV-22 so does an expired one');

select * from finish();
rollback;
