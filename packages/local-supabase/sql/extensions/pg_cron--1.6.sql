-- pg_cron 1.6's SQL interface, as the local stack's stand-in (docs/cron.md).
-- Written here from pg_cron's README and source (citusdata/pg_cron): the same schema, tables, columns,
-- policies, function signatures and error messages. Where pg_cron does the work in C, these functions
-- do it in PL/pgSQL; the jobs are run by the stack's scheduler (src/cron/scheduler.ts), which reads
-- cron.job, runs each due job in its database as its owner and records the run in cron.job_run_details.
-- Differences from the real extension are listed in docs/cron.md.

\echo Use "create extension pg_cron" to load this file. \quit

create schema cron;
comment on schema cron is 'pg_cron: scheduled jobs and their runs';

create sequence cron.jobid_seq;
create sequence cron.runid_seq;

create table cron.job (
  jobid bigint primary key default pg_catalog.nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport int not null default coalesce(pg_catalog.inet_server_port(), pg_catalog.current_setting('port')::int),
  database text not null default pg_catalog.current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);
comment on table cron.job is 'pg_cron: one row per scheduled job; read by the scheduler';

create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default pg_catalog.nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
comment on table cron.job_run_details is 'pg_cron: one row per run of a job (starting, running, succeeded or failed)';

-- pg_cron's own row security: a role sees and changes its own jobs and runs only.
alter table cron.job enable row level security;
create policy cron_job_policy on cron.job using (username operator(pg_catalog.=) current_user);
alter table cron.job_run_details enable row level security;
create policy cron_job_run_details_policy on cron.job_run_details using (username operator(pg_catalog.=) current_user);

