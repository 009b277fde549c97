-- Push notifications for members whose app is not open: devices, the foreground heartbeat, and an outbox
-- written in the transaction of the message or call change (a message: one push_outbox row carrying its
-- recipients, folded into per-member push_jobs by the dispatcher's lease; a call: push_jobs rows
-- directly), drained by the push-dispatch edge function (docs/push.md). Nothing here talks to a push provider: the function does, through the two service-role
-- RPCs at the end.
-- Who gets a notification, decided when the event is written: every member but the sender who has a
-- device, is not active (no mark_active within settings.push_offline_after_seconds), has not blocked the
-- sender, and has not muted the conversation (a mention of them, by name or @everyone, goes through a
-- mute). Messages collapse per member and conversation while a notification is pending (ten quick
-- messages, one notification with a count): the fold adds each waiting message to the member's pending
-- notification of the conversation. Calls ring at high priority until the ring deadline; when the
-- member answers or declines elsewhere, or the caller gives up, a pending ring is dropped and a ring
-- already sent is followed by a cancel (a missed call's "missed call" notice is that cancel). What a
-- notification says is built when it is sent, from what the member may still see then (membership,
-- tombstones, read cursor, private previews).
-- Security: members read and delete their own devices and read their own preferences; every write is an
-- RPC. The outbox and the delivery log are internal (service_role reads them; nobody else).
-- Security definer functions here (docs/SECURITY.md § Definer functions):
--   parley_internal.register_push_device(text, text, text, text, jsonb) — takes over a token another user
--     registered on the same device (a row the caller cannot see); acts for auth.uid() only.
--   parley_internal.set_push_preferences(boolean), parley_internal.mark_active(boolean) — write the
--     caller's own preferences row, including active_at, which the caller may not write directly.
--   parley_internal.enqueue_message_push(), parley_internal.enqueue_call_push() — triggers: read other
--     members' devices, preferences and blocks, write the outbox and, when nothing of the conversation
--     (the member, for calls) was waiting already, make the Database Webhook call (wake_push_dispatcher);
--     executable by nobody.
--   parley_internal.claim_push_jobs(integer, integer), parley_internal.finish_push_job(uuid, uuid, jsonb) —
--     the dispatcher's lease and outcome; service_role only.
--   parley_internal.sweep_push_jobs() — pg_cron: wakes the dispatcher for due jobs, forgets old ones.
-- Refusals (nothing changes): 22023 push_provider_invalid, push_platform_invalid, push_token_invalid,
--   push_subscription_invalid, push_app_id_invalid, push_outcomes_invalid, invalid_page_size;
--   42501 not_authenticated; PT404 push_job_not_found.

-- Devices ---------------------------------------------------------------------------------------------

create table parley.push_devices (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references parley.profiles (id) on delete cascade,
  provider text not null,
  token text not null,
  keys jsonb,
  platform text not null,
  app_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint push_devices_provider_check check (provider in ('expo', 'fcm', 'apns', 'webpush')),
  constraint push_devices_platform_check check (platform in ('ios', 'android', 'web', 'macos')),
  constraint push_devices_token_check check (char_length(token) between 1 and 4096),
  constraint push_devices_keys_check check ((provider = 'webpush') = (keys is not null)),
  constraint push_devices_app_id_check check (char_length(app_id) between 1 and 255)
);
comment on table parley.push_devices is 'A push target of a user: an Expo push token, an FCM registration token, an APNs device token or a Web Push subscription. One row per token, owned by whoever registered it last.';
comment on column parley.push_devices.provider is 'expo, fcm, apns or webpush.';
comment on column parley.push_devices.token is 'The provider''s token; for webpush the subscription''s endpoint URL.';
comment on column parley.push_devices.keys is 'webpush only: the subscription''s {p256dh, auth} (base64url).';
comment on column parley.push_devices.app_id is 'The app: the APNs topic (bundle id, required for apns), else optional (an Android package, a web origin).';
alter table parley.push_devices enable row level security;
revoke all on table parley.push_devices from public, anon, authenticated;
grant select, delete on table parley.push_devices to authenticated;
grant all on table parley.push_devices to service_role;

-- One row per token: registering it again (or from another account on the same phone) finds it.
create unique index push_devices_provider_token_key on parley.push_devices (provider, token);

-- A user's devices: the policies, the outbox trigger's "has a device" probe and the dispatcher.
create index push_devices_user_id_idx on parley.push_devices (user_id);

-- A user sees and removes only their own devices.
create policy push_devices_select_own on parley.push_devices
  for select to authenticated
  using (user_id = (select auth.uid()));
comment on policy push_devices_select_own on parley.push_devices is 'Users read their own push devices.';

create policy push_devices_delete_own on parley.push_devices
  for delete to authenticated
  using (user_id = (select auth.uid()));
comment on policy push_devices_delete_own on parley.push_devices is 'Users remove their own push devices (unregister_push_device).';

-- Preferences and the heartbeat -----------------------------------------------------------------------

create table parley.push_preferences (
  user_id uuid primary key references parley.profiles (id) on delete cascade,
  private_previews boolean not null default false,
  active_at timestamptz,
  updated_at timestamptz not null default now()
);
comment on table parley.push_preferences is 'A user''s push settings and foreground heartbeat. No row = the defaults (previews shown, not active).';
comment on column parley.push_preferences.private_previews is 'True: notifications say "New message" / "Incoming call" only, never who or what.';
comment on column parley.push_preferences.active_at is 'Last foreground heartbeat (mark_active); within settings.push_offline_after_seconds of it the user gets no pushes. Null: in the background.';
alter table parley.push_preferences enable row level security;
revoke all on table parley.push_preferences from public, anon, authenticated;
grant select on table parley.push_preferences to authenticated;
grant all on table parley.push_preferences to service_role;

-- A user reads their own row (primary key).
create policy push_preferences_select_own on parley.push_preferences
  for select to authenticated
  using (user_id = (select auth.uid()));
comment on policy push_preferences_select_own on parley.push_preferences is 'Users read their own push preferences.';

-- The outbox ------------------------------------------------------------------------------------------

-- A message's side of the outbox: one row per message that someone should hear about, written by the
-- send's transaction with the recipients the rules chose then (messages_enqueue_push). The dispatcher
-- folds these rows into per-member notifications (push_jobs, below) when it leases a batch, so a send
-- writes one row and one index entry however many members it notifies.
-- No foreign keys on purpose, as for push_jobs: a foreign key would take a key-share lock on the
-- conversation's row in every send. A row whose message is gone by then is dropped when it is folded.
create table parley_internal.push_outbox (
  conversation_id uuid not null,
  seq bigint not null,
  recipients uuid[] not null,
  mentioned uuid[],
  created_at timestamptz not null default now(),
  primary key (conversation_id, seq)
);
comment on table parley_internal.push_outbox is 'Push outbox of messages: one row per message with the members who should hear about it (chosen in the send''s transaction) and those of them it mentions; push-dispatch''s lease folds it into push_jobs (one pending notification per member and conversation) and deletes it.';
comment on column parley_internal.push_outbox.recipients is 'Members to notify: not the sender, with a device, not active, not blocking the sender, not muting the conversation unless mentioned.';
comment on column parley_internal.push_outbox.mentioned is 'The recipients the message mentions (by id or @everyone); null when none.';
alter table parley_internal.push_outbox enable row level security;
revoke all on table parley_internal.push_outbox from public, anon, authenticated;
grant select on table parley_internal.push_outbox to service_role;

-- One notification for one member: a message notification (folded from push_outbox, collapsing the
-- member's messages of a conversation while it is pending), a ring, its cancel or a missed-call notice
-- (written directly by the call trigger). No foreign keys on purpose: a foreign key would take a
-- key-share lock on each member's profile. The dispatcher checks membership when it sends, so a job of
-- a deleted conversation or user is skipped, and the sweep forgets it.
create table parley_internal.push_jobs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  conversation_id uuid not null,
  kind text not null,
  message_id uuid,
  seq bigint,
  message_count integer not null default 1,
  mentioned boolean not null default false,
  call_id uuid,
  status text not null default 'pending',
  attempts integer not null default 0,
  due_at timestamptz not null default now(),
  lease_id uuid,
  leased_until timestamptz,
  expires_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint push_jobs_kind_check check (kind in ('message', 'call', 'call_cancel', 'missed_call')),
  constraint push_jobs_status_check check (status in ('pending', 'retrying', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
  constraint push_jobs_target_check check ((kind = 'message') = (message_id is not null) and (kind = 'message') = (call_id is null))
)
-- Collapsing updates a pending row in place: room for HOT updates.
with (fillfactor = 80);
comment on table parley_internal.push_jobs is 'Push notifications, one for one member: message notifications folded from push_outbox by the dispatcher''s lease, rings, cancels and missed calls written by the call''s transaction; sent by push-dispatch (status pending → sending → sent / failed / skipped / cancelled; retrying = back for another attempt, no longer collapsing).';
alter table parley_internal.push_jobs enable row level security;
revoke all on table parley_internal.push_jobs from public, anon, authenticated;
grant select on table parley_internal.push_jobs to service_role;

-- Collapse: at most one pending message notification per member and conversation. Only the fold makes
-- pending message jobs (insert … on conflict into this index); a retry goes back as retrying, outside it.
create unique index push_jobs_pending_message_key on parley_internal.push_jobs (user_id, conversation_id)
  where status = 'pending' and kind = 'message';

-- One ring, one cancel, one missed-call notice per member and call.
create unique index push_jobs_call_key on parley_internal.push_jobs (call_id, user_id, kind) where call_id is not null;

-- The dispatcher's batch: due pending rings, cancels and missed calls, retries, and leases that ran out
-- (a dispatcher that died). Pending message jobs are found through push_jobs_pending_message_key (they
-- exist between the fold and the lease of the same claim, or while a backlog waits for the next one).
create index push_jobs_pending_call_due_at_idx on parley_internal.push_jobs (due_at) where status = 'pending' and kind <> 'message';
create index push_jobs_retrying_due_at_idx on parley_internal.push_jobs (due_at) where status = 'retrying';
create index push_jobs_leased_until_idx on parley_internal.push_jobs (leased_until) where status = 'sending';

-- The sweep forgets finished jobs after a week.
create index push_jobs_finished_at_idx on parley_internal.push_jobs (finished_at) where finished_at is not null;

-- What each device was sent: a retried or re-leased job never sends to a device twice.
create table parley_internal.push_deliveries (
  job_id uuid not null references parley_internal.push_jobs (id) on delete cascade,
  device_id uuid not null,
  provider text not null,
  status text not null,
  provider_message_id text,
  error text,
  attempts integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (job_id, device_id),
  constraint push_deliveries_status_check check (status in ('sent', 'failed', 'invalid'))
);
comment on table parley_internal.push_deliveries is 'The outcome of a push job at each device (sent, failed, or invalid = the provider rejected the token, which was removed).';
alter table parley_internal.push_deliveries enable row level security;
revoke all on table parley_internal.push_deliveries from public, anon, authenticated;
grant select on table parley_internal.push_deliveries to service_role;

-- Where the database reaches push-dispatch when Vault has no parley_push_dispatch_url (local stacks,
-- Postgres without Vault). One row at most; readable by nobody but its owner.
create table parley_internal.push_dispatch_target (
  id boolean primary key default true,
  url text not null,
  secret text not null,
  constraint push_dispatch_target_single_check check (id),
  constraint push_dispatch_target_url_check check (url ~ '^https?://')
);
comment on table parley_internal.push_dispatch_target is 'Fallback for Vault''s parley_push_dispatch_url / parley_push_dispatch_secret: the push-dispatch URL and the shared secret it checks.';
alter table parley_internal.push_dispatch_target enable row level security;
revoke all on table parley_internal.push_dispatch_target from public, anon, authenticated, service_role;

-- Registration ----------------------------------------------------------------------------------------

-- The shape of each provider's token and of a Web Push subscription. Checked here, not only by the
-- providers: a malformed token is a client bug the app should hear about at once.
create or replace function parley_internal.check_push_device(provider text, token text, platform text, app_id text, keys jsonb)
returns void
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  if provider is null or provider not in ('expo', 'fcm', 'apns', 'webpush') then
    raise exception 'provider "%" is not one of expo, fcm, apns, webpush', provider
      using errcode = '22023', hint = 'push_provider_invalid';
  end if;
  if platform is null or platform not in ('ios', 'android', 'web', 'macos')
     or (provider = 'webpush' and platform <> 'web')
     or (provider = 'apns' and platform not in ('ios', 'macos'))
     or (provider = 'expo' and platform not in ('ios', 'android')) then
    raise exception 'platform "%" is not one a % device can be (ios, android, web, macos)', platform, provider
      using errcode = '22023', hint = 'push_platform_invalid';
  end if;
  if token is null or char_length(token) > 4096 or not (case provider
       when 'expo' then token ~ '^Expo(nent)?PushToken\[[A-Za-z0-9_-]{1,200}\]$'
       when 'fcm' then char_length(token) >= 20 and token ~ '^[A-Za-z0-9_:.-]+$'
       when 'apns' then token ~ '^[0-9A-Fa-f]{64,200}$'
       -- A push service URL: https, or plain http to this machine (a local test endpoint).
       else char_length(token) <= 2048 and token ~ '^(https://[^\s/?#]+|http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?)/[^\s]*$'
     end) then
    raise exception 'token is not a valid % %', provider,
      case provider when 'expo' then 'push token (ExponentPushToken[...])' when 'fcm' then 'registration token'
                    when 'apns' then 'device token (hex)' else 'subscription endpoint (an https URL)' end
      using errcode = '22023', hint = 'push_token_invalid';
  end if;
  if provider = 'webpush' then
    if jsonb_typeof(keys) is distinct from 'object'
       or jsonb_typeof(keys -> 'p256dh') is distinct from 'string' or jsonb_typeof(keys -> 'auth') is distinct from 'string'
       or not (keys ->> 'p256dh') ~ '^[A-Za-z0-9_+/-]{86,87}=?$'
       or not (keys ->> 'auth') ~ '^[A-Za-z0-9_+/-]{22}(==)?$' then
      raise exception 'a Web Push subscription needs keys {p256dh, auth}: a 65-byte P-256 public key and a 16-byte secret, base64url'
        using errcode = '22023', hint = 'push_subscription_invalid';
    end if;
  elsif keys is not null then
    raise exception 'keys belong to Web Push subscriptions only, not to % tokens', provider
      using errcode = '22023', hint = 'push_subscription_invalid';
  end if;
  if (app_id is not null and not app_id ~ '^[A-Za-z0-9._:/-]{1,255}$') or (provider = 'apns' and app_id is null) then
    raise exception 'app_id "%" is not valid: % (letters, digits, . _ - : /, at most 255)', app_id,
      case when provider = 'apns' then 'APNs needs the app''s bundle id (the apns-topic)' else 'optional' end
      using errcode = '22023', hint = 'push_app_id_invalid';
  end if;
end;
$$;
comment on function parley_internal.check_push_device(text, text, text, text, jsonb) is 'Internal: validates a push device''s provider, platform, token, Web Push keys and app id.';
revoke execute on function parley_internal.check_push_device(text, text, text, text, jsonb) from public, anon, authenticated, service_role;

create or replace function parley_internal.register_push_device(provider text, token text, platform text, app_id text, keys jsonb)
returns parley.push_devices
language plpgsql
security definer
set search_path = ''
as $$
-- The on conflict target names columns that share the parameters' names.
#variable_conflict use_column
declare
  v_user_id uuid := parley_internal.require_user();
  v_row parley.push_devices;
begin
  perform parley_internal.check_push_device(register_push_device.provider, register_push_device.token,
    register_push_device.platform, register_push_device.app_id, register_push_device.keys);
  -- The same token again is the same row; from another account (a shared phone, a new sign-in) it moves,
  -- so the previous account stops getting this device's notifications.
  insert into parley.push_devices as d (user_id, provider, token, keys, platform, app_id)
  values (v_user_id, register_push_device.provider, register_push_device.token, register_push_device.keys,
          register_push_device.platform, register_push_device.app_id)
  on conflict (provider, token) do update
    set user_id = excluded.user_id, keys = excluded.keys, platform = excluded.platform, app_id = excluded.app_id, updated_at = now()
  returning * into v_row;
  -- A bounded list per user: the 20 most recently registered; older ones are apps long uninstalled.
  delete from parley.push_devices d
   where d.user_id = v_user_id
     and d.id in (select o.id from parley.push_devices o where o.user_id = v_user_id order by o.updated_at desc, o.id offset 20);
  return v_row;
end;
$$;
comment on function parley_internal.register_push_device(text, text, text, text, jsonb) is 'Implementation of parley.register_push_device.';
revoke execute on function parley_internal.register_push_device(text, text, text, text, jsonb) from public, anon;
grant execute on function parley_internal.register_push_device(text, text, text, text, jsonb) to authenticated, service_role;

create or replace function parley.register_push_device(provider text, token text, platform text, app_id text default null, keys jsonb default null)
returns parley.push_devices
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.push_devices;
begin
  select * into v_row from parley_internal.register_push_device(register_push_device.provider, register_push_device.token,
      register_push_device.platform, register_push_device.app_id, register_push_device.keys);
  return v_row;
end;
$$;
comment on function parley.register_push_device(text, text, text, text, jsonb) is 'Register this device for push: provider expo | fcm | apns | webpush, its token (webpush: the subscription endpoint, with keys {p256dh, auth}), platform ios | android | web | macos, app_id (APNs: the bundle id). Registering a token again returns the same row; it moves to you if another account had it.';
revoke execute on function parley.register_push_device(text, text, text, text, jsonb) from public, anon;
grant execute on function parley.register_push_device(text, text, text, text, jsonb) to authenticated, service_role;

create or replace function parley.unregister_push_device(token text)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_count integer;
begin
  perform parley_internal.require_user();
  -- RLS: only the caller's own rows are visible, so another user's token is "not mine" and untouched.
  delete from parley.push_devices d where d.token = unregister_push_device.token and d.user_id = (select auth.uid());
  get diagnostics v_count = row_count;
  return v_count > 0;
end;
$$;
comment on function parley.unregister_push_device(text) is 'Stop pushes to one of your devices (by its token or Web Push endpoint), e.g. at sign-out. True when it was registered; repeating it is a no-op.';
revoke execute on function parley.unregister_push_device(text) from public, anon;
grant execute on function parley.unregister_push_device(text) to authenticated, service_role;

create or replace function parley_internal.set_push_preferences(private_previews boolean)
returns parley.push_preferences
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row parley.push_preferences;
begin
  insert into parley.push_preferences as p (user_id, private_previews)
  values (parley_internal.require_user(), coalesce(set_push_preferences.private_previews, false))
  on conflict (user_id) do update set private_previews = excluded.private_previews, updated_at = now()
  returning * into v_row;
  return v_row;
end;
$$;
comment on function parley_internal.set_push_preferences(boolean) is 'Implementation of parley.set_push_preferences.';
revoke execute on function parley_internal.set_push_preferences(boolean) from public, anon;
grant execute on function parley_internal.set_push_preferences(boolean) to authenticated, service_role;

create or replace function parley.set_push_preferences(private_previews boolean)
returns parley.push_preferences
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.push_preferences;
begin
  select * into v_row from parley_internal.set_push_preferences(set_push_preferences.private_previews);
  return v_row;
end;
$$;
comment on function parley.set_push_preferences(boolean) is 'Your push settings: private_previews = true sends "New message" / "Incoming call" without names or text.';
revoke execute on function parley.set_push_preferences(boolean) from public, anon;
grant execute on function parley.set_push_preferences(boolean) to authenticated, service_role;

-- The heartbeat: a foreground app calls it every ~30 s. Within 10 s of the last recorded beat nothing is
-- written (the no-op update is one primary-key probe), so a chatty client cannot turn it into a write load.
create or replace function parley_internal.mark_active(active boolean)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_at timestamptz := case when coalesce(mark_active.active, true) then now() end;
  v_current timestamptz;
begin
  insert into parley.push_preferences as p (user_id, active_at)
  values (v_user_id, v_at)
  on conflict (user_id) do update set active_at = excluded.active_at, updated_at = now()
   where excluded.active_at is null
      or p.active_at is null
      or p.active_at < excluded.active_at - interval '10 seconds'
  returning p.active_at into v_current;
  if not found then
    select p.active_at into v_current from parley.push_preferences p where p.user_id = v_user_id;
  end if;
  return v_current;
end;
$$;
comment on function parley_internal.mark_active(boolean) is 'Implementation of parley.mark_active.';
revoke execute on function parley_internal.mark_active(boolean) from public, anon;
grant execute on function parley_internal.mark_active(boolean) to authenticated, service_role;

create or replace function parley.mark_active(active boolean default true)
returns timestamptz
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.mark_active(mark_active.active);
end;
$$;
comment on function parley.mark_active(boolean) is 'Foreground heartbeat: while you called it within settings.push_offline_after_seconds (60 s by default) you get no pushes (the app shows events live). active = false: the app went to the background, pushes resume at once. Returns the recorded time (beats within 10 s are not rewritten).';
revoke execute on function parley.mark_active(boolean) from public, anon;
grant execute on function parley.mark_active(boolean) to authenticated, service_role;

-- Enqueueing ------------------------------------------------------------------------------------------

-- Since when a heartbeat counts as "active": settings.push_offline_after_seconds before now (60 s).
create or replace function parley_internal.push_active_since()
returns timestamptz
language sql
stable
security invoker
set search_path = ''
as $$
  select now() - make_interval(secs => (parley_internal.setting('push_offline_after_seconds', '60') #>> '{}')::numeric);
$$;
comment on function parley_internal.push_active_since() is 'Internal: a heartbeat after this time means the user is active (no pushes).';
revoke execute on function parley_internal.push_active_since() from public, anon, authenticated, service_role;

-- Would a push for something from from_user_id reach user_id: a device, not active, not blocking them,
-- and (when muted counts) not muted in the conversation. One probe per rule; for the call trigger.
create or replace function parley_internal.push_reachable(user_id uuid, from_user_id uuid, conversation_id uuid, mute_applies boolean)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (select 1 from parley.push_devices d where d.user_id = push_reachable.user_id)
     and not exists (select 1 from parley.push_preferences p
                      where p.user_id = push_reachable.user_id and p.active_at > parley_internal.push_active_since())
     and (push_reachable.from_user_id is null or not parley_internal.is_blocked(push_reachable.user_id, push_reachable.from_user_id))
     and not (push_reachable.mute_applies and exists (
       select 1 from parley.conversation_members m
        where m.conversation_id = push_reachable.conversation_id and m.user_id = push_reachable.user_id and m.muted_until > now()));
$$;
comment on function parley_internal.push_reachable(uuid, uuid, uuid, boolean) is 'Internal: true when a push from from_user_id should go to user_id (device, offline, not blocked, not muted when mute applies).';
revoke execute on function parley_internal.push_reachable(uuid, uuid, uuid, boolean) from public, anon, authenticated, service_role;

-- One outbox row per message, with the members who should hear it (one statement over the members:
-- device, heartbeat, block and mute probes by index); the dispatcher folds it into their notifications.
-- Mentions are read from metadata.mentions here, because this trigger runs before messages_record_mentions
-- (alphabetical order) — which refuses a bad list and so undoes this insert with the send; until then a
-- malformed entry is simply nobody.
-- The Database Webhook call: made unless an earlier row of this conversation is still waiting to be
-- folded (the call announcing it brings the dispatcher to this one too). That row is probed with a
-- key-share lock, skipping a row a dispatcher holds: held, it may be folding it right now, so this
-- message gets its own call; free, the lock makes a dispatcher that wants it wait for this commit, and
-- its next fold (claim_push_jobs repeats it) then sees this row too.
create or replace function parley_internal.enqueue_message_push()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_list jsonb := new.metadata -> 'mentions';
  v_everyone boolean := false;
  v_mentioned uuid[] := '{}';
  v_recipients uuid[];
  v_recipients_mentioned uuid[];
  v_waiting boolean;
begin
  if jsonb_typeof(v_list) = 'array' then
    v_everyone := v_list ? 'everyone';
    select coalesce(array_agg((e #>> '{}')::uuid), '{}') into v_mentioned
      from jsonb_array_elements(v_list) e
     where jsonb_typeof(e) = 'string' and e #>> '{}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
  end if;
  select array_agg(m.user_id), array_agg(m.user_id) filter (where v_everyone or m.user_id = any (v_mentioned))
    into v_recipients, v_recipients_mentioned
    from parley.conversation_members m
   where m.conversation_id = new.conversation_id
     and m.user_id is distinct from new.sender_id
     and (m.muted_until is null or m.muted_until <= now() or v_everyone or m.user_id = any (v_mentioned))
     and exists (select 1 from parley.push_devices d where d.user_id = m.user_id)
     -- push_active_since() written out (two nested SQL function calls cost a third of this trigger), as
     -- an init plan of this statement: evaluated only when a member has a device.
     and not exists (select 1 from parley.push_preferences p
                      where p.user_id = m.user_id
                        and p.active_at > (select now() - make_interval(secs => coalesce(
                                             (select (s.value #>> '{}')::numeric from parley.settings s
                                               where s.key = 'push_offline_after_seconds'), 60))))
     and not exists (select 1 from parley.blocks b where b.blocker_id = m.user_id and b.blocked_id = new.sender_id);
  if v_recipients is null then
    return null;
  end if;
  perform 1 from parley_internal.push_outbox o where o.conversation_id = new.conversation_id
    limit 1 for key share skip locked;
  v_waiting := found;
  insert into parley_internal.push_outbox (conversation_id, seq, recipients, mentioned)
  values (new.conversation_id, new.seq, v_recipients, v_recipients_mentioned);
  if not v_waiting then
    perform parley_internal.wake_push_dispatcher('enqueued');
  end if;
  return null;
end;
$$;
comment on function parley_internal.enqueue_message_push() is 'Trigger: writes the message''s push outbox row with the members who should get a notification, and makes the Database Webhook call unless an earlier row of the conversation is waiting.';
revoke execute on function parley_internal.enqueue_message_push() from public, anon, authenticated, service_role;

-- Every message people write; system messages (joins, moderation) never push.
create trigger messages_enqueue_push
  after insert on parley.messages
  for each row when (new.kind <> 'system')
  execute function parley_internal.enqueue_message_push();

-- Rings and what ends them. A ring ignores mute (a call is someone asking for you now, as a mention is);
-- the missed-call notice respects it.
create or replace function parley_internal.enqueue_call_push()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_call parley.calls;
  v_ring_out boolean;
  v_count integer := 0;
begin
  select * into v_call from parley.calls c where c.id = new.call_id;
  if new.state = 'ringing' and (tg_op = 'INSERT' or old.state is distinct from 'ringing') then
    if parley_internal.push_reachable(new.user_id, v_call.initiated_by, v_call.conversation_id, false) then
      insert into parley_internal.push_jobs (user_id, conversation_id, kind, call_id, expires_at)
      values (new.user_id, v_call.conversation_id, 'call', new.call_id, new.invited_at + parley_internal.call_ring_timeout())
      on conflict (call_id, user_id, kind) where call_id is not null do nothing;
      get diagnostics v_count = row_count;
    end if;
  elsif tg_op = 'UPDATE' and old.state = 'ringing' and new.state <> 'ringing' then
    -- Sent, being sent or retried (it may have reached a device): the device may be ringing and must stop.
    -- Not out yet: it never will be.
    v_ring_out := exists (select 1 from parley_internal.push_jobs j
                           where j.call_id = new.call_id and j.user_id = new.user_id and j.kind = 'call' and j.status in ('sending', 'sent', 'retrying'));
    update parley_internal.push_jobs j
       set status = 'cancelled', finished_at = now(), updated_at = now(), last_error = 'call ' || new.state, lease_id = null, leased_until = null
     where j.call_id = new.call_id and j.user_id = new.user_id and j.kind = 'call' and j.status in ('pending', 'retrying');
    if new.state = 'missed' and parley_internal.push_reachable(new.user_id, v_call.initiated_by, v_call.conversation_id, true) then
      insert into parley_internal.push_jobs (user_id, conversation_id, kind, call_id)
      values (new.user_id, v_call.conversation_id, 'missed_call', new.call_id)
      on conflict (call_id, user_id, kind) where call_id is not null do nothing;
      get diagnostics v_count = row_count;
    elsif v_ring_out then
      insert into parley_internal.push_jobs (user_id, conversation_id, kind, call_id, expires_at)
      values (new.user_id, v_call.conversation_id, 'call_cancel', new.call_id, now() + interval '10 minutes')
      on conflict (call_id, user_id, kind) where call_id is not null do nothing;
      get diagnostics v_count = row_count;
    end if;
  end if;
  if v_count > 0 then
    perform parley_internal.wake_push_dispatcher('enqueued');
  end if;
  return null;
end;
$$;
comment on function parley_internal.enqueue_call_push() is 'Trigger: a ring push for a member the call starts ringing; when their ringing ends, drops an unsent ring or enqueues its cancel (or the missed-call notice).';
revoke execute on function parley_internal.enqueue_call_push() from public, anon, authenticated, service_role;

-- Only state changes matter (LiveKit's connected_at updates do not).
create trigger call_participants_enqueue_push
  after insert or update of state on parley.call_participants
  for each row execute function parley_internal.enqueue_call_push();

-- Waking the dispatcher ---------------------------------------------------------------------------------

-- The push-dispatch URL and secret: Supabase Vault first (parley_push_dispatch_url,
-- parley_push_dispatch_secret), else parley_internal.push_dispatch_target; null when neither has them.
create or replace function parley_internal.push_dispatch_config()
returns table (url text, secret text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if to_regclass('vault.decrypted_secrets') is not null then
    return query execute $q$
      select (select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'parley_push_dispatch_url'),
             (select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'parley_push_dispatch_secret')
       where exists (select 1 from vault.decrypted_secrets s where s.name = 'parley_push_dispatch_url')$q$;
    if found then
      return;
    end if;
  end if;
  return query select t.url, t.secret from parley_internal.push_dispatch_target t;
end;
$$;
comment on function parley_internal.push_dispatch_config() is 'Internal: push-dispatch''s URL and shared secret (Vault, else push_dispatch_target).';
revoke execute on function parley_internal.push_dispatch_config() from public, anon, authenticated, service_role;

-- One POST to push-dispatch through pg_net, which sends it after this transaction commits (and not at
-- all when it rolls back), as a Database Webhook does. Called by the enqueue triggers for each write that
-- left something new to send (not for a message whose conversation already had an outbox row waiting,
-- nor for a ring already enqueued). Without pg_net or a configured URL it does nothing: the outbox waits
-- for the cron sweep or a direct call of the function.
create or replace function parley_internal.wake_push_dispatcher(reason text)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_url text;
  v_secret text;
begin
  -- pg_net's function, looked up in the catalog cache (cheaper than reading pg_extension on every send).
  if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    return false;
  end if;
  select c.url, c.secret into v_url, v_secret from parley_internal.push_dispatch_config() c;
  if v_url is null then
    return false;
  end if;
  perform net.http_post(
    url := v_url,
    body := jsonb_build_object('reason', wake_push_dispatcher.reason),
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || coalesce(v_secret, '')),
    timeout_milliseconds := 10000);
  return true;
end;
$$;
comment on function parley_internal.wake_push_dispatcher(text) is 'Internal: asks push-dispatch (pg_net, after commit) to drain the outbox; false when pg_net or the URL is missing.';
revoke execute on function parley_internal.wake_push_dispatcher(text) from public, anon, authenticated, service_role;

-- Supabase Cron, every 10 s (migration schedule_push_sweep): wakes the dispatcher for messages waiting in
-- the outbox and jobs that are due (a retry's time came, a webhook call was lost, a dispatcher died
-- holding a lease) and forgets jobs finished over a week ago.
create or replace function parley_internal.sweep_push_jobs()
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from parley_internal.push_jobs j where j.finished_at < now() - interval '7 days';
  if exists (select 1 from parley_internal.push_outbox)
     or exists (select 1 from parley_internal.push_jobs j where j.status = 'pending' and j.kind <> 'message' and j.due_at <= now())
     or exists (select 1 from parley_internal.push_jobs j where j.status = 'pending' and j.kind = 'message' and j.due_at <= now())
     or exists (select 1 from parley_internal.push_jobs j where j.status = 'retrying' and j.due_at <= now())
     or exists (select 1 from parley_internal.push_jobs j where j.status = 'sending' and j.leased_until <= now()) then
    return parley_internal.wake_push_dispatcher('sweep');
  end if;
  return false;
end;
$$;
comment on function parley_internal.sweep_push_jobs() is 'pg_cron: wakes push-dispatch when jobs are due; deletes jobs finished over 7 days ago. True when it called the dispatcher.';
revoke execute on function parley_internal.sweep_push_jobs() from public, anon, authenticated;
grant execute on function parley_internal.sweep_push_jobs() to service_role;

-- Dispatching -----------------------------------------------------------------------------------------

-- A notification's visible text, cut to a lock screen's length.
create or replace function parley_internal.push_preview(kind text, body text)
returns text
language sql
immutable
security invoker
set search_path = ''
as $$
  select case when char_length(v.t) > 180 then left(v.t, 179) || '…' else v.t end
    from (select case push_preview.kind
                   when 'image' then '📷 ' || coalesce(nullif(push_preview.body, ''), 'Photo')
                   when 'video' then '🎥 ' || coalesce(nullif(push_preview.body, ''), 'Video')
                   when 'audio' then '🎤 ' || coalesce(nullif(push_preview.body, ''), 'Audio')
                   when 'file' then '📎 ' || coalesce(nullif(push_preview.body, ''), 'File')
                   else coalesce(push_preview.body, '')
                 end as t) v;
$$;
comment on function parley_internal.push_preview(text, text) is 'Internal: the text a message notification shows (attachment kinds labelled, at most 180 characters).';
revoke execute on function parley_internal.push_preview(text, text) from public, anon, authenticated, service_role;

-- What a claimed job says, judged now: {title, body, data} or {skip: reason}. Only what the member may
-- see at this moment: a member who left gets nothing, a deleted or already read message nothing, a
-- muted conversation nothing unless they were mentioned, private previews no names and no text.
create or replace function parley_internal.push_payload(job parley_internal.push_jobs)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_private boolean;
  v_active_at timestamptz;
  v_member parley.conversation_members;
  v_conversation parley.conversations;
  v_message parley.messages;
  v_sender text;
  v_call parley.calls;
  v_state text;
  v_title text;
  v_body text;
begin
  select p.private_previews, p.active_at into v_private, v_active_at from parley.push_preferences p where p.user_id = job.user_id;
  v_private := coalesce(v_private, false);
  select * into v_member from parley.conversation_members m where m.conversation_id = job.conversation_id and m.user_id = job.user_id;
  if not found then
    return jsonb_build_object('skip', 'not_a_member');
  end if;
  select * into v_conversation from parley.conversations c where c.id = job.conversation_id;
  if job.expires_at is not null and job.expires_at <= now() then
    return jsonb_build_object('skip', 'expired');
  end if;
  -- Came back to the app since: it shows the event live (a cancel still goes out: a phone may ring).
  if job.kind <> 'call_cancel' and v_active_at > parley_internal.push_active_since() then
    return jsonb_build_object('skip', 'active');
  end if;

  if job.kind = 'message' then
    select * into v_message from parley.messages x where x.id = job.message_id;
    if not found or v_message.deleted_at is not null then
      return jsonb_build_object('skip', 'message_deleted');
    end if;
    if v_member.last_read_seq >= job.seq then
      return jsonb_build_object('skip', 'already_read');
    end if;
    if v_member.muted_until > now() and not job.mentioned then
      return jsonb_build_object('skip', 'muted');
    end if;
    if parley_internal.is_blocked(job.user_id, v_message.sender_id) then
      return jsonb_build_object('skip', 'blocked');
    end if;
    select s.display_name into v_sender from parley.profiles s where s.id = v_message.sender_id;
    v_sender := coalesce(v_sender, 'Someone');
    if v_private then
      v_title := 'New message';
      v_body := null;
    else
      v_title := case when v_conversation.kind = 'group' then v_conversation.title else v_sender end;
      v_body := parley_internal.push_preview(v_message.kind, v_message.body);
      if v_conversation.kind = 'group' then
        v_body := v_sender || case when job.mentioned then ' mentioned you: ' else ': ' end || v_body;
      elsif job.mentioned then
        v_body := 'Mentioned you: ' || v_body;
      end if;
      if job.message_count > 1 then
        v_body := job.message_count || ' new messages · ' || v_body;
      end if;
    end if;
    return jsonb_build_object('title', v_title, 'body', v_body, 'data', jsonb_strip_nulls(jsonb_build_object(
      'type', 'message', 'conversation_id', job.conversation_id, 'count', job.message_count,
      'unread_count', greatest(v_conversation.last_seq - v_member.last_read_seq, 0), 'mention', job.mentioned,
      'message_id', case when not v_private then v_message.id end, 'seq', job.seq)));
  end if;

  select * into v_call from parley.calls c where c.id = job.call_id;
  if not found then
    return jsonb_build_object('skip', 'call_not_found');
  end if;
  select p.state into v_state from parley.call_participants p where p.call_id = job.call_id and p.user_id = job.user_id;
  if job.kind = 'call' and v_state is distinct from 'ringing' then
    return jsonb_build_object('skip', 'call_over');
  end if;
  if job.kind = 'call_cancel' then
    -- Data only: the app stops ringing; nothing to show.
    return jsonb_build_object('title', null, 'body', null, 'data', jsonb_build_object(
      'type', 'call_cancel', 'call_id', v_call.id, 'conversation_id', v_call.conversation_id,
      'reason', case v_state when 'joined' then 'answered' when 'declined' then 'declined' else coalesce(v_state, 'ended') end));
  end if;
  select s.display_name into v_sender from parley.profiles s where s.id = v_call.initiated_by;
  v_sender := coalesce(v_sender, 'Someone');
  if v_private then
    v_title := case job.kind when 'call' then 'Incoming call' else 'Missed call' end;
    v_body := null;
  else
    v_title := case when v_conversation.kind = 'group' then v_conversation.title else v_sender end;
    v_body := case job.kind when 'call' then 'Incoming ' else 'Missed ' end || v_call.media || ' call'
              || case when v_conversation.kind = 'group' then ' from ' || v_sender else '' end;
  end if;
  return jsonb_build_object('title', v_title, 'body', v_body, 'data', jsonb_strip_nulls(jsonb_build_object(
    'type', job.kind, 'call_id', v_call.id, 'conversation_id', v_call.conversation_id, 'media', v_call.media,
    'caller_id', case when not v_private then v_call.initiated_by end,
    'ring_expires_at', case when job.kind = 'call' then job.expires_at end)));
end;
$$;
comment on function parley_internal.push_payload(parley_internal.push_jobs) is 'Internal: a push job''s notification {title, body, data} as the member may see it now, or {skip: reason}.';
revoke execute on function parley_internal.push_payload(parley_internal.push_jobs) from public, anon, authenticated, service_role;

-- The fold: turns waiting push_outbox rows into per-member pending message notifications, a member's
-- messages of one conversation collapsing into their pending notification (count + the messages, the
-- newest one, mentioned when any of them mentions them), and deletes the rows, in the claim's
-- transaction (a claim that fails leaves them waiting). Rows are taken with a waiting lock, not skipped:
-- a row held by a send (its key-share probe, enqueue_message_push) is folded once that send commits, and
-- the next round's statement (a fresh snapshot) sees the send's own row. Rounds of max_rows, oldest
-- first, until a round finds none, at most rounds × max_rows rows per call: a backlog is folded over
-- several claims. The oldest by sorting the rows: an index on created_at would cost every send an entry,
-- and the outbox holds only what no dispatcher has come for yet.
create or replace function parley_internal.fold_push_outbox(max_rows integer, rounds integer)
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_taken integer;
  v_total integer := 0;
begin
  for i in 1 .. fold_push_outbox.rounds loop
    with taken as (
      delete from parley_internal.push_outbox o
       where (o.conversation_id, o.seq) in (select t.conversation_id, t.seq from parley_internal.push_outbox t
                                             order by t.created_at limit fold_push_outbox.max_rows for update)
      returning o.conversation_id, o.seq, o.recipients, o.mentioned, o.created_at
    ), per_member as (
      select r.user_id, t.conversation_id, count(*)::integer as message_count, max(t.seq) as seq,
             (array_agg(x.id order by t.seq desc))[1] as message_id,
             bool_or(r.user_id = any (coalesce(t.mentioned, '{}'))) as mentioned, min(t.created_at) as due_at
        from taken t
        -- A message deleted with its conversation meanwhile: nobody hears of it.
        join parley.messages x on x.conversation_id = t.conversation_id and x.seq = t.seq
        cross join lateral unnest(t.recipients) r(user_id)
       group by r.user_id, t.conversation_id
    ), folded as (
      insert into parley_internal.push_jobs as j (user_id, conversation_id, kind, message_id, seq, message_count, mentioned, due_at)
      select p.user_id, p.conversation_id, 'message', p.message_id, p.seq, p.message_count, p.mentioned, p.due_at
        from per_member p
      on conflict (user_id, conversation_id) where status = 'pending' and kind = 'message' do update
        set message_count = j.message_count + excluded.message_count,
            message_id = case when excluded.seq > j.seq then excluded.message_id else j.message_id end,
            seq = greatest(j.seq, excluded.seq), mentioned = j.mentioned or excluded.mentioned, updated_at = now()
      returning 1
    )
    select count(*)::integer into v_taken from taken;
    v_total := v_total + v_taken;
    exit when v_taken = 0;
  end loop;
  return v_total;
end;
$$;
comment on function parley_internal.fold_push_outbox(integer, integer) is 'Internal: folds waiting push_outbox rows into per-member pending message notifications (collapsing per member and conversation) and deletes them; answers how many rows it folded.';
revoke execute on function parley_internal.fold_push_outbox(integer, integer) from public, anon, authenticated, service_role;

-- Leases a batch: first folds the message outbox into pending notifications, then takes due pending
-- jobs, retries and expired leases, rings and cancels first. Each job comes with a fresh lease id, its
-- notification and the devices it has not reached yet; jobs with nothing to send are closed here
-- (skipped, with the reason).
create or replace function parley_internal.claim_push_jobs(max_count integer, lease_seconds integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_max_attempts integer := (parley_internal.setting('push_max_attempts', '5') #>> '{}')::integer;
  v_job parley_internal.push_jobs;
  v_payload jsonb;
  v_devices jsonb;
  v_out jsonb := '[]'::jsonb;
begin
  perform parley_internal.check_page(claim_push_jobs.max_count);
  if claim_push_jobs.lease_seconds is null or claim_push_jobs.lease_seconds not between 5 and 900 then
    raise exception 'lease_seconds must be between 5 and 900 (got %)', claim_push_jobs.lease_seconds
      using errcode = '22023', hint = 'invalid_parameter';
  end if;
  -- Up to 1,000 messages per claim (200 per round): a backlog's rest is folded by the next claims.
  perform parley_internal.fold_push_outbox(200, 5);
  for v_job in
    with picked as (
      select j.id from parley_internal.push_jobs j
       where j.id in (
               (select c.id from parley_internal.push_jobs c
                 where c.status = 'pending' and c.kind <> 'message' and c.due_at <= now() order by c.due_at limit claim_push_jobs.max_count)
               union all
               (select m.id from parley_internal.push_jobs m
                 where m.status = 'pending' and m.kind = 'message' and m.due_at <= now() order by m.due_at limit claim_push_jobs.max_count)
               union all
               (select r.id from parley_internal.push_jobs r
                 where r.status = 'retrying' and r.due_at <= now() order by r.due_at limit claim_push_jobs.max_count)
               union all
               (select l.id from parley_internal.push_jobs l
                 where l.status = 'sending' and l.leased_until <= now() order by l.leased_until limit claim_push_jobs.max_count))
         -- Checked again on the locked row: another dispatcher may have taken it meanwhile.
         and ((j.status in ('pending', 'retrying') and j.due_at <= now()) or (j.status = 'sending' and j.leased_until <= now()))
       order by (j.kind in ('call', 'call_cancel')) desc, j.due_at
       limit claim_push_jobs.max_count
       for update of j skip locked)
    update parley_internal.push_jobs j
       set status = 'sending', lease_id = gen_random_uuid(), attempts = j.attempts + 1, updated_at = now(),
           leased_until = now() + make_interval(secs => claim_push_jobs.lease_seconds)
      from picked where j.id = picked.id
    returning j.*
  loop
    -- A lease that ran out as often as a job may be tried: the dispatcher keeps dying on it.
    if v_job.attempts > v_max_attempts then
      update parley_internal.push_jobs j set status = 'failed', finished_at = now(), lease_id = null, leased_until = null,
             last_error = coalesce(j.last_error, 'lease expired ' || v_max_attempts || ' times')
       where j.id = v_job.id;
      continue;
    end if;
    v_payload := parley_internal.push_payload(v_job);
    select coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'provider', d.provider, 'token', d.token, 'keys', d.keys,
                                                 'platform', d.platform, 'app_id', d.app_id) order by d.created_at), '[]')
      into v_devices
      from parley.push_devices d
     where d.user_id = v_job.user_id
       and not exists (select 1 from parley_internal.push_deliveries x where x.job_id = v_job.id and x.device_id = d.id and x.status = 'sent');
    if v_payload ? 'skip' or jsonb_array_length(v_devices) = 0 then
      update parley_internal.push_jobs j
         set status = case when not v_payload ? 'skip'
                            and exists (select 1 from parley_internal.push_deliveries x where x.job_id = j.id and x.status = 'sent')
                           then 'sent' else 'skipped' end,
             last_error = coalesce(v_payload ->> 'skip', 'no_devices'), finished_at = now(), lease_id = null, leased_until = null
       where j.id = v_job.id;
      continue;
    end if;
    v_out := v_out || jsonb_build_array(jsonb_build_object(
      'id', v_job.id, 'lease_id', v_job.lease_id, 'kind', v_job.kind, 'attempt', v_job.attempts,
      'priority', case when v_job.kind in ('call', 'call_cancel') then 'high' else 'normal' end,
      'collapse_id', coalesce(v_job.call_id, v_job.conversation_id), 'expires_at', v_job.expires_at,
      'title', v_payload -> 'title', 'body', v_payload -> 'body', 'data', v_payload -> 'data', 'devices', v_devices));
  end loop;
  return v_out;
end;
$$;
comment on function parley_internal.claim_push_jobs(integer, integer) is 'Implementation of parley.service_role_claim_push_jobs.';
revoke execute on function parley_internal.claim_push_jobs(integer, integer) from public, anon, authenticated;
grant execute on function parley_internal.claim_push_jobs(integer, integer) to service_role;

create or replace function parley.service_role_claim_push_jobs(max_count integer default 50, lease_seconds integer default 60)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.claim_push_jobs(service_role_claim_push_jobs.max_count, service_role_claim_push_jobs.lease_seconds);
end;
$$;
comment on function parley.service_role_claim_push_jobs(integer, integer) is
  'Service role only (push-dispatch): leases up to max_count due push jobs for lease_seconds. Answers [{id, lease_id, kind, attempt, priority, collapse_id, expires_at, title, body, data, devices: [{id, provider, token, keys, platform, app_id}]}].';
revoke execute on function parley.service_role_claim_push_jobs(integer, integer) from public, anon, authenticated;
grant execute on function parley.service_role_claim_push_jobs(integer, integer) to service_role;

-- Records what each device answered and settles the job: sent; retried later (the provider's
-- Retry-After, else 2 s doubling up to 5 min) while a device asks for it and attempts remain; failed when
-- they ran out or no device took it. Invalid tokens are removed. A lease that is no longer the job's (it
-- ran out and another dispatcher took the job) still records the sends, so nobody repeats them.
create or replace function parley_internal.finish_push_job(job_id uuid, lease_id uuid, outcomes jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
-- The on conflict target names columns that share the parameters' names.
#variable_conflict use_column
declare
  v_max_attempts integer := (parley_internal.setting('push_max_attempts', '5') #>> '{}')::integer;
  v_job parley_internal.push_jobs;
  v_retry boolean;
  v_retry_after numeric;
  v_error text;
  v_due timestamptz;
  v_status text;
begin
  if jsonb_typeof(finish_push_job.outcomes) is distinct from 'array'
     or exists (select 1 from jsonb_array_elements(finish_push_job.outcomes) e
                 where jsonb_typeof(e) <> 'object'
                    or not coalesce(e ->> 'device_id', '') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    or coalesce(e ->> 'outcome', '') not in ('sent', 'invalid', 'retry', 'failed')
                    or (e ? 'retry_after' and jsonb_typeof(e -> 'retry_after') <> 'number')) then
    raise exception 'outcomes must be an array of {device_id, outcome: sent|invalid|retry|failed, error?, retry_after? (seconds), provider_message_id?}'
      using errcode = '22023', hint = 'push_outcomes_invalid';
  end if;
  select * into v_job from parley_internal.push_jobs j where j.id = finish_push_job.job_id for update;
  if not found then
    raise exception 'push job % not found', finish_push_job.job_id using errcode = 'PT404', hint = 'push_job_not_found';
  end if;

  insert into parley_internal.push_deliveries as x (job_id, device_id, provider, status, provider_message_id, error)
  select v_job.id, (e ->> 'device_id')::uuid, coalesce(d.provider, 'unknown'),
         case e ->> 'outcome' when 'sent' then 'sent' when 'invalid' then 'invalid' else 'failed' end,
         left(e ->> 'provider_message_id', 500), left(e ->> 'error', 1000)
    from jsonb_array_elements(finish_push_job.outcomes) e
    left join parley.push_devices d on d.id = (e ->> 'device_id')::uuid
  on conflict (job_id, device_id) do update
    set status = case when x.status = 'sent' then 'sent' else excluded.status end,
        provider_message_id = coalesce(excluded.provider_message_id, x.provider_message_id),
        error = excluded.error, attempts = x.attempts + 1, updated_at = now();
  delete from parley.push_devices d
   using jsonb_array_elements(finish_push_job.outcomes) e
   where e ->> 'outcome' = 'invalid' and d.id = (e ->> 'device_id')::uuid;

  if v_job.status <> 'sending' or v_job.lease_id is distinct from finish_push_job.lease_id then
    return jsonb_build_object('status', v_job.status, 'lease_lost', true);
  end if;

  select bool_or(e ->> 'outcome' = 'retry'), max((e ->> 'retry_after')::numeric) filter (where e ->> 'outcome' = 'retry'),
         string_agg(e ->> 'error', '; ') filter (where e ->> 'outcome' <> 'sent')
    into v_retry, v_retry_after, v_error
    from jsonb_array_elements(finish_push_job.outcomes) e;
  if coalesce(v_retry, false) and v_job.attempts < v_max_attempts and (v_job.expires_at is null or v_job.expires_at > now()) then
    v_due := now() + make_interval(secs => greatest(coalesce(v_retry_after, 0), least(2 * power(2, v_job.attempts - 1), 300)));
    -- retrying, not pending: messages folded meanwhile make a new pending job rather than wait for this one.
    update parley_internal.push_jobs j
       set status = 'retrying', due_at = v_due, last_error = v_error, lease_id = null, leased_until = null, updated_at = now()
     where j.id = v_job.id;
    return jsonb_build_object('status', 'retrying', 'attempts', v_job.attempts, 'due_at', v_due);
  end if;
  v_status := case when not coalesce(v_retry, false)
                        and exists (select 1 from parley_internal.push_deliveries x where x.job_id = v_job.id and x.status = 'sent')
                   then 'sent' else 'failed' end;
  update parley_internal.push_jobs j
     set status = v_status, last_error = case when v_status = 'failed' then coalesce(v_error, 'no device accepted it') end,
         finished_at = now(), lease_id = null, leased_until = null, updated_at = now()
   where j.id = v_job.id;
  return jsonb_build_object('status', v_status, 'attempts', v_job.attempts);
end;
$$;
comment on function parley_internal.finish_push_job(uuid, uuid, jsonb) is 'Implementation of parley.service_role_finish_push_job.';
revoke execute on function parley_internal.finish_push_job(uuid, uuid, jsonb) from public, anon, authenticated;
grant execute on function parley_internal.finish_push_job(uuid, uuid, jsonb) to service_role;

create or replace function parley.service_role_finish_push_job(job_id uuid, lease_id uuid, outcomes jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.finish_push_job(service_role_finish_push_job.job_id, service_role_finish_push_job.lease_id,
                                           service_role_finish_push_job.outcomes);
end;
$$;
comment on function parley.service_role_finish_push_job(uuid, uuid, jsonb) is
  'Service role only (push-dispatch): records each device''s outcome [{device_id, outcome: sent|invalid|retry|failed, error?, retry_after?, provider_message_id?}] and settles the job. Answers {status: sent|retrying|failed, attempts, due_at?, lease_lost?}.';
revoke execute on function parley.service_role_finish_push_job(uuid, uuid, jsonb) from public, anon, authenticated;
grant execute on function parley.service_role_finish_push_job(uuid, uuid, jsonb) to service_role;

-- Supabase Cron drains what a failed or missing webhook call left behind every 10 seconds (due retries,
-- expired leases). Declared here because `db diff` compares cron jobs; deployed by migration
-- 20261203194439_schedule_push_sweep.sql, which also copes with a server that has no pg_cron or pg_net.
create extension if not exists pg_cron with schema pg_catalog;
select cron.schedule('parley_sweep_push', '10 seconds', 'select parley_internal.sweep_push_jobs()');
