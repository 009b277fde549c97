-- pg_net 0.20's SQL interface, as the local stack's stand-in (docs/net.md).
-- Written here from pg_net's README and source (supabase/pg_net): the same schema, queue and response
-- tables with their columns, the same function signatures, defaults and checks. Where pg_net does
-- the work in C (URL encoding, waking its background worker) these functions do it in SQL; the
-- requests are sent by the stack's worker (src/net/worker.ts), which LISTENs on `pg_net_wake`,
-- takes queued rows in id order and records each response (or error) in net._http_response.
-- Differences from the real extension are listed in docs/net.md.

\echo Use "create extension pg_net" to load this file. \quit

create schema if not exists net;
comment on schema net is 'pg_net: asynchronous HTTP requests queued in SQL, sent after commit';

create domain net.http_method as text
check (
  value ilike 'get'
  or value ilike 'post'
  or value ilike 'delete'
);

-- Requests waiting for the worker; it deletes each row as it takes it.
create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);
comment on table net.http_request_queue is 'pg_net: requests waiting to be sent (private to pg_net)';

-- One row per finished request, kept for pg_net.ttl (6 hours by default).
create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
comment on table net._http_response is 'pg_net: the response (or error) of each request, by request id';

create index on net._http_response (created);

-- Wakes the worker. A notification is delivered when the transaction commits and never when it
-- rolls back, which is what makes a request leave only after its transaction committed.
create function net.wake()
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.pg_notify('pg_net_wake', pg_catalog.current_database());
$$;
comment on function net.wake() is 'wakes the worker once the current transaction commits';

-- The worker's connection names itself so (pg_net's is a background worker of type "pg_net ... worker").
create function net.check_worker_is_up()
returns void
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select pid from pg_catalog.pg_stat_activity where application_name operator(pg_catalog.~~*) '%pg_net%worker%') then
    raise exception using
      message = 'the pg_net background worker is not up',
      detail = 'the pg_net background worker is down due to an internal error and cannot process requests',
      hint = 'make sure that you didn''t modify any of pg_net internal tables';
  end if;
end;
$$;
comment on function net.check_worker_is_up() is 'raises an exception if the pg_net background worker is not up, otherwise it doesn''t return anything';

create function net.worker_restart()
returns bool
language sql
set search_path = ''
as $$
  -- The stack reconnects its worker when the connection ends.
  select coalesce(pg_catalog.bool_or(pg_catalog.pg_terminate_backend(a.pid)), false)
    from pg_catalog.pg_stat_activity a
   where a.application_name operator(pg_catalog.~~*) '%pg_net%worker%';
$$;
comment on function net.worker_restart() is 'restarts the worker';

create function net.wait_until_running()
returns void
language plpgsql
set search_path = ''
as $$
begin
  while not exists (select from pg_catalog.pg_stat_activity a where a.application_name operator(pg_catalog.~~*) '%pg_net%worker%') loop
    perform pg_catalog.pg_sleep(0.05);
  end loop;
end;
$$;
comment on function net.wait_until_running() is 'waits until the worker is running';

-- Blocks until an http_request is complete.
create function net._await_response(request_id bigint)
returns bool
language plpgsql
as $$
declare
  rec net._http_response;
begin
  while rec is null loop
    select * into rec from net._http_response where id = request_id;
    if rec is null then
      perform pg_sleep(0.05);
    end if;
  end loop;
  return true;
end;
$$;

-- curl_easy_escape: every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX.
create function net._urlencode_string(string varchar)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(pg_catalog.string_agg(
           case when c.b between 48 and 57 or c.b between 65 and 90 or c.b between 97 and 122 or c.b in (45, 46, 95, 126)
                then pg_catalog.chr(c.b)
                else '%' operator(pg_catalog.||) pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(c.b), 2, '0')) end,
           '' order by c.i), '')
    from (select pg_catalog.convert_to(string::text, 'UTF8') as bytes) as s,
         lateral (select i, pg_catalog.get_byte(s.bytes, i) as b
                    from pg_catalog.generate_series(0, pg_catalog.length(s.bytes) operator(pg_catalog.-) 1) as i) as c
  having string is not null
$$;

-- curl's URL API as pg_net uses it: the URL must have a scheme and a host; each encoded parameter
-- is appended to the query; an empty path becomes "/".
create function net._encode_url_with_params_array(url text, params_array text[])
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  parts text[];
  result text;
