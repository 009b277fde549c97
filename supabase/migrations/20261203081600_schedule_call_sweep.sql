-- Supabase Cron sweeps ringing calls every 15 seconds (parley_internal.sweep_calls), so a call nobody
-- answers is marked missed on time even when nobody calls an RPC; without it the call RPCs sweep as
-- they run, which is correct but late. pg_cron is on every Supabase project: this enables it where the
-- server has it (as Supabase's docs do, in pg_catalog) and schedules the job, so it never depends on
-- enabling the extension first. Where the server has no pg_cron (a plain local Postgres) it changes
-- nothing and says so. cron.schedule replaces a job of the same name, so applying it again is a no-op.
-- Not in supabase/schemas/: a job is a row of pg_cron's, not schema.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
     and exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    create extension pg_cron with schema pg_catalog;
  end if;
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('parley_sweep_calls', '15 seconds', 'select parley_internal.sweep_calls()');
  else
    raise notice 'parley: pg_cron is not available on this server; ringing calls are swept by the call RPCs only';
  end if;
end;
$$;
