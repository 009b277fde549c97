-- The local stack's pg_cron and pg_net stand-ins expose the real extensions' SQL interface: the same
-- tables and columns, function signatures and defaults, row security and grants, so SQL written for
-- a Supabase project runs unchanged (packages/local-supabase/docs/cron.md, packages/local-supabase/docs/net.md).
begin;
select plan(22);

select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pg_cron'), 'pg_catalog',
  'PLAT-CRON-1 pg_cron is installed in pg_catalog, as on Supabase');
select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pg_net'), 'extensions',
  'PLAT-NET-1 pg_net is installed in extensions, as on every Supabase database');

select columns_are('cron', 'job', array['jobid', 'schedule', 'command', 'nodename', 'nodeport', 'database', 'username', 'active', 'jobname'],
  'PLAT-CRON-2 cron.job has pg_cron''s columns');
select columns_are('cron', 'job_run_details',
  array['jobid', 'runid', 'job_pid', 'database', 'username', 'command', 'status', 'return_message', 'start_time', 'end_time'],
  'PLAT-CRON-3 cron.job_run_details has pg_cron''s columns');
select ok((select relrowsecurity from pg_class where oid = 'cron.job'::regclass) and (select relrowsecurity from pg_class where oid = 'cron.job_run_details'::regclass),
  'PLAT-CRON-4 both tables have row security on, as in pg_cron');
select function_returns('cron', 'schedule', array['text', 'text'], 'bigint', 'PLAT-CRON-5 cron.schedule(schedule, command) returns the job id');
select function_returns('cron', 'schedule', array['text', 'text', 'text'], 'bigint', 'PLAT-CRON-6 cron.schedule(job_name, schedule, command) returns the job id');
select function_returns('cron', 'unschedule', array['bigint'], 'boolean', 'PLAT-CRON-7 cron.unschedule(job_id)');
select function_returns('cron', 'unschedule', array['text'], 'boolean', 'PLAT-CRON-8 cron.unschedule(job_name)');
select function_returns('cron', 'alter_job', array['bigint', 'text', 'text', 'text', 'text', 'boolean'], 'void', 'PLAT-CRON-9 cron.alter_job with pg_cron''s arguments');
select function_returns('cron', 'schedule_in_database', array['text', 'text', 'text', 'text', 'text', 'boolean'], 'bigint', 'PLAT-CRON-10 cron.schedule_in_database');
select ok(not has_function_privilege('authenticated', 'cron.alter_job(bigint, text, text, text, text, boolean)', 'execute')
  and not has_function_privilege('authenticated', 'cron.schedule_in_database(text, text, text, text, text, boolean)', 'execute'),
  'PLAT-CRON-11 alter_job and schedule_in_database are revoked from public, as in pg_cron');
select ok(not has_schema_privilege('authenticated', 'cron', 'usage') and not has_schema_privilege('anon', 'cron', 'usage'),
  'PLAT-CRON-12 the API roles cannot reach the cron schema');

-- A job scheduled inside a transaction is a row like any other, gone with the rollback.
select cron.schedule('plat_cron_tx', '*/5 * * * *', 'select 1');
select is((select schedule || ' ' || username || ' ' || database from cron.job where jobname = 'plat_cron_tx'), '*/5 * * * * postgres postgres',
  'PLAT-CRON-13 a job records its owner and the cron database');

select columns_are('net', 'http_request_queue', array['id', 'method', 'url', 'headers', 'body', 'timeout_milliseconds'],
  'PLAT-NET-2 net.http_request_queue has pg_net''s columns');
select columns_are('net', '_http_response', array['id', 'status_code', 'content_type', 'headers', 'content', 'timed_out', 'error_msg', 'created'],
  'PLAT-NET-3 net._http_response has pg_net''s columns');
select function_returns('net', 'http_post', array['text', 'jsonb', 'jsonb', 'jsonb', 'integer'], 'bigint', 'PLAT-NET-4 net.http_post(url, body, params, headers, timeout_milliseconds)');
select function_returns('net', 'http_get', array['text', 'jsonb', 'jsonb', 'integer'], 'bigint', 'PLAT-NET-5 net.http_get(url, params, headers, timeout_milliseconds)');
select function_returns('net', 'http_delete', array['text', 'jsonb', 'jsonb', 'integer', 'jsonb'], 'bigint', 'PLAT-NET-6 net.http_delete(url, params, headers, timeout_milliseconds, body)');

-- A queued request waits in the queue, with pg_net's defaults, until its transaction commits.
select net.http_post('http://127.0.0.1:9/plat', '{"a": 1}');
select is((select method || ' ' || url || ' ' || headers::text || ' ' || timeout_milliseconds from net.http_request_queue where url = 'http://127.0.0.1:9/plat'),
  'POST http://127.0.0.1:9/plat {"Content-Type": "application/json"} 5000',
  'PLAT-NET-7 http_post queues a JSON request with a 5 s timeout');

select ok(has_function_privilege('authenticated', 'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'execute')
  and (select prosecdef from pg_proc where oid = 'net.http_post(text, jsonb, jsonb, jsonb, integer)'::regprocedure),
  'PLAT-NET-8 Supabase''s grants: http_post is a definer the API roles may call');
select ok((select prosecdef from pg_proc where oid = 'supabase_functions.http_request()'::regprocedure)
  and (select proowner::regrole::text from pg_proc where oid = 'supabase_functions.http_request()'::regprocedure) = 'supabase_functions_admin',
  'PLAT-NET-9 supabase_functions.http_request is the webhooks'' definer owned by supabase_functions_admin');

select * from finish();
rollback;
