-- Group moderation and reports: mute (read-only for a while), ban (removed, refused re-adds), a
-- moderator's deletion on the record; reports of messages and users, who reads them, resolving them.
-- IDs: docs/safety.md § Tests (MOD-xx, REP-xx).
begin;
select plan(55);

-- Cast (prefix f4): owner 01, admin 02, member 03, member 04, stranger 05, admin 06, reporter 07 in a
-- direct conversation with member 03.
select tests.create_user('f4000000-0000-0000-0000-000000000001', 'f4_owner');
select tests.create_user('f4000000-0000-0000-0000-000000000002', 'f4_admin');
select tests.create_user('f4000000-0000-0000-0000-000000000003', 'f4_member');
select tests.create_user('f4000000-0000-0000-0000-000000000004', 'f4_member4');
select tests.create_user('f4000000-0000-0000-0000-000000000005', 'f4_stranger');
select tests.create_user('f4000000-0000-0000-0000-000000000006', 'f4_admin6');
select tests.create_user('f4000000-0000-0000-0000-000000000007', 'f4_friend');
insert into parley.conversations (id, kind, title, created_by) values
  ('f4c00000-0000-0000-0000-000000000001', 'group', 'F4 group', 'f4000000-0000-0000-0000-000000000001');
insert into parley.conversations (id, kind, direct_key, created_by) values
  ('f4c00000-0000-0000-0000-000000000002', 'direct', 'f4000000-0000-0000-0000-000000000003:f4000000-0000-0000-0000-000000000007',
   'f4000000-0000-0000-0000-000000000003');
insert into parley.conversation_members (conversation_id, user_id, role) values
  ('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000001', 'owner'),
  ('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000002', 'admin'),
  ('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000003', 'member'),
  ('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004', 'member'),
  ('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000006', 'admin'),
  ('f4c00000-0000-0000-0000-000000000002', 'f4000000-0000-0000-0000-000000000003', 'member'),
  ('f4c00000-0000-0000-0000-000000000002', 'f4000000-0000-0000-0000-000000000007', 'member');
-- One report for 07 and then one a minute: the rate limit is this file's own.
insert into parley.rate_limit_overrides (user_id, bucket, burst, per_minute) values
  ('f4000000-0000-0000-0000-000000000007', 'report', 1, 1);

-- The detail of what sql raises.
create function pg_temp.detail(sql text) returns jsonb
language plpgsql
set search_path = parley, public
as $$
declare
  v_detail text;
begin
  execute sql;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return nullif(v_detail, '')::jsonb;
end
$$;
-- The last system message of the group: '<event> <user_id>'.
create function pg_temp.last_event() returns text
language sql
security definer
set search_path = ''
as $$
  select (m.metadata ->> 'event') || ' ' || coalesce(m.metadata ->> 'user_id', '-') from parley.messages m
   where m.conversation_id = 'f4c00000-0000-0000-0000-000000000001' and m.kind = 'system' order by m.seq desc limit 1
$$;

-- Mute
select tests.authenticate_as('f4000000-0000-0000-0000-000000000002');
select ok((select read_only_until > now() from parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000003', now() + interval '1 hour')),
  'MOD-01 an admin mutes a member for an hour');
select is(pg_temp.last_event(), 'member_muted f4000000-0000-0000-0000-000000000003', 'MOD-02 a member_muted system message records it');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.send_message('f4c00000-0000-0000-0000-000000000001', 'let me speak')$$), '42501 member_muted',
  'MOD-03 a muted member''s send is refused (403 member_muted)');
select ok((pg_temp.detail($$select parley.send_message('f4c00000-0000-0000-0000-000000000001', 'let me speak')$$) ->> 'until')::timestamptz > now(),
  'MOD-04 details say until when');
select is((select count(*) from parley.messages where conversation_id = 'f4c00000-0000-0000-0000-000000000001' and kind <> 'system'), 0::bigint,
  'MOD-05 nothing was written');
select is((select count(*) from parley.messages where conversation_id = 'f4c00000-0000-0000-0000-000000000001'), 1::bigint,
  'MOD-06 the muted member still reads the group');
select is(tests.error_of($$select parley.send_message('f4c00000-0000-0000-0000-000000000002', 'elsewhere')$$), 'no error',
  'MOD-07 a mute holds in that group only');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004', now() + interval '1 hour')$$),
  '42501 insufficient_role', 'MOD-08 a member cannot mute anyone');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000002');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000001', now() + interval '1 hour')$$),
  '42501 insufficient_role', 'MOD-09 an admin cannot mute the owner');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000006', now() + interval '1 hour')$$),
  '42501 insufficient_role', 'MOD-10 nor another admin');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000002', now() + interval '1 hour')$$),
  '22023 cannot_moderate_self', 'MOD-11 nor themselves');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004', now() - interval '1 minute')$$),
  '22023 mute_until_invalid', 'MOD-12 until must be in the future');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000005', now() + interval '1 hour')$$),
  'PT404 member_not_found', 'MOD-13 only members are muted');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000002', 'f4000000-0000-0000-0000-000000000003', now() + interval '1 hour')$$),
  'PT404 conversation_not_found', 'MOD-14 and only in the moderator''s own group');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000006', now() + interval '1 hour')$$),
  'no error', 'MOD-15 the owner mutes an admin');
