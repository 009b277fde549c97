-- Schedules the call sweep on databases that got pg_cron after 20261203081600_schedule_call_sweep.sql
-- ran without it: a local stack's database from before the stack shipped its pg_cron stand-in (that
-- migration then only said pg_cron was missing, and it never runs again). Everywhere else, hosted
-- Supabase included, the job is already there and cron.schedule of the same name changes nothing.
-- Same rules as that migration: enable pg_cron where the server has it, otherwise change nothing.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
     and exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    create extension pg_cron with schema pg_catalog;
  end if;
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('parley_sweep_calls', '15 seconds', 'select parley_internal.sweep_calls()');
  end if;
end;
$$;
