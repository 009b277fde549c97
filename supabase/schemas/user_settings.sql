-- A user's own settings that other people's reads depend on (today: whether their read receipts are
-- shared). One row per user, written by its owner with a plain upsert; a missing row means the defaults.
-- Security: no security definer here. RLS keeps each row to its owner; the definers that apply a
-- setting to what others see (list_receipts, the member_read trigger) read it with their own rights
-- through parley_internal.hides_read_receipts, which nobody else may execute.

create table parley.user_settings (
  user_id uuid primary key references auth.users (id) on delete cascade,
  hide_read_receipts boolean not null default false
);
comment on table parley.user_settings is
  'Per-user privacy settings, own row only. hide_read_receipts: co-members do not see how far you have read (list_receipts shows null, no member_read is sent to them); they still see what was delivered to you.';
comment on column parley.user_settings.hide_read_receipts is 'When true, your read cursor is kept from co-members (your own devices still get it in membership_updated).';
alter table parley.user_settings enable row level security;
revoke all on table parley.user_settings from public, anon, authenticated;
grant select, delete on table parley.user_settings to authenticated;
-- user_id is in the update grant because an upsert (insert … on conflict do update) sets every column sent.
grant insert (user_id, hide_read_receipts), update (user_id, hide_read_receipts) on table parley.user_settings to authenticated;
grant all on table parley.user_settings to service_role;

create policy user_settings_select_own on parley.user_settings
  for select to authenticated
  using (user_id = (select auth.uid()));
comment on policy user_settings_select_own on parley.user_settings is 'A user reads only their own settings (whether someone hides read receipts shows only as missing cursors).';

create policy user_settings_insert_own on parley.user_settings
  for insert to authenticated
  with check (user_id = (select auth.uid()));
comment on policy user_settings_insert_own on parley.user_settings is 'A user creates only their own settings row.';

create policy user_settings_update_own on parley.user_settings
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
comment on policy user_settings_update_own on parley.user_settings is 'A user changes only their own settings, and cannot hand the row to someone else.';

create policy user_settings_delete_own on parley.user_settings
  for delete to authenticated
  using (user_id = (select auth.uid()));
comment on policy user_settings_delete_own on parley.user_settings is 'Deleting your row restores the defaults.';

-- Does this user keep their read cursor from co-members? Read by definers (RLS would show only the
-- caller's own row); executable by nobody else.
create or replace function parley_internal.hides_read_receipts(user_id uuid)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce((select s.hide_read_receipts from parley.user_settings s where s.user_id = hides_read_receipts.user_id), false);
$$;
comment on function parley_internal.hides_read_receipts(uuid) is 'True when the user hides read receipts (no row: false). For definers that apply the setting to what others see.';
revoke execute on function parley_internal.hides_read_receipts(uuid) from public, anon, authenticated, service_role;
