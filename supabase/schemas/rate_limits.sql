-- Rate limits: a token bucket per user and action, checked in the transaction of the write it guards.
-- The limits are data: parley.rate_limit_rules holds each bucket's burst and sustained rate (the defaults
-- below; the service role edits them, a project's seed may set them), parley.rate_limit_overrides holds
-- per-user exceptions (a bot, a test user, an admin). parley_internal.rate_limit_buckets holds the state.
-- A refusal raises SQLSTATE PT429 (PostgREST answers HTTP 429), hint rate_limited, and detail
-- '{"retry_after": <seconds>, "bucket": "<name>"}'; the raise rolls back the whole write, the token included.
-- Slow mode (seconds between a member's messages in a group) lives beside the conversation
-- (conversations.slow_mode_seconds, conversation_members.last_sent_at) and is checked by send_message.
-- Security definer functions here (see docs/SECURITY.md § Definer functions):
--   parley_internal.take_upload_token() — trigger on storage.objects: the uploader may not write the bucket state.
--   parley_internal.set_slow_mode(uuid, integer) — members cannot write conversations directly.
-- parley_internal.take_token is an invoker helper only its definer callers (owned by postgres) execute.

create table parley.rate_limit_rules (
  bucket text primary key,
  burst integer not null,
  per_minute numeric not null,
  enabled boolean not null default true,
  description text not null default '',
  updated_at timestamptz not null default now(),
  constraint rate_limit_rules_bucket_check check (bucket ~ '^[a-z][a-z_]*$'),
  constraint rate_limit_rules_burst_check check (burst >= 1),
  constraint rate_limit_rules_per_minute_check check (per_minute > 0)
);
comment on table parley.rate_limit_rules is 'Rate limits per action: a token bucket of burst tokens refilled at per_minute tokens a minute, per user. The service role edits them.';
comment on column parley.rate_limit_rules.burst is 'Bucket size: how many requests a user may make at once after a pause.';
comment on column parley.rate_limit_rules.per_minute is 'Sustained rate: tokens added per minute (fractions allowed), up to burst.';
comment on column parley.rate_limit_rules.enabled is 'false turns this limit off for everyone.';
alter table parley.rate_limit_rules enable row level security;
revoke all on table parley.rate_limit_rules from public, anon, authenticated;
grant select on table parley.rate_limit_rules to authenticated;
grant all on table parley.rate_limit_rules to service_role;

-- The limits are public knowledge (as get_messaging_limits is): clients may pace themselves.
create policy rate_limit_rules_select_all on parley.rate_limit_rules
  for select to authenticated
  using (true);
comment on policy rate_limit_rules_select_all on parley.rate_limit_rules is 'Every signed-in user reads the limits, so clients can pace themselves.';

-- The defaults: a person never meets them, a script soon does. Rows, not schema: `supabase db diff` does
-- not capture them, so the migration that adds them carries the same statement (the drift test compares
-- the rows). do nothing on conflict: a project's own values (seed, dashboard) survive a re-run.
insert into parley.rate_limit_rules (bucket, burst, per_minute, description) values
  ('send_message', 30, 300, 'send_message / send_direct_message (a retried client_id is free)'),
  ('new_direct', 20, 1, 'direct conversations started with someone new (anti-spam: the tightest)'),
  ('create_group', 10, 2, 'create_group'),
  ('add_member', 1000, 600, 'members added by add_members and create_group, one token per user added'),
  ('start_call', 10, 6, 'start_call when it starts a new call (joining a live one is free)'),
  ('upload', 100, 60, 'uploads into bucket parley-attachments'),
  ('call_token', 30, 20, 'call-token requests (get_call_grant)'),
  ('report', 20, 2, 'report_message / report_user (a repeated report of the same thing is free)'),
  ('invite', 20, 10, 'create_invite_link and join_by_invite (a member asking again is free)')
on conflict (bucket) do nothing;

create table parley.rate_limit_overrides (
  user_id uuid not null references parley.profiles (id) on delete cascade,
  bucket text not null references parley.rate_limit_rules (bucket) on delete cascade,
  burst integer,
  per_minute numeric,
  exempt boolean not null default false,
  primary key (user_id, bucket),
  constraint rate_limit_overrides_burst_check check (burst >= 1),
  constraint rate_limit_overrides_per_minute_check check (per_minute > 0)
);
comment on table parley.rate_limit_overrides is 'Per-user exceptions to parley.rate_limit_rules: another burst or rate (null keeps the rule''s), or exempt. The service role edits them.';
alter table parley.rate_limit_overrides enable row level security;
revoke all on table parley.rate_limit_overrides from public, anon, authenticated;
grant select on table parley.rate_limit_overrides to authenticated;
grant all on table parley.rate_limit_overrides to service_role;

-- Foreign key lookups when a rule is deleted.
create index rate_limit_overrides_bucket_idx on parley.rate_limit_overrides (bucket);

-- A user sees their own exceptions (the primary key starts with user_id), nobody else's.
create policy rate_limit_overrides_select_own on parley.rate_limit_overrides
  for select to authenticated
  using (user_id = (select auth.uid()));
comment on policy rate_limit_overrides_select_own on parley.rate_limit_overrides is 'Users read their own rate limit exceptions.';

-- The buckets' state: one row per user and bucket, updated in place by every guarded write. Nothing
-- indexed changes, so the updates are HOT; the fillfactor leaves them room on the page.
create table parley_internal.rate_limit_buckets (
  user_id uuid not null references parley.profiles (id) on delete cascade,
  bucket text not null,
  tokens double precision not null,
  refilled_at timestamptz not null,
  primary key (user_id, bucket)
)
with (fillfactor = 70);
comment on table parley_internal.rate_limit_buckets is 'Token bucket state per user and bucket (tokens left at refilled_at). Written only by parley_internal.take_token.';
alter table parley_internal.rate_limit_buckets enable row level security;
revoke all on table parley_internal.rate_limit_buckets from public, anon, authenticated;
grant select on table parley_internal.rate_limit_buckets to service_role;

-- Takes cost tokens from the user's bucket or raises PT429 rate_limited with the seconds until enough
-- have refilled. The upsert locks the bucket row until the caller's transaction ends, so concurrent
-- writes of one user queue on it and cannot overshoot; a refusal (or any later error) rolls the take
-- back. A cost above the burst needs a full bucket and empties it. No user (service role, Storage's own
-- writes) or a disabled rule or an exempt user: nothing to take.
create or replace function parley_internal.take_token(user_id uuid, bucket text, cost integer)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_burst double precision;
  v_rate double precision;
  v_enabled boolean;
  v_cost double precision;
  v_now timestamptz := clock_timestamp();
  v_tokens double precision;
  v_retry integer;
begin
  if take_token.user_id is null or take_token.cost <= 0 then
    return;
  end if;
  select coalesce(o.burst, r.burst), coalesce(o.per_minute, r.per_minute) / 60.0, r.enabled and not coalesce(o.exempt, false)
    into v_burst, v_rate, v_enabled
    from parley.rate_limit_rules r
    left join parley.rate_limit_overrides o on o.user_id = take_token.user_id and o.bucket = r.bucket
   where r.bucket = take_token.bucket;
  if not coalesce(v_enabled, false) then
    return;
  end if;
  v_cost := least(take_token.cost, v_burst);
  insert into parley_internal.rate_limit_buckets as b (user_id, bucket, tokens, refilled_at)
  values (take_token.user_id, take_token.bucket, v_burst - v_cost, v_now)
  on conflict on constraint rate_limit_buckets_pkey do update
     set tokens = least(v_burst, b.tokens + greatest(extract(epoch from v_now - b.refilled_at)::double precision, 0) * v_rate) - v_cost,
         refilled_at = greatest(b.refilled_at, v_now)
  returning b.tokens into v_tokens;
  if v_tokens < 0 then
    v_retry := greatest(ceil(-v_tokens / v_rate), 1)::integer;
    raise exception 'rate limited: too many % requests; try again in % s', take_token.bucket, v_retry
      using errcode = 'PT429', hint = 'rate_limited',
            detail = json_build_object('retry_after', v_retry, 'bucket', take_token.bucket)::text;
  end if;
end;
$$;
comment on function parley_internal.take_token(uuid, text, integer) is 'Internal: takes cost tokens from a user''s bucket, or raises PT429 rate_limited (detail {"retry_after": s, "bucket": name}).';
revoke execute on function parley_internal.take_token(uuid, text, integer) from public, anon, authenticated, service_role;

-- Uploads into Parley's bucket take an `upload` token from the uploader. A trigger, not the insert policy,
-- so that the refusal carries its own SQLSTATE and hint. Storage's permission probe (the same insert,
-- rolled back) takes and returns one, so an upload is refused before its bytes are stored. Definer: the
-- uploader may not write the bucket state.
create or replace function parley_internal.take_upload_token()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform parley_internal.take_token(auth.uid(), 'upload', 1);
  return new;