-- pg_cron grants reads of both tables and deletes of runs. The stand-in's functions run as their
-- caller (pg_cron's C code switches to the extension owner instead), so writing one's own jobs
-- needs the table grants too; the policy above still limits every write to the caller's own rows.
grant select, insert, update, delete on cron.job to public;
grant select, delete on cron.job_run_details to public;
grant select, usage on sequence cron.jobid_seq to public;
grant select on sequence cron.runid_seq to public;

select pg_catalog.pg_extension_config_dump('cron.job', '');
select pg_catalog.pg_extension_config_dump('cron.jobid_seq', '');
select pg_catalog.pg_extension_config_dump('cron.job_run_details', '');
select pg_catalog.pg_extension_config_dump('cron.runid_seq', '');

-- One number or name of a schedule field (Vixie cron's get_number): digits, or a three-letter name
-- whose position in `names` (plus `low`) is its value; null when it is neither.
create function cron._parse_number(token text, low int, names text[])
returns int
language sql
immutable
set search_path = ''
as $$
  select case
    when token operator(pg_catalog.~) '^[0-9]{1,9}$' then token::int
    else (select (n.i operator(pg_catalog.-) 1 operator(pg_catalog.+) low)::int
            from pg_catalog.unnest(names) with ordinality as n(name, i)
           where n.name operator(pg_catalog.=) token
           limit 1)
  end
$$;
comment on function cron._parse_number(text, int, text[]) is 'stand-in internal: one number or month/day name of a cron field';

-- The set of values one schedule field names (Vixie cron's get_list / get_range as pg_cron has
-- them): comma-separated items, each `*`, `n`, or `a-b`, the last two forms and `*` optionally with
-- `/step`; a step without a range (`1/20`) is refused. Null when the field is not valid.
create function cron._parse_field(field text, low int, high int, names text[])
returns int[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  item text;
  m text[];
  first_value int;
  last_value int;
  step int;
  result int[] := '{}';
begin
  if field is null or field operator(pg_catalog.=) '' then
    return null;
  end if;
  foreach item in array pg_catalog.string_to_array(field, ',') loop
    m := pg_catalog.regexp_match(item, '^(\*|[a-z0-9]+)(?:-([a-z0-9]+))?(?:/([0-9]{1,9}))?$');
    if m is null then
      return null;
    end if;
    if m[1] operator(pg_catalog.=) '*' then
      if m[2] is not null then
        return null;
      end if;
      first_value := low;
      last_value := high;
    else
      first_value := cron._parse_number(m[1], low, names);
      if m[2] is null then
        if m[3] is not null then
          return null;
        end if;
        last_value := first_value;
      else
        last_value := cron._parse_number(m[2], low, names);
      end if;
    end if;
    step := coalesce(m[3]::int, 1);
    if first_value is null or last_value is null
       or first_value operator(pg_catalog.<) low or first_value operator(pg_catalog.>) high
       or last_value operator(pg_catalog.<) low or last_value operator(pg_catalog.>) high
       or step operator(pg_catalog.<=) 0 or step operator(pg_catalog.>) high then
      return null;
    end if;
    -- A range that runs backwards (10-5) names nothing, as in Vixie cron: valid, never due.
    result := result operator(pg_catalog.||) array(select pg_catalog.generate_series(first_value, last_value, step));
  end loop;
  return result;
end;
$$;
comment on function cron._parse_field(text, int, int, text[]) is 'stand-in internal: the values one cron field names, or null when invalid';

-- A schedule as the scheduler needs it, or null when pg_cron would refuse it: the five cron fields
-- (minute hour day-of-month month day-of-week, with month and weekday names, `$` for the last day
-- of the month and 7 for Sunday), the @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly
-- shortcuts, @reboot, or pg_cron's interval form '[1-59] seconds'.
create function cron._parse_schedule(schedule text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  s text := pg_catalog.lower(pg_catalog.btrim(schedule, E' \t\r\n'));
  f text[];
  seconds int;
  minutes int[];
  hours int[];
  days int[];
  months int[];
  weekdays int[];
begin
  if s is null then
    return null;
  end if;
  s := case s
    when '@reboot' then '@reboot'
    when '@restart' then '@reboot'
    when '@yearly' then '0 0 1 1 *'
    when '@annually' then '0 0 1 1 *'
    when '@monthly' then '0 0 1 * *'
    when '@weekly' then '0 0 * * 0'
    when '@daily' then '0 0 * * *'
    when '@midnight' then '0 0 * * *'
    when '@hourly' then '0 * * * *'
    else s
  end;
  if s operator(pg_catalog.=) '@reboot' then
    return '{"reboot": true}'::jsonb;
  end if;
  f := pg_catalog.regexp_split_to_array(s, '\s+');
  if pg_catalog.array_length(f, 1) operator(pg_catalog.=) 5 then
    minutes := cron._parse_field(f[1], 0, 59, null);
    hours := cron._parse_field(f[2], 0, 23, null);
    days := case when f[3] operator(pg_catalog.=) '$' then '{}'::int[] else cron._parse_field(f[3], 1, 31, null) end;
    months := cron._parse_field(f[4], 1, 12, array['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec']);
    weekdays := cron._parse_field(f[5], 0, 7, array['sun','mon','tue','wed','thu','fri','sat','sun']);
    if minutes is not null and hours is not null and days is not null and months is not null and weekdays is not null then
      -- Sunday is both 0 and 7.
      if 0 operator(pg_catalog.=) any (weekdays) or 7 operator(pg_catalog.=) any (weekdays) then
        weekdays := array(select distinct w from pg_catalog.unnest(weekdays operator(pg_catalog.||) array[0, 7]) as w order by w);
      end if;
      return pg_catalog.jsonb_build_object(
        'minutes', minutes, 'hours', hours, 'days_of_month', days, 'months', months, 'days_of_week', weekdays,
        'last_day_of_month', f[3] operator(pg_catalog.=) '$',
        -- Vixie cron: when either day field starts with `*` a day must match both, otherwise either.
        'day_star', pg_catalog.left(f[3], 1) operator(pg_catalog.=) '*' or pg_catalog.left(f[5], 1) operator(pg_catalog.=) '*');
    end if;
    return null;
  end if;
  seconds := (pg_catalog.regexp_match(s, '^([0-9]{1,9}) *seconds?$'))[1]::int;
  if seconds operator(pg_catalog.>=) 1 and seconds operator(pg_catalog.<=) 59 then
    return pg_catalog.jsonb_build_object('seconds', seconds);
  end if;
  return null;
end;
$$;
comment on function cron._parse_schedule(text) is 'stand-in internal: a cron schedule parsed for the scheduler, or null when pg_cron would refuse it';

-- What cron.schedule and cron.schedule_in_database share (pg_cron's ScheduleCronJob): checks the
-- schedule, the owner and the database, then inserts the job or, for a name the owner already
-- uses, replaces its schedule, command and database.
create function cron._schedule(job_name text, schedule text, command text, database text, username text, active boolean)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  owner_name text := current_user;
  -- As pg_cron: without a database, the one named by cron.database_name (default postgres), where
  -- the scheduler reads its jobs.
  database_name text := coalesce(database, pg_catalog.current_setting('cron.database_name', true), 'postgres');
  new_jobid bigint;
begin
  if schedule is null then
    raise exception 'schedule can not be NULL';
  end if;
  if command is null then
    raise exception 'command can not be NULL';
  end if;
  if cron._parse_schedule(schedule) is null then
    raise exception 'invalid schedule: %', schedule
      using errcode = 'invalid_parameter_value', hint = 'Use cron format (e.g. 5 4 * * *), or interval format ''[1-59] seconds''';
  end if;
  -- Another database or owner only through cron.schedule_in_database, which an admin grants.
  if (database is not null or username is not null)
     and not pg_catalog.has_function_privilege('cron.schedule_in_database(text, text, text, text, text, boolean)', 'execute') then
    raise exception 'permission denied for function schedule_in_database' using errcode = 'insufficient_privilege';
  end if;
  if username is not null then
    if not coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user), false) then
      raise exception 'must be superuser to create a job for another role';
    end if;
    if not exists (select from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) username) then
      raise exception 'role "%" does not exist', username;
    end if;
    if not exists (select from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) username and r.rolcanlogin) then
      raise exception 'role "%" can not log in', username
        using detail = 'Jobs may only be run by roles that have the LOGIN attribute.';
    end if;
    owner_name := username;
  end if;
  if not exists (select from pg_catalog.pg_database d where d.datname operator(pg_catalog.=) database_name) then
    raise exception 'database "%" does not exist', database_name using errcode = 'invalid_catalog_name';
  end if;
  if not pg_catalog.has_database_privilege(owner_name, database_name, 'CONNECT') then
    raise exception 'User % does not have CONNECT privilege on %', owner_name, database_name;
  end if;
  if job_name is null then
    insert into cron.job (schedule, command, database, username, active)
    values (schedule, command, database_name, owner_name, coalesce(active, true))
    returning jobid into new_jobid;
  else
    insert into cron.job (schedule, command, database, username, active, jobname)
    values (schedule, command, database_name, owner_name, coalesce(active, true), job_name)
    on conflict on constraint jobname_username_uniq do update
      set schedule = excluded.schedule, command = excluded.command, database = excluded.database
    returning jobid into new_jobid;
  end if;
  return new_jobid;
end;
$$;
comment on function cron._schedule(text, text, text, text, text, boolean) is 'stand-in internal: inserts or replaces a job for cron.schedule and cron.schedule_in_database';
-- Executable by everyone, as cron.schedule is: it runs as its caller and refuses another owner to a non-superuser.

create function cron.schedule(schedule text, command text)
returns bigint
language plpgsql
strict
set search_path = ''
as $$
begin
  return cron._schedule(null, schedule, command, null, null, true);
end;
$$;
comment on function cron.schedule(text, text) is 'schedule a pg_cron job';

create function cron.schedule(job_name text, schedule text, command text)
returns bigint
language plpgsql
set search_path = ''
as $$
begin
  if job_name is null then
    raise exception 'job_name can not be NULL';
  end if;
  return cron._schedule(job_name, schedule, command, null, null, true);
end;
$$;
comment on function cron.schedule(text, text, text) is 'schedule a pg_cron job';

create function cron.schedule_in_database(job_name text, schedule text, command text, database text, username text default null, active boolean default 'true')
returns bigint
language plpgsql
set search_path = ''
as $$
begin
  if job_name is null then
    raise exception 'job_name can not be NULL';
  end if;
  return cron._schedule(job_name, schedule, command, database, username, active);
end;
$$;
comment on function cron.schedule_in_database(text, text, text, text, text, boolean) is 'schedule a pg_cron job';
-- As pg_cron: an admin decides who may schedule into other databases.
revoke all on function cron.schedule_in_database(text, text, text, text, text, boolean) from public;

create function cron.unschedule(job_id bigint)
returns boolean
language plpgsql
strict
set search_path = ''
as $$
begin
  delete from cron.job j where j.jobid operator(pg_catalog.=) job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  return true;
end;
$$;
comment on function cron.unschedule(bigint) is 'unschedule a pg_cron job';

create function cron.unschedule(job_name text)
returns boolean
language plpgsql
strict
set search_path = ''
as $$
begin
  delete from cron.job j where j.jobname operator(pg_catalog.=) job_name and j.username operator(pg_catalog.=) current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end;
$$;
comment on function cron.unschedule(text) is 'unschedule a pg_cron job';

create function cron.alter_job(job_id bigint, schedule text default null, command text default null, database text default null, username text default null, active boolean default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  is_superuser boolean := coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user), false);
  owner_name text;
