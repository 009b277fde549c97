-- parley.profiles: the sign-up trigger, validation, and RLS for every role.
begin;
select plan(22);

-- Cast (prefix b1): user 01, other 02.
select tests.create_user('b1000000-0000-0000-0000-000000000001', 'b1_Alice');
select tests.create_user('b1000000-0000-0000-0000-000000000002', 'b1_bob');

-- Trigger
select is((select username from parley.profiles where id = 'b1000000-0000-0000-0000-000000000001'), 'b1_Alice',
  'PROF-01 signing up creates a profile with the requested username');
select isnt((select display_name from parley.profiles where id = 'b1000000-0000-0000-0000-000000000001'), null,
  'PROF-02 the profile has a display name');
select tests.create_user('b1000000-0000-0000-0000-000000000003', 'B1_ALICE');
select is((select username from parley.profiles where id = 'b1000000-0000-0000-0000-000000000003'), 'user_000000000003',
  'PROF-03 a username taken in another case falls back to one derived from the id (sign-up never fails)');
insert into auth.users (id, email, raw_user_meta_data) values ('b1000000-0000-0000-0000-000000000004', 'b1x@example.test', '{"username": "no spaces!"}');
select ok((select username ~ '^user_[0-9a-f]{12,27}$' from parley.profiles where id = 'b1000000-0000-0000-0000-000000000004'),
  'PROF-04 an invalid requested username falls back to user_<hex of id>');
select is((select count(*) from parley.profiles where id = 'b1000000-0000-0000-0000-000000000004'), 1::bigint,
  'PROF-05 exactly one profile per auth user');
delete from auth.users where id = 'b1000000-0000-0000-0000-000000000004';
select is((select count(*) from parley.profiles where id = 'b1000000-0000-0000-0000-000000000004'), 0::bigint,
  'PROF-06 deleting the auth user deletes the profile');

-- Reads
select tests.authenticate_as('b1000000-0000-0000-0000-000000000001');
select is((select count(*) from parley.profiles where id in ('b1000000-0000-0000-0000-000000000001', 'b1000000-0000-0000-0000-000000000002')),
  2::bigint, 'PROF-07 a signed-in user reads other users'' profiles');
select tests.authenticate_as_anon();
select is(tests.error_of($$select count(*) from parley.profiles$$), '42501 -', 'PROF-08 anon cannot read profiles');
select tests.authenticate_as_service_role();
select is((select count(*) from parley.profiles where id::text like 'b1000000-%'), 3::bigint, 'PROF-09 service_role reads every profile');

-- Updates
select tests.authenticate_as('b1000000-0000-0000-0000-000000000001');
select is(tests.value_of($$update parley.profiles set display_name = 'Alice A.' where id = 'b1000000-0000-0000-0000-000000000001' returning display_name$$),
  'Alice A.', 'PROF-10 a user updates their own display name');
select is(tests.rows_affected($$update parley.profiles set display_name = 'hacked' where id = 'b1000000-0000-0000-0000-000000000002'$$),
  0::bigint, 'PROF-11 a user cannot update someone else''s profile (no row matched)');
select is(tests.error_of($$update parley.profiles set created_at = now() where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '42501 -', 'PROF-12 columns outside the update grant cannot be written');
select is(tests.error_of($$update parley.profiles set id = 'b1000000-0000-0000-0000-000000000009' where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '42501 -', 'PROF-13 the id cannot be changed');
select is(tests.error_of($$update parley.profiles set username = 'B1_BOB' where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '23505 username_taken', 'PROF-14 usernames are unique case-insensitively');
select is(tests.error_of($$update parley.profiles set username = 'a b' where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '22023 username_invalid', 'PROF-15 an invalid username is refused');
select is(tests.error_of($$update parley.profiles set display_name = '' where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '22023 display_name_invalid', 'PROF-16 an empty display name is refused');
select is(tests.error_of($$update parley.profiles set avatar_url = repeat('x', 2049) where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '22023 avatar_url_too_long', 'PROF-17 an avatar_url over 2048 characters is refused');
select is(tests.error_of($$insert into parley.profiles (id, username, display_name) values ('b1000000-0000-0000-0000-000000000001', 'b1_x', 'x')$$),
  '42501 -', 'PROF-18 users cannot insert profiles');
select is(tests.error_of($$delete from parley.profiles where id = 'b1000000-0000-0000-0000-000000000001'$$),
  '42501 -', 'PROF-19 users cannot delete profiles');
select tests.authenticate_as_anon();
select is(tests.error_of($$update parley.profiles set display_name = 'x'$$), '42501 -', 'PROF-20 anon cannot update profiles');
select tests.clear_authentication();
select is((select username || '/' || display_name from parley.profiles where id = 'b1000000-0000-0000-0000-000000000001'),
  'b1_Alice/Alice A.', 'PROF-21 refused updates changed nothing');
select tests.authenticate_as('b1000000-0000-0000-0000-000000000001');
select is(tests.value_of($$update parley.profiles set last_seen_at = now() where id = 'b1000000-0000-0000-0000-000000000001' returning last_seen_at is not null$$),
  'true', 'PROF-22 a user sets their own last_seen_at');

select * from finish();
rollback;
