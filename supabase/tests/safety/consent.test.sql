-- Consent for group adds: a stranger to the adder gets an invitation instead of a membership; the
-- invitee sees, accepts or declines it; contacts are still added at once; the setting turns it off.
-- IDs: docs/safety.md § Tests (CON-xx).
begin;
select plan(35);

-- Cast (prefix f3): owner 01, admin 02, member 03 in group G; stranger 04 and 07 share nothing with
-- anyone; 05 is the admin's contact (a direct conversation); 06 an outsider.
select tests.create_user('f3000000-0000-0000-0000-000000000001', 'f3_owner');
select tests.create_user('f3000000-0000-0000-0000-000000000002', 'f3_admin');
select tests.create_user('f3000000-0000-0000-0000-000000000003', 'f3_member');
select tests.create_user('f3000000-0000-0000-0000-000000000004', 'f3_stranger');
select tests.create_user('f3000000-0000-0000-0000-000000000005', 'f3_contact');
select tests.create_user('f3000000-0000-0000-0000-000000000006', 'f3_outsider');
select tests.create_user('f3000000-0000-0000-0000-000000000007', 'f3_stranger7');
insert into parley.conversations (id, kind, title, created_by) values
  ('f3c00000-0000-0000-0000-000000000001', 'group', 'F3 group', 'f3000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('f3c00000-0000-0000-0000-000000000002', 'direct', 'f3000000-0000-0000-0000-000000000002:f3000000-0000-0000-0000-000000000005',
   'f3000000-0000-0000-0000-000000000002');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('f3c00000-0000-0000-0000-000000000001', 'f3000000-0000-0000-0000-000000000001', 'owner'),
  ('f3c00000-0000-0000-0000-000000000001', 'f3000000-0000-0000-0000-000000000002', 'admin'),
  ('f3c00000-0000-0000-0000-000000000001', 'f3000000-0000-0000-0000-000000000003', 'member'),
  ('f3c00000-0000-0000-0000-000000000002', 'f3000000-0000-0000-0000-000000000002', 'member'),
  ('f3c00000-0000-0000-0000-000000000002', 'f3000000-0000-0000-0000-000000000005', 'member');
delete from realtime.messages where topic = 'user:f3000000-0000-0000-0000-000000000004';


-- A stranger is invited, not added
select tests.authenticate_as('f3000000-0000-0000-0000-000000000001');
select is((select count(*) from parley.add_members('f3c00000-0000-0000-0000-000000000001', array['f3000000-0000-0000-0000-000000000004'::uuid])),
  0::bigint, 'CON-01 adding someone who shares no conversation with the owner makes no membership');
