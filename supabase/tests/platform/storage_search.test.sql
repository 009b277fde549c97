-- The platform stand-in's storage.search(): one folder level, folders first, sorts, and search as a name prefix.
begin;
select plan(4);

insert into storage.buckets (id, name) values ('plat-search', 'plat-search');
insert into storage.objects (bucket_id, name)
values ('plat-search', 'f/Alpha.png'), ('plat-search', 'f/beta.png'), ('plat-search', 'f/sub/x.png'), ('plat-search', 'f/alps.txt');

select is(
  (select array_agg(name) from storage.search('f/', 'plat-search')),
  array['sub', 'Alpha.png', 'alps.txt', 'beta.png'],
  'PLAT-SEARCH-1 one level below the prefix, the folder first, then files by name');
select is(
  (select array_agg(name) from storage.search('f/', 'plat-search', 100, 1, 0, 'AL')),
  array['Alpha.png', 'alps.txt'],
  'PLAT-SEARCH-2 search continues the prefix, ignoring case (not a substring match)');
select is(
  (select array_agg(name) from storage.search('f/', 'plat-search', 100, 1, 0, '', 'name', 'desc')),
  array['sub', 'beta.png', 'alps.txt', 'Alpha.png'],
  'PLAT-SEARCH-3 sorting by name descending keeps folders first');
select is(
  (select array_agg(name) from storage.search('f/', 'plat-search', 2, 1, 1)),
  array['Alpha.png', 'alps.txt'],
  'PLAT-SEARCH-4 limit and offset page the listing');

select * from finish();
rollback;