begin
  if job_id is null then
    raise exception 'job_id can not be NULL';
  end if;
  if schedule is null and command is null and database is null and username is null and active is null then
    raise exception 'no updates specified'
      using hint = 'You must specify at least one job attribute to change when calling alter_job';
  end if;
  if username is not null and not is_superuser then
    raise exception 'must be superuser to alter username';
  end if;
  if schedule is not null and cron._parse_schedule(schedule) is null then
    raise exception 'invalid schedule: %', schedule
      using errcode = 'invalid_parameter_value', hint = 'Use cron format (e.g. 5 4 * * *), or interval format ''[1-59] seconds''';
  end if;
  if database is not null then
    owner_name := coalesce(username, current_user);
    if not exists (select from pg_catalog.pg_database d where d.datname operator(pg_catalog.=) database) then
      raise exception 'database "%" does not exist', database using errcode = 'invalid_catalog_name';
    end if;
    if not pg_catalog.has_database_privilege(owner_name, database, 'CONNECT') then
      raise exception 'User % does not have CONNECT privilege on %', owner_name, database;
    end if;
  end if;
  update cron.job j
     set schedule = coalesce(alter_job.schedule, j.schedule),
         command = coalesce(alter_job.command, j.command),
         database = coalesce(alter_job.database, j.database),
         username = coalesce(alter_job.username, j.username),
         active = coalesce(alter_job.active, j.active)
   where j.jobid operator(pg_catalog.=) job_id
     and (is_superuser or j.username operator(pg_catalog.=) current_user);
  if not found then
    raise exception 'Job % does not exist or you don''t own it', job_id;
  end if;
end;
$$;
comment on function cron.alter_job(bigint, text, text, text, text, boolean) is 'Alter the job identified by job_id. Any option left as NULL will not be modified.';
-- As pg_cron: an admin decides whether alter_job is safe by granting execute.
revoke all on function cron.alter_job(bigint, text, text, text, text, boolean) from public;

-- pg_cron's job cache invalidation: the scheduler LISTENs on this channel and reloads cron.job when
-- a change commits (a notification is delivered at commit, never for a rolled-back change).
create function cron.job_cache_invalidate()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.pg_notify('cron_job_cache_invalidate', pg_catalog.current_database());
  return null;
end;
$$;
comment on function cron.job_cache_invalidate() is 'invalidate job cache';

create trigger cron_job_cache_invalidate
  after insert or update or delete or truncate on cron.job
  for statement execute function cron.job_cache_invalidate();
