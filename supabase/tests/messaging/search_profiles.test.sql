-- search_profiles: people by the start of their username, case-insensitive, exact match first, from an
-- index; bad prefixes and page sizes refused; anon refused. IDs: PROF-30..41.
begin;
select plan(12);

-- Cast (prefix c5): usernames sharing the start "c5_zed" and one "c5_zed" itself; 400 "c5_bulk…" users.
select tests.create_user('c5000000-0000-0000-0000-000000000001', 'c5_Zed');
select tests.create_user('c5000000-0000-0000-0000-000000000002', 'c5_zedd');
select tests.create_user('c5000000-0000-0000-0000-000000000003', 'C5_ZED.two');
select tests.create_user('c5000000-0000-0000-0000-000000000004', 'c5_zebra');
select tests.create_user('c5000000-0000-0000-0000-000000000005', 'c5xzed');
select count(tests.create_user(('c5000000-0000-0000-0001-' || lpad(g::text, 12, '0'))::uuid, 'c5_bulk' || g))
  from generate_series(1, 400) g;
analyze parley.profiles;

select tests.authenticate_as('c5000000-0000-0000-0000-000000000004');
select is(tests.value_of($$select string_agg(username, ',') from parley.search_profiles('c5_zed')$$),
  'c5_Zed,C5_ZED.two,c5_zedd', 'PROF-30 names starting with the prefix, ignoring case, the exact match first');
select is(tests.value_of($$select string_agg(username, ',') from parley.search_profiles('C5_ZE')$$),
  'c5_zebra,c5_Zed,C5_ZED.two,c5_zedd', 'PROF-31 in username order, whatever the case of the prefix');
select is(tests.value_of($$select count(*) from parley.search_profiles('c5_')$$), '20',
  'PROF-32 twenty at most by default');
select is(tests.value_of($$select count(*) from parley.search_profiles('c5_', 200)$$), '200',
  'PROF-33 up to max_count');
select is(tests.value_of($$select count(*) from parley.search_profiles('c5x')$$), '1',
  'PROF-34 "_" in a prefix is a literal underscore, not a wildcard (c5xzed does not match c5_)');
select is(tests.value_of($$select string_agg(username, ',') from parley.search_profiles('  c5_zedd ')$$), 'c5_zedd',
  'PROF-35 surrounding spaces are ignored');
select is(tests.value_of($$select display_name from parley.search_profiles('c5_zebra')$$), 'C5_Zebra',
  'PROF-36 rows carry the display name (and avatar, last seen) for the picker');
select is(tests.error_of($$select * from parley.search_profiles('c5%')$$), '22023 prefix_invalid',
  'PROF-37 a prefix with characters no username has is refused');
select is(tests.error_of($$select * from parley.search_profiles('')$$), '22023 prefix_invalid',
  'PROF-38 so is an empty prefix');
select is(tests.error_of($$select * from parley.search_profiles('c5', 0)$$), '22023 invalid_page_size',
  'PROF-39 max_count below 1 is refused');
select matches(tests.plan_of($$select lower(p.username) from parley.profiles p
    where lower(p.username) operator(pg_catalog.~>=~) 'c5_bulk1' and lower(p.username) operator(pg_catalog.~<~) 'c5_bulk1~'
    order by lower(p.username) using operator(pg_catalog.~<~) limit 20$$),
  'profiles_username_lower_pattern_idx', 'PROF-40 the search reads the username pattern index, not every profile');
select tests.authenticate_as_anon();
select is(tests.error_of($$select * from parley.search_profiles('c5')$$), '42501 -', 'PROF-41 anon cannot search');

select * from finish();
rollback;
