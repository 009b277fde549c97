-- Users whose profile is missing (made before Parley was installed and not backfilled, imported with
-- triggers off, or the row deleted by hand) are still users: writing rows for them restores the profile
-- instead of failing on a foreign key. IDs: PROF-MISS-xx (docs/SECURITY.md § Attacks we test).
begin;
select plan(9);

-- Cast (prefix c8): pat 01 (lost her profile), quinn 02, rory 03 (lost his profile), sam 04.
select tests.create_user('c8000000-0000-0000-0000-000000000001', 'c8_pat');
select tests.create_user('c8000000-0000-0000-0000-000000000002', 'c8_quinn');
select tests.create_user('c8000000-0000-0000-0000-000000000003', 'c8_rory');
select tests.create_user('c8000000-0000-0000-0000-000000000004', 'c8_sam');
delete from parley.profiles where id in ('c8000000-0000-0000-0000-000000000001', 'c8000000-0000-0000-0000-000000000003');

select tests.authenticate_as('c8000000-0000-0000-0000-000000000001');
select is((select body from parley.send_direct_message('c8000000-0000-0000-0000-000000000002', 'first', client_id => 'c8a00000-0000-0000-0000-000000000001')),
  'first', 'PROF-MISS-01 a user without a profile can message someone (no raw 23503)');
select is((select username || ' ' || display_name from parley.profiles where id = 'c8000000-0000-0000-0000-000000000001'),
  'c8_pat C8_Pat', 'PROF-MISS-02 and has their profile back, made from their auth metadata');

select tests.authenticate_as('c8000000-0000-0000-0000-000000000002');
select is((select body from parley.send_direct_message('c8000000-0000-0000-0000-000000000003', 'hi rory', client_id => 'c8a00000-0000-0000-0000-000000000002')),
  'hi rory', 'PROF-MISS-03 messaging a user without a profile works (not user_not_found)');
select ok(exists (select 1 from parley.profiles where id = 'c8000000-0000-0000-0000-000000000003'), 'PROF-MISS-04 and restores their profile');

select tests.clear_authentication();
delete from parley.profiles where id = 'c8000000-0000-0000-0000-000000000004';
select tests.authenticate_as('c8000000-0000-0000-0000-000000000002');
select ok((select id from parley.create_group('Restored', null, array['c8000000-0000-0000-0000-000000000004']::uuid[])) is not null,
  'PROF-MISS-05 a group can be created with a member who lost their profile');
select is(tests.error_of($$select parley.get_or_create_direct_conversation('c8ffffff-0000-0000-0000-000000000009')$$), 'PT404 user_not_found',
  'PROF-MISS-06 an id with no account at all is still user_not_found');
select is(tests.error_of($$select parley.add_members((select id from parley.conversations where title = 'Restored'), array['c8ffffff-0000-0000-0000-000000000009']::uuid[])$$),
  'PT404 user_not_found', 'PROF-MISS-07 for add_members too');

-- A token that outlived its account: a clear code, never a foreign key error.
select tests.clear_authentication();
delete from auth.users where id = 'c8000000-0000-0000-0000-000000000001';
select set_config('request.jwt.claims', jsonb_build_object('sub', 'c8000000-0000-0000-0000-000000000001', 'role', 'authenticated', 'is_anonymous', false)::text, true);
select set_config('role', 'authenticated', true);
select is(tests.error_of($$select parley.create_group('Ghost')$$), '42501 account_not_found',
  'PROF-MISS-08 a deleted account''s token cannot create a group');
select is(tests.error_of($$select parley.get_or_create_direct_conversation('c8000000-0000-0000-0000-000000000004')$$), '42501 account_not_found',
  'PROF-MISS-09 nor open a conversation');

select * from finish();
rollback;
