-- Push delivery on Supabase: pg_net carries the outbox's Database Webhook (the enqueue triggers call
-- parley_internal.wake_push_dispatcher, which queues one POST to push-dispatch, sent after the commit, for
-- each write that made a new job) and Supabase Cron sweeps every 10 seconds (parley_internal.sweep_push_jobs:
-- wakes the dispatcher for retries that are due, lost webhook calls and expired leases; forgets old jobs).
-- Both extensions are on every Supabase project: this enables them where the server has them (pg_cron in
-- pg_catalog, as Supabase's docs do; pg_net recorded in extensions, its functions in net) and schedules
-- the job. Where the server lacks one it changes nothing and says so: without pg_net nothing calls
-- push-dispatch from the database, without pg_cron nothing sweeps; call the function yourself then
-- (docs/push.md). cron.schedule replaces a job of the same name, so applying this again is a no-op.
-- The URL and secret the calls use are not here: Vault secrets parley_push_dispatch_url and
-- parley_push_dispatch_secret (docs/push.md § Deploy). Not in supabase/schemas/: a job is a row of pg_cron's.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net')
     and exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    -- As the dashboard enables it: recorded in schema extensions (its functions live in net either way).
    if exists (select 1 from pg_catalog.pg_namespace where nspname = 'extensions') then
      create extension if not exists pg_net with schema extensions;
    else
      create extension if not exists pg_net;
    end if;
  end if;
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net') then
    raise notice 'parley: pg_net is not available on this server; push-dispatch is not called from the database';
  end if;
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
     and exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    create extension pg_cron with schema pg_catalog;
  end if;
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('parley_sweep_push', '10 seconds', 'select parley_internal.sweep_push_jobs()');
  else
    raise notice 'parley: pg_cron is not available on this server; push jobs are not swept (call push-dispatch to drain them)';
  end if;
end;
$$;