end;
$$;
comment on function parley_internal.take_upload_token() is 'Trigger on storage.objects: an upload into parley-attachments takes an upload token (PT429 rate_limited when none is left).';
revoke execute on function parley_internal.take_upload_token() from public, anon, authenticated, service_role;

-- Every new object in the bucket, whichever Storage route wrote it (upload, upsert, copy, signed upload).
create trigger parley_attachments_rate_limit
  before insert on storage.objects
  for each row when (new.bucket_id = 'parley-attachments')
  execute function parley_internal.take_upload_token();

-- Slow mode: an owner or admin sets the seconds a member must wait between messages in a group.
create or replace function parley_internal.set_slow_mode(group_id uuid, seconds integer)
returns parley.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_role text := parley_internal.lock_group(set_slow_mode.group_id, v_user_id);
  v_max integer := (parley_internal.limits() ->> 'slow_mode_max_seconds')::integer;
  v_row parley.conversations;
begin
  if v_role not in ('owner', 'admin') then
    raise exception 'only the owner or an admin may set slow mode in group %', set_slow_mode.group_id
      using errcode = '42501', hint = 'insufficient_role';
  end if;
  if set_slow_mode.seconds is null or set_slow_mode.seconds < 0 or set_slow_mode.seconds > v_max then
    raise exception 'seconds must be between 0 (off) and % (got %)', v_max, set_slow_mode.seconds
      using errcode = '22023', hint = 'slow_mode_invalid';
  end if;
  update parley.conversations c
     set slow_mode_seconds = set_slow_mode.seconds, updated_at = now()
   where c.id = set_slow_mode.group_id and c.slow_mode_seconds is distinct from set_slow_mode.seconds
  returning * into v_row;
  if found then
    perform parley_internal.post_system_message(v_row.id, v_user_id, 'slow_mode_changed',
      jsonb_build_object('slow_mode_seconds', set_slow_mode.seconds));
  end if;
  select * into v_row from parley.conversations c where c.id = set_slow_mode.group_id;
  return v_row;
end;
$$;
comment on function parley_internal.set_slow_mode(uuid, integer) is 'Implementation of parley.set_slow_mode (definer: members cannot write conversations).';
revoke execute on function parley_internal.set_slow_mode(uuid, integer) from public, anon;
grant execute on function parley_internal.set_slow_mode(uuid, integer) to authenticated, service_role;

create or replace function parley.set_slow_mode(group_id uuid, seconds integer)
returns parley.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.conversations;
begin
  select * into v_row from parley_internal.set_slow_mode(set_slow_mode.group_id, set_slow_mode.seconds);
  return v_row;
end;
$$;
comment on function parley.set_slow_mode(uuid, integer) is 'Slow mode for a group (owner or admin): members wait this many seconds between messages (0 = off); owners and admins are exempt.';
revoke execute on function parley.set_slow_mode(uuid, integer) from public, anon;
grant execute on function parley.set_slow_mode(uuid, integer) to authenticated, service_role;