select is((select status || ' ' || inviter_id from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000004'),
  'pending f3000000-0000-0000-0000-000000000001', 'CON-02 but a pending invitation from the owner');
select is((select metadata -> 'user_ids' from parley.messages where conversation_id = 'f3c00000-0000-0000-0000-000000000001' and seq = 1),
  '["f3000000-0000-0000-0000-000000000004"]'::jsonb, 'CON-03 the group sees a members_invited system message');
select is((select metadata ->> 'event' from parley.messages where conversation_id = 'f3c00000-0000-0000-0000-000000000001' and seq = 1),
  'members_invited', 'CON-04 (its event)');
select is(tests.error_of($$select parley.add_members('f3c00000-0000-0000-0000-000000000001', array['f3000000-0000-0000-0000-000000000004'::uuid])$$),
  'no error', 'CON-05 inviting again while pending is a no-op');
select is((select count(*) from parley.messages where conversation_id = 'f3c00000-0000-0000-0000-000000000001'), 1::bigint,
  'CON-06 which posts nothing more');
select tests.clear_authentication();
select is((select payload -> 'invitation' ->> 'title' || ' ' || (payload -> 'invitation' -> 'inviter' ->> 'username')
             from realtime.messages where topic = 'user:f3000000-0000-0000-0000-000000000004' and event = 'invitation_received'),
  'F3 group f3_owner', 'CON-07 the invitee hears invitation_received on user:<id>, once, with the group and the inviter');

-- Who sees the invitation
select tests.authenticate_as('f3000000-0000-0000-0000-000000000004');
select is((select title || ' ' || member_count || ' ' || (inviter ->> 'username') from parley.list_invitations()), 'F3 group 3 f3_owner',
  'CON-08 the invitee''s list_invitations shows the group, its size and who invited them');
select is((select count(*) from parley.group_invitations), 1::bigint, 'CON-09 the invitee reads the invitation row');
select is((select count(*) from parley.conversations where id = 'f3c00000-0000-0000-0000-000000000001'), 0::bigint,
  'CON-10 but not the group itself before accepting');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000002');
select is((select count(*) from parley.group_invitations), 1::bigint, 'CON-11 the group''s admin reads its invitations');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000003');
select is((select count(*) from parley.group_invitations), 0::bigint, 'CON-12 a plain member does not');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000006');
select is((select count(*) from parley.group_invitations), 0::bigint, 'CON-13 nor does an outsider');
select is(tests.error_of($$select parley.accept_invitation((select id from parley.list_invitations() limit 1))$$), 'PT404 invitation_not_found',
  'CON-14 an outsider cannot accept someone else''s invitation');
select is(tests.error_of($$select parley.accept_invitation('f3e00000-0000-0000-0000-00000000dead')$$), 'PT404 invitation_not_found',
  'CON-15 nor a made-up one');

-- Accepting
select tests.authenticate_as('f3000000-0000-0000-0000-000000000004');
select is((select role from parley.accept_invitation((select id from parley.list_invitations() limit 1))), 'member',
  'CON-16 accepting makes the invitee a member');
select is((select metadata ->> 'event' || ' ' || (metadata ->> 'invited_by') from parley.messages
            where conversation_id = 'f3c00000-0000-0000-0000-000000000001' order by seq desc limit 1),
  'member_joined f3000000-0000-0000-0000-000000000001', 'CON-17 with a member_joined system message');
select is(tests.error_of($$select parley.accept_invitation((select id from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000004'))$$),
  'no error', 'CON-18 a retried accept answers again');
select is((select count(*) from parley.messages where conversation_id = 'f3c00000-0000-0000-0000-000000000001'), 2::bigint,
  'CON-19 without a second membership or system message');
select is(tests.error_of($$select parley.decline_invitation((select id from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000004'))$$),
  '23505 invitation_answered', 'CON-20 an accepted invitation cannot be declined (leave_group)');
select is((select count(*) from parley.list_invitations()), 0::bigint, 'CON-21 and no longer shows as pending');

-- Contacts are added at once; create_group sorts the same way
select tests.authenticate_as('f3000000-0000-0000-0000-000000000002');
select is((select user_id from parley.add_members('f3c00000-0000-0000-0000-000000000001', array['f3000000-0000-0000-0000-000000000005'::uuid])),
  'f3000000-0000-0000-0000-000000000005'::uuid, 'CON-22 an admin adding their own contact makes a membership at once');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000001');
select parley.create_group('F3 second', member_ids => array['f3000000-0000-0000-0000-000000000004'::uuid, 'f3000000-0000-0000-0000-000000000007'::uuid]);
select is((select array_agg(m.user_id::text || ':' || m.role order by m.user_id) from parley.conversation_members m
            join parley.conversations c on c.id = m.conversation_id where c.title = 'F3 second'),
  array['f3000000-0000-0000-0000-000000000001:owner', 'f3000000-0000-0000-0000-000000000004:member'],
  'CON-23 create_group adds the contact (who now shares a group with the owner) and invites the stranger');

-- Declining
select tests.authenticate_as('f3000000-0000-0000-0000-000000000007');
select is((select status from parley.decline_invitation((select id from parley.list_invitations() limit 1))), 'declined',
  'CON-24 declining closes the invitation');
create temp table con_before as select tests.state_of($$select ctid, * from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000007'$$) as state;
grant select on con_before to authenticated;
select is(tests.error_of($$select parley.decline_invitation((select id from parley.group_invitations limit 1))$$), 'no error',
  'CON-25 declining again is accepted');
select is(tests.state_of($$select ctid, * from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000007'$$), (select state from con_before),
  'CON-25b and changes nothing: the invitation is not written again, no event sent');
select is(tests.error_of($$select parley.accept_invitation((select id from parley.group_invitations limit 1))$$), '23505 invitation_answered',
  'CON-26 a declined invitation cannot be accepted');
select is((select count(*) from parley.conversation_members where user_id = 'f3000000-0000-0000-0000-000000000007'), 0::bigint,
  'CON-27 the decliner is a member of nothing');

-- Revoking
select tests.authenticate_as('f3000000-0000-0000-0000-000000000001');
select parley.add_members('f3c00000-0000-0000-0000-000000000001', array['f3000000-0000-0000-0000-000000000007'::uuid]);
select tests.authenticate_as('f3000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.revoke_invitation((select id from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000007' and conversation_id = 'f3c00000-0000-0000-0000-000000000001'))$$),
  'PT404 invitation_not_found', 'CON-31 a plain member cannot revoke an invitation (nor see it)');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000002');
select is((select status from parley.revoke_invitation((select id from parley.group_invitations where invitee_id = 'f3000000-0000-0000-0000-000000000007' and conversation_id = 'f3c00000-0000-0000-0000-000000000001'))),
  'revoked', 'CON-32 an admin revokes the group''s pending invitation');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000007');
select is((select count(*) from parley.list_invitations() where conversation_id = 'f3c00000-0000-0000-0000-000000000001'), 0::bigint,
  'CON-33 the invitee no longer sees it');
select is(tests.error_of($$select parley.accept_invitation((select id from parley.group_invitations where conversation_id = 'f3c00000-0000-0000-0000-000000000001'))$$),
  '23505 invitation_answered', 'CON-34 nor can accept it');

-- A full group refuses the accept
select tests.clear_authentication();
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
select '00000000-0000-0000-0000-000000000000', ('f3f00000-0000-0000-0000-' || lpad(to_hex(n), 12, '0'))::uuid, 'authenticated', 'authenticated',
       'f3_filler' || n || '@example.test', '', '{}', jsonb_build_object('username', 'f3_filler' || n), now(), now()
  from generate_series(1, 255) n;
insert into parley.conversations (id, kind, title, created_by) values
  ('f3c00000-0000-0000-0000-000000000003', 'group', 'F3 full', 'f3f00000-0000-0000-0000-000000000001');
insert into parley.conversation_members (conversation_id, user_id, role)
select 'f3c00000-0000-0000-0000-000000000003', ('f3f00000-0000-0000-0000-' || lpad(to_hex(n), 12, '0'))::uuid, case n when 1 then 'owner' else 'member' end
  from generate_series(1, 255) n;
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('f3c00000-0000-0000-0000-000000000003', 'f3000000-0000-0000-0000-000000000003', 'member');
insert into parley.group_invitations (id, conversation_id, invitee_id, inviter_id) values
  ('f3e00000-0000-0000-0000-000000000001', 'f3c00000-0000-0000-0000-000000000003', 'f3000000-0000-0000-0000-000000000006',
   'f3f00000-0000-0000-0000-000000000001');
select tests.authenticate_as('f3000000-0000-0000-0000-000000000006');
select is(tests.error_of($$select parley.accept_invitation('f3e00000-0000-0000-0000-000000000001')$$), '22023 too_many_members',
  'CON-28 accepting into a full group is refused (group_max_members)');
select is((select status from parley.group_invitations where id = 'f3e00000-0000-0000-0000-000000000001'), 'pending',
  'CON-29 and leaves the invitation pending');

-- The setting off: every add is a membership
select tests.clear_authentication();
insert into parley.settings (key, value) values ('group_invitations', '"off"')
  on conflict (key) do update set value = excluded.value;
select tests.authenticate_as('f3000000-0000-0000-0000-000000000001');
select is((select user_id from parley.add_members('f3c00000-0000-0000-0000-000000000001', array['f3000000-0000-0000-0000-000000000006'::uuid])),
  'f3000000-0000-0000-0000-000000000006'::uuid, 'CON-30 with parley.settings group_invitations "off" a stranger is added at once');

select * from finish();
rollback;
