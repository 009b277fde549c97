-- Not-found refusals use SQLSTATE PT404, which PostgREST answers with HTTP 404 (every P0 code but P0001 would be a 500).
begin;
select plan(2);

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('parley', 'parley_internal') and p.prosrc like '%P0002%'),
  0,
  'ERR-1 no Parley function raises P0002 any more (PostgREST would answer it 500)');
select cmp_ok(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('parley', 'parley_internal') and p.prosrc like '%errcode = ''PT404''%'),
  '>=', 18,
  'ERR-2 the not-found refusals of messaging, groups and calls raise PT404');

select * from finish();
rollback;