begin
  if url is null or params_array is null then
    return null;
  end if;
  parts := pg_catalog.regexp_match(url, '^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\s]+)([^?#\s]*)(\?[^#\s]*)?(#\S*)?$');
  if parts is null then
    raise exception 'invalid URL "%": %', url,
      case when url operator(pg_catalog.~) '^[a-zA-Z][a-zA-Z0-9+.-]*://' then 'Malformed input to a URL function' else 'Bad scheme' end;
  end if;
  result := parts[1] operator(pg_catalog.||) case when parts[2] operator(pg_catalog.=) '' then '/' else parts[2] end
    operator(pg_catalog.||) coalesce(parts[3], '');
  if pg_catalog.cardinality(params_array) operator(pg_catalog.>) 0 then
    result := result operator(pg_catalog.||) case when parts[3] is null then '?' else '&' end
      operator(pg_catalog.||) pg_catalog.array_to_string(params_array, '&');
  end if;
  return result;
end;
$$;

-- The request URL: each parameter's key and value URL-encoded and appended to the query (what each
-- of pg_net's http_* functions does before queueing).
create function net._url_with_params(url text, params jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select net._encode_url_with_params_array(url,
    (select coalesce(pg_catalog.array_agg(net._urlencode_string(p.key) operator(pg_catalog.||) '=' operator(pg_catalog.||) net._urlencode_string(p.value)), '{}')
       from pg_catalog.jsonb_each_text(params) as p));
$$;

-- Interface to make an async request
-- API: Public
create function net.http_get(
  -- url for the request
  url text,
  -- key/value pairs to be url encoded and appended to the `url`
  params jsonb default '{}'::jsonb,
  -- key/values to be included in request headers
  headers jsonb default '{}'::jsonb,
  -- the maximum number of milliseconds the request may take before being cancelled
  timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._url_with_params(url, params), headers, timeout_milliseconds)
  returning id into request_id;

  perform net.wake();
  return request_id;
end;
$$;

create function net.http_post(
  -- url for the request
  url text,
  -- body of the POST request
  body jsonb default '{}'::jsonb,
  -- key/value pairs to be url encoded and appended to the `url`
  params jsonb default '{}'::jsonb,
  -- key/values to be included in request headers
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  -- the maximum number of milliseconds the request may take before being cancelled
  timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
as $$
declare
  request_id bigint;
  content_type text;
begin
  -- The content type the caller gave, if any; without one the request is JSON.
  select header_value into content_type
    from jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
   where lower(header_name) = 'content-type'
   limit 1;

  if content_type is null then
    select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
  end if;

  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._url_with_params(url, params), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;

  perform net.wake();
  return request_id;
end;
$$;

create function net.http_delete(
  -- url for the request
  url text,
  -- key/value pairs to be url encoded and appended to the `url`
  params jsonb default '{}'::jsonb,
  -- key/values to be included in request headers
  headers jsonb default '{}'::jsonb,
  -- the maximum number of milliseconds the request may take before being cancelled
  timeout_milliseconds int default 5000,
  -- optional body of the request
  body jsonb default null
)
returns bigint
language plpgsql
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', net._url_with_params(url, params), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;

  perform net.wake();
  return request_id;
end;
$$;

-- Lifecycle states of a request (all protocols)
create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');

-- A response from an HTTP server
create type net.http_response as (
  status_code integer,
  headers jsonb,
  body text
);

-- State wrapper around responses
create type net.http_response_result as (
  status net.request_status,
  message text,
  response net.http_response
);

-- Collect the response of a request; `async` false waits for it.
create function net._http_collect_response(
  request_id bigint,
  async bool default true
)
returns net.http_response_result
language plpgsql
as $$
declare
  rec net._http_response;
begin
  if not async then
    perform net._await_response(request_id);
  end if;

  select * into rec from net._http_response where id = request_id;

  if rec is null or rec.error_msg is not null then
    -- A request in progress is indistinguishable from one that does not exist, as in pg_net.
    return ('ERROR', coalesce(rec.error_msg, 'request matching request_id not found'), null)::net.http_response_result;
  end if;

  return ('SUCCESS', 'ok', (rec.status_code, rec.headers, rec.content)::net.http_response)::net.http_response_result;
end;
$$;

create function net.http_collect_response(
  request_id bigint,
  async bool default true
)
returns net.http_response_result
language plpgsql
as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  return net._http_collect_response(request_id, async);
end;
$$;

grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
