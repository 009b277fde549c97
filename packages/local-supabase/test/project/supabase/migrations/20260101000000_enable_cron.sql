-- The test project enables Supabase Cron as a project does (Integrations → Cron): the cron suites schedule
-- their own jobs. pg_net (Database Webhooks) is there already, as on every Supabase project.
create extension if not exists pg_cron with schema pg_catalog;
