-- Project settings of Parley's own: data a project's service role edits (the Table Editor, SQL, or the
-- service key through the API), never code. A missing row means the documented default.
-- Security: no security definer here. Signed-in users read the settings (an app may show what anonymous
-- users can do); only service_role writes them.

create table parley.settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now(),
  constraint settings_key_check check (key in ('anonymous_users', 'group_invitations', 'edit_window_seconds', 'delete_window_seconds',
                                               'push_offline_after_seconds', 'push_max_attempts')),
  constraint settings_anonymous_users_check check (
    key <> 'anonymous_users' or value in ('"invited_only"'::jsonb, '"full"'::jsonb)),
  constraint settings_group_invitations_check check (
    key <> 'group_invitations' or value in ('"non_contacts"'::jsonb, '"off"'::jsonb)),
  constraint settings_window_seconds_check check (
    key not in ('edit_window_seconds', 'delete_window_seconds')
    or value = 'null'::jsonb
    or (jsonb_typeof(value) = 'number' and (value #>> '{}')::numeric >= 0 and (value #>> '{}')::numeric = trunc((value #>> '{}')::numeric))),
  constraint settings_push_check check (
    key not in ('push_offline_after_seconds', 'push_max_attempts')
    or (jsonb_typeof(value) = 'number' and (value #>> '{}')::numeric between 1 and 86400
        and (value #>> '{}')::numeric = trunc((value #>> '{}')::numeric)))
);
comment on table parley.settings is
  'Parley settings the service role edits. anonymous_users: "invited_only" (default: anonymous sign-ins see and write only in conversations others put them in, and cannot start a direct conversation or a group, nor add members) or "full" (like any user). group_invitations: "non_contacts" (default: adding someone who shares no conversation with the adder sends them an invitation to accept or decline) or "off" (every add by an owner or admin is a membership at once). edit_window_seconds: how long after sending a sender may edit (default 172800, null = always). delete_window_seconds: how long a sender may delete for everyone (default null = always; group owners and admins are never limited). push_offline_after_seconds: a member with no foreground heartbeat (mark_active) for this long gets push notifications (default 60). push_max_attempts: how often push-dispatch tries a notification before giving up (default 5).';
comment on column parley.settings.value is 'The setting as JSON (e.g. "invited_only"); checked per key.';
alter table parley.settings enable row level security;
revoke all on table parley.settings from public, anon, authenticated;
grant select on table parley.settings to authenticated;
grant all on table parley.settings to service_role;

-- Settings are not secrets: every signed-in user may read them. Nobody but service_role writes.
create policy settings_select_authenticated on parley.settings
  for select to authenticated
  using (true);
comment on policy settings_select_authenticated on parley.settings is 'Signed-in users read the settings; only the service role changes them.';

-- One setting's value, or the documented default when the project has no row for it.
create or replace function parley_internal.setting(key text, fallback jsonb)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce((select s.value from parley.settings s where s.key = setting.key), setting.fallback);
$$;
comment on function parley_internal.setting(text, jsonb) is 'A parley.settings value, or fallback (the default) when there is no row.';
revoke execute on function parley_internal.setting(text, jsonb) from public, anon;
grant execute on function parley_internal.setting(text, jsonb) to authenticated, service_role;

-- Is the caller an anonymous sign-in (the token's is_anonymous claim, as Supabase advises) held to
-- "invited_only"? False for every other caller without reading the table, so the common path costs a
-- claim lookup.
create or replace function parley_internal.anonymous_restricted()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false)
     and parley_internal.setting('anonymous_users', '"invited_only"') = '"invited_only"'::jsonb;
$$;
comment on function parley_internal.anonymous_restricted() is 'True when the caller signed in anonymously and parley.settings.anonymous_users is invited_only (the default).';
revoke execute on function parley_internal.anonymous_restricted() from public, anon;
grant execute on function parley_internal.anonymous_restricted() to authenticated, service_role;

-- The refusal every action closed to restricted anonymous users raises: one code, a message saying what
-- to do instead.
create or replace function parley_internal.refuse_anonymous(action text)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if parley_internal.anonymous_restricted() then
    raise exception 'anonymous users cannot %: sign up with an email, or ask someone to add you', refuse_anonymous.action
      using errcode = '42501', hint = 'anonymous_not_allowed';
  end if;
end;
$$;
comment on function parley_internal.refuse_anonymous(text) is 'Raises 42501 anonymous_not_allowed for a restricted anonymous caller.';
revoke execute on function parley_internal.refuse_anonymous(text) from public, anon, authenticated, service_role;

-- Does adding a user who shares no conversation with the adder make an invitation (the default) rather
-- than a membership? One primary-key read; a missing row is the default, "non_contacts".
create or replace function parley_internal.group_invitations_on()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce((select s.value #>> '{}' from parley.settings s where s.key = 'group_invitations'), 'non_contacts') = 'non_contacts';
$$;
comment on function parley_internal.group_invitations_on() is 'True unless parley.settings.group_invitations is "off": strangers added to a group get an invitation.';
revoke execute on function parley_internal.group_invitations_on() from public, anon, authenticated, service_role;
