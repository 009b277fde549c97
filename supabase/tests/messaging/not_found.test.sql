-- Not found, by behaviour: every RPC that takes the id of something answers a missing one — and one the
-- caller may not see, which must look the same — with SQLSTATE PT404 (PostgREST's 404) and the hint
-- naming what was not found, and changes nothing. IDs: NF-*.
begin;

-- Cast (prefix d5): owner 01 of group c…01 (with message d…01 and a call ringing member 03), stranger 02.
select tests.create_user('d5000000-0000-0000-0000-000000000001', 'd5_owner');
select tests.create_user('d5000000-0000-0000-0000-000000000002', 'd5_stranger');
select tests.create_user('d5000000-0000-0000-0000-000000000003', 'd5_member');
insert into parley.conversations (id, kind, title, last_seq) values ('d5c00000-0000-0000-0000-000000000001', 'group', 'D5 group', 1);
insert into parley.conversation_members (conversation_id, user_id, role)
values ('d5c00000-0000-0000-0000-000000000001', 'd5000000-0000-0000-0000-000000000001', 'owner'),
       ('d5c00000-0000-0000-0000-000000000001', 'd5000000-0000-0000-0000-000000000003', 'member');
insert into parley.messages (id, conversation_id, seq, sender_id, body)
values ('d5d00000-0000-0000-0000-000000000001', 'd5c00000-0000-0000-0000-000000000001', 1, 'd5000000-0000-0000-0000-000000000001', 'hello');
select tests.authenticate_as('d5000000-0000-0000-0000-000000000001');
create temp table d5_call on commit drop as select id from parley.start_call('d5c00000-0000-0000-0000-000000000001');
select tests.clear_authentication();
grant select on d5_call to authenticated;

-- The calls: :none is an id nothing has; :group and :message exist, the stranger is outside them.
create temp table d5_cases (id text, caller text, sql text, expected text) on commit drop;
insert into d5_cases values
  ('NF-01', 'owner', $$select parley.send_message(conversation_id => :none, body => 'x')$$, 'PT404 conversation_not_found'),
  ('NF-02', 'owner', $$select parley.send_message(conversation_id => :group, body => 'x', reply_to_id => :none)$$, 'PT404 reply_not_found'),
  ('NF-03', 'owner', $$select parley.send_direct_message(recipient_id => :none, body => 'x')$$, 'PT404 user_not_found'),
  ('NF-04', 'owner', $$select parley.get_or_create_direct_conversation(other_user_id => :none)$$, 'PT404 user_not_found'),
  ('NF-05', 'owner', $$select parley.list_messages(conversation_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-06', 'owner', $$select parley.mark_read(conversation_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-07', 'owner', $$select parley.edit_message(message_id => :none, body => 'y')$$, 'PT404 message_not_found'),
  ('NF-08', 'owner', $$select parley.delete_message(message_id => :none)$$, 'PT404 message_not_found'),
  ('NF-09', 'owner', $$select parley.forward_message(message_id => :none, conversation_id => :group)$$, 'PT404 message_not_found'),
  ('NF-10', 'owner', $$select parley.list_message_edits(message_id => :none)$$, 'PT404 message_not_found'),
  ('NF-11', 'owner', $$select parley.list_thread(root_id => :none)$$, 'PT404 message_not_found'),
  ('NF-12', 'owner', $$select parley.send_thread_reply(root_id => :none, body => 'x')$$, 'PT404 message_not_found'),
  ('NF-13', 'owner', $$select parley.add_reaction(message_id => :none, emoji => '👍')$$, 'PT404 message_not_found'),
  ('NF-14', 'owner', $$select parley.pin_message(message_id => :none)$$, 'PT404 message_not_found'),
  ('NF-15', 'owner', $$select parley.list_pins(conversation_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-16', 'owner', $$select parley.get_group(group_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-17', 'owner', $$select parley.update_group(group_id => :none, title => 't')$$, 'PT404 conversation_not_found'),
  ('NF-18', 'owner', $$select parley.delete_group(group_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-19', 'owner', $$select parley.add_members(group_id => :none, user_ids => array[]::uuid[])$$, 'PT404 conversation_not_found'),
  ('NF-20', 'owner', $$select parley.leave_group(group_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-21', 'owner', $$select parley.list_members(conversation_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-22', 'owner', $$select parley.remove_member(group_id => :group, user_id => :none)$$, 'PT404 member_not_found'),
  ('NF-23', 'owner', $$select parley.set_member_role(group_id => :group, user_id => :none, role => 'admin')$$, 'PT404 member_not_found'),
  ('NF-24', 'owner', $$select parley.mute_member(group_id => :group, user_id => :none, until => now() + interval '1 hour')$$, 'PT404 member_not_found'),
  ('NF-25', 'owner', $$select parley.ban_member(group_id => :group, user_id => :none)$$, 'PT404 user_not_found'),
  ('NF-26', 'owner', $$select parley.block_user(user_id => :none)$$, 'PT404 user_not_found'),
  ('NF-27', 'owner', $$select parley.report_user(user_id => :none, reason => 'spam')$$, 'PT404 user_not_found'),
  ('NF-28', 'owner', $$select parley.report_message(message_id => :none, reason => 'spam')$$, 'PT404 message_not_found'),
  ('NF-29', 'owner', $$select parley.resolve_report(report_id => :none)$$, 'PT404 report_not_found'),
  ('NF-30', 'owner', $$select parley.accept_invitation(invitation_id => :none)$$, 'PT404 invitation_not_found'),
  ('NF-31', 'owner', $$select parley.decline_invitation(invitation_id => :none)$$, 'PT404 invitation_not_found'),
  ('NF-32', 'owner', $$select parley.revoke_invitation(invitation_id => :none)$$, 'PT404 invitation_not_found'),
  ('NF-33', 'owner', $$select parley.revoke_invite_link(invite_link_id => :none)$$, 'PT404 invite_not_found'),
  ('NF-34', 'owner', $$select parley.join_by_invite(code => 'no-such-code-d5')$$, 'PT404 invite_not_found'),
  ('NF-35', 'owner', $$select parley.approve_join_request(group_id => :group, user_id => :none)$$, 'PT404 join_request_not_found'),
  ('NF-36', 'owner', $$select parley.decline_join_request(group_id => :group, user_id => :none)$$, 'PT404 join_request_not_found'),
  ('NF-37', 'owner', $$select parley.start_call(conversation_id => :none)$$, 'PT404 conversation_not_found'),
  ('NF-38', 'owner', $$select parley.accept_call(call_id => :none)$$, 'PT404 call_not_found'),
  ('NF-39', 'owner', $$select parley.decline_call(call_id => :none)$$, 'PT404 call_not_found'),
  ('NF-40', 'owner', $$select parley.leave_call(call_id => :none)$$, 'PT404 call_not_found'),
  ('NF-41', 'owner', $$select parley.end_call(call_id => :none)$$, 'PT404 call_not_found'),
  ('NF-42', 'owner', $$select parley.get_call_grant(call_id => :none)$$, 'PT404 call_not_found'),
  ('NF-43', 'owner', $$select parley.get_call_evictions(call_id => :none)$$, 'PT404 call_not_found'),
  -- What the caller may not see answers exactly like what does not exist.
  ('NF-44', 'stranger', $$select parley.send_message(conversation_id => :group, body => 'x')$$, 'PT404 conversation_not_found'),
  ('NF-45', 'stranger', $$select parley.list_messages(conversation_id => :group)$$, 'PT404 conversation_not_found'),
  ('NF-46', 'stranger', $$select parley.get_group(group_id => :group)$$, 'PT404 conversation_not_found'),
  ('NF-47', 'stranger', $$select parley.edit_message(message_id => :message, body => 'y')$$, 'PT404 message_not_found'),
  ('NF-48', 'stranger', $$select parley.add_reaction(message_id => :message, emoji => '👍')$$, 'PT404 message_not_found'),
  ('NF-49', 'stranger', $$select parley.accept_call(call_id => :call)$$, 'PT404 call_not_found'),
  ('NF-50', 'stranger', $$select parley.get_call_grant(call_id => :call)$$, 'PT404 call_not_found');

grant select on d5_cases to authenticated;
select plan((select count(*)::int from d5_cases) + 1);

-- A snapshot of everything the calls could have touched, to compare after them.
create temp table d5_before on commit drop as
select (select count(*) from parley.messages where conversation_id = 'd5c00000-0000-0000-0000-000000000001') as messages,
       (select count(*) from parley.conversation_members where conversation_id = 'd5c00000-0000-0000-0000-000000000001') as members,
       (select count(*) from parley.conversations where id::text like 'd5%' or direct_key like '%d5000000%') as conversations,
       (select count(*) from parley.calls c join parley.call_participants p on p.call_id = c.id where c.conversation_id = 'd5c00000-0000-0000-0000-000000000001' and p.state = 'joined') as in_call,
       (select count(*) from parley.reports) as reports,
       (select count(*) from parley.blocks where blocker_id::text like 'd5%') as blocks;

-- Runs the cases of one caller, as that caller.
create function pg_temp.d5_run(p_caller text) returns setof text language plpgsql as $f$
declare
  c record;
begin
  for c in select * from d5_cases where caller = p_caller order by id loop
    return next is(tests.error_of(replace(replace(replace(replace(c.sql,
             ':none', quote_literal('d5ffffff-ffff-ffff-ffff-ffffffffffff')),
             ':group', quote_literal('d5c00000-0000-0000-0000-000000000001')),
             ':message', quote_literal('d5d00000-0000-0000-0000-000000000001')),
             ':call', quote_literal((select id::text from d5_call)))),
           c.expected, c.id || ' ' || c.caller || ': ' || c.sql || ' → ' || c.expected);
  end loop;
end
$f$;
select tests.authenticate_as('d5000000-0000-0000-0000-000000000001');
select * from pg_temp.d5_run('owner');
select tests.authenticate_as('d5000000-0000-0000-0000-000000000002');
select * from pg_temp.d5_run('stranger');
select tests.clear_authentication();

select is((select row(messages, members, conversations, in_call, reports, blocks)::text from d5_before),
  (select row((select count(*) from parley.messages where conversation_id = 'd5c00000-0000-0000-0000-000000000001'),
              (select count(*) from parley.conversation_members where conversation_id = 'd5c00000-0000-0000-0000-000000000001'),
              (select count(*) from parley.conversations where id::text like 'd5%' or direct_key like '%d5000000%'),
              (select count(*) from parley.calls c join parley.call_participants p on p.call_id = c.id where c.conversation_id = 'd5c00000-0000-0000-0000-000000000001' and p.state = 'joined'),
              (select count(*) from parley.reports),
              (select count(*) from parley.blocks where blocker_id::text like 'd5%'))::text),
  'NF-51 none of the refused calls changed anything');

select * from finish();
rollback;