select is((select read_only_until from parley.mute_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000003', null)), null,
  'MOD-16 null lifts a mute');
select is(pg_temp.last_event(), 'member_unmuted f4000000-0000-0000-0000-000000000003', 'MOD-17 with a member_unmuted system message');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.send_message('f4c00000-0000-0000-0000-000000000001', 'thanks')$$), 'no error',
  'MOD-18 the member sends again');
select tests.clear_authentication();
update parley.conversation_members set read_only_until = now() - interval '1 second'
 where conversation_id = 'f4c00000-0000-0000-0000-000000000001' and user_id = 'f4000000-0000-0000-0000-000000000006';
select tests.authenticate_as('f4000000-0000-0000-0000-000000000006');
select is(tests.error_of($$select parley.send_message('f4c00000-0000-0000-0000-000000000001', 'my mute ran out')$$), 'no error',
  'MOD-19 a mute ends on its own at until');
select is(has_column_privilege('authenticated', 'parley.conversation_members', 'read_only_until', 'update'), false,
  'MOD-20 members cannot lift their own mute');

-- Ban
select tests.authenticate_as('f4000000-0000-0000-0000-000000000001');
select parley.add_members('f4c00000-0000-0000-0000-000000000001', array['f4000000-0000-0000-0000-000000000005'::uuid]);
select tests.authenticate_as('f4000000-0000-0000-0000-000000000002');
select is((select user_id from parley.ban_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004')),
  'f4000000-0000-0000-0000-000000000004'::uuid, 'MOD-21 an admin bans a member');
select is((select count(*) from parley.conversation_members where user_id = 'f4000000-0000-0000-0000-000000000004'), 0::bigint,
  'MOD-22 who is removed from the group');
select is(pg_temp.last_event(), 'member_banned f4000000-0000-0000-0000-000000000004', 'MOD-23 with a member_banned system message');
create temp table mod_before as select tests.state_of($$select ctid, * from parley.group_bans where conversation_id = 'f4c00000-0000-0000-0000-000000000001'$$) as state;
grant select on mod_before to authenticated;
select is(tests.error_of($$select parley.ban_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004')$$), 'no error',
  'MOD-24 banning again is accepted');
select is(tests.state_of($$select ctid, * from parley.group_bans where conversation_id = 'f4c00000-0000-0000-0000-000000000001'$$), (select state from mod_before),
  'MOD-24b and changes nothing: the ban is not written again, no event sent');
select is(pg_temp.last_event(), 'member_banned f4000000-0000-0000-0000-000000000004', 'MOD-25 that posts nothing more');
select is(tests.error_of($$select parley.ban_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000005')$$), 'no error',
  'MOD-26 an invitee can be banned before they accept');
select is((select status from parley.group_invitations where invitee_id = 'f4000000-0000-0000-0000-000000000005'), 'revoked',
  'MOD-27 their invitation is revoked');
select is(tests.error_of($$select parley.ban_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000001')$$),
  '42501 insufficient_role', 'MOD-28 an admin cannot ban the owner');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000001');
select is(tests.error_of($$select parley.add_members('f4c00000-0000-0000-0000-000000000001', array['f4000000-0000-0000-0000-000000000004'::uuid])$$),
  '42501 user_banned', 'MOD-29 a banned user cannot be added again (403 user_banned)');
select is((select count(*) from parley.group_bans), 2::bigint, 'MOD-30 the owner reads the group''s bans');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000005');
select is(tests.error_of($$select parley.accept_invitation((select id from parley.group_invitations limit 1))$$), '23505 invitation_answered',
  'MOD-31 a revoked invitation cannot be accepted');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000003');
select is((select count(*) from parley.group_bans), 0::bigint, 'MOD-32 a plain member does not read bans');
select is(tests.error_of($$select parley.unban_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004')$$),
  '42501 insufficient_role', 'MOD-33 nor lifts them');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000001');
select is(parley.unban_member('f4c00000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000004'), true, 'MOD-34 the owner unbans');
select is(pg_temp.last_event(), 'member_unbanned f4000000-0000-0000-0000-000000000004', 'MOD-35 with a member_unbanned system message');
select is(tests.error_of($$select parley.add_members('f4c00000-0000-0000-0000-000000000001', array['f4000000-0000-0000-0000-000000000004'::uuid])$$),
  'no error', 'MOD-36 and may invite them again');

-- Reports
select tests.authenticate_as('f4000000-0000-0000-0000-000000000001');
select parley.send_message('f4c00000-0000-0000-0000-000000000001', 'buy cheap watches', client_id => 'f4a00000-0000-0000-0000-000000000001');
select tests.clear_authentication();
delete from realtime.messages where topic like 'user:f4000000-%';
select tests.authenticate_as('f4000000-0000-0000-0000-000000000003');
select is((select reason || ' ' || (message_snapshot ->> 'body') from parley.report_message(
             (select id from parley.messages where client_id = 'f4a00000-0000-0000-0000-000000000001'), 'spam', 'again')),
  'spam buy cheap watches', 'REP-01 a member reports a message; the report keeps what it said');
select is(tests.error_of($$select parley.report_message((select id from parley.messages where client_id = 'f4a00000-0000-0000-0000-000000000001'), 'spam')$$),
  'no error', 'REP-02 reporting it again answers the open report');
select is((select count(*) from parley.reports), 1::bigint, 'REP-03 without a second one');
select is(tests.error_of($$select parley.report_message((select id from parley.messages where client_id = 'f4a00000-0000-0000-0000-000000000001'), 'rude')$$),
  '22023 report_reason_invalid', 'REP-04 the reason comes from the fixed list');
select is(tests.error_of($$select parley.report_user('f4000000-0000-0000-0000-000000000001', 'other', repeat('x', 1001))$$),
  '22023 report_details_too_long', 'REP-05 details are at most 1000 characters');
select is(tests.error_of($$select parley.report_user('f4000000-0000-0000-0000-000000000003', 'spam')$$), '22023 cannot_report_self',
  'REP-06 nobody reports themselves');
select tests.clear_authentication();
select is((select array_agg(split_part(topic, ':', 2) order by topic) from realtime.messages where event = 'report_created'),
  array['f4000000-0000-0000-0000-000000000001', 'f4000000-0000-0000-0000-000000000002', 'f4000000-0000-0000-0000-000000000006'],
  'REP-07 report_created reaches the group''s owner and admins');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000002');
select is((select count(*) from parley.reports), 1::bigint, 'REP-08 an admin reads the group''s report queue');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000005');
select is(tests.error_of($$select parley.report_message((select id from parley.messages where client_id = 'f4a00000-0000-0000-0000-000000000001'), 'spam')$$),
  'PT404 message_not_found', 'REP-09 an outsider cannot report what they cannot read');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000007');
select is(tests.error_of($$select parley.report_user('f4000000-0000-0000-0000-000000000003', 'harassment', 'in our DMs')$$), 'no error',
  'REP-10 a user reports a user');
select is(tests.error_of($$select parley.report_user('f4000000-0000-0000-0000-000000000001', 'spam')$$), 'PT429 rate_limited',
  'REP-11 reports are rate limited (bucket report)');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000004');
select is((select count(*) from parley.reports), 0::bigint, 'REP-12 a member who is not a moderator reads no reports');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000001');
select is((select count(*) from parley.reports where message_id is null), 0::bigint,
  'REP-13 a user report reaches no group moderator');
select is(tests.error_of($$select parley.resolve_report((select id from parley.reports limit 1), 'ignored')$$), '22023 report_status_invalid',
  'REP-14 a report is resolved or dismissed, nothing else');
select is((select status || ' ' || resolved_by from parley.resolve_report((select id from parley.reports limit 1), 'resolved')),
  'resolved f4000000-0000-0000-0000-000000000001', 'REP-15 the owner resolves it, on the record');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000003');
select is(tests.error_of($$select parley.resolve_report((select id from parley.reports limit 1), 'dismissed')$$), 'PT404 report_not_found',
  'REP-16 the reporter cannot resolve their own report');
select tests.authenticate_as('f4000000-0000-0000-0000-000000000002');
select is((select last_event from (select parley.delete_message((select id from parley.messages where client_id = 'f4a00000-0000-0000-0000-000000000001'))) d,
                  lateral (select pg_temp.last_event()) e(last_event)), 'message_removed -',
  'REP-17 an admin deleting another''s message leaves a message_removed system message');
select tests.authenticate_as_service_role();
select is((select count(*) || ' ' || count(*) filter (where message_snapshot ->> 'body' = 'buy cheap watches') from parley.reports
            where reporter_id::text like 'f4000000-%'), '2 1', 'REP-18 the service role reads every report; the deleted message''s words are kept');

select * from finish();
rollback;
