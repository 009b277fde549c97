-- What happened to a message after it was sent: its earlier versions (edit history, readable by the
-- members, so an edit never silently rewrites what people read) and the members who hid it for
-- themselves ("delete for me", next to delete-for-everyone's tombstone).
-- Security: members read a conversation's edit history; a user reads only their own hides. Nobody
-- writes either table directly: edit_message (messages.sql) records versions, hide_message /
-- unhide_message write hides.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.hide_message(uuid, boolean) — writes the caller's hide after checking membership.
-- Events: message_hidden / message_unhidden on the caller's own user:<id> (their other devices).

create table parley.message_edits (
  message_id uuid not null references parley.messages (id) on delete cascade,
  version integer not null,
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  body text,
  metadata jsonb not null default '{}'::jsonb,
  written_at timestamptz not null,
  replaced_at timestamptz not null default now(),
  primary key (message_id, version),
  constraint message_edits_version_check check (version > 0)
);
comment on table parley.message_edits is 'Earlier versions of edited messages: version 1 is what was sent, each edit adds the version it replaced. Cleared when the message is deleted.';
comment on column parley.message_edits.written_at is 'When this version was written (the message''s created_at for version 1, else the edit that made it).';
comment on column parley.message_edits.replaced_at is 'When the next edit replaced it.';
alter table parley.message_edits enable row level security;
revoke all on table parley.message_edits from public, anon, authenticated;
grant select on table parley.message_edits to authenticated;
grant all on table parley.message_edits to service_role;

-- The cascade when a conversation is deleted.
create index message_edits_conversation_id_idx on parley.message_edits (conversation_id);

-- Members read the edit history of their conversations' messages.
create policy message_edits_select_member on parley.message_edits
  for select to authenticated
  using ((select true from parley.conversation_members m
           where m.conversation_id = message_edits.conversation_id
             and m.user_id = (select auth.uid())));
comment on policy message_edits_select_member on parley.message_edits is 'Members read earlier versions of their conversations'' messages.';

create table parley.message_hides (
  -- auth.users, not parley.profiles: see message_reactions (no many-to-many between messages and profiles).
  user_id uuid not null references auth.users (id) on delete cascade,
  message_id uuid not null references parley.messages (id) on delete cascade,
  hidden_at timestamptz not null default now(),
  primary key (user_id, message_id)
);
comment on table parley.message_hides is 'Messages a user deleted for themselves only: list_messages leaves them out for that user.';
alter table parley.message_hides enable row level security;
revoke all on table parley.message_hides from public, anon, authenticated;
grant select on table parley.message_hides to authenticated;
grant all on table parley.message_hides to service_role;

-- The cascade when a message is deleted.
create index message_hides_message_id_idx on parley.message_hides (message_id);

-- A hide is private to the one who hid.
create policy message_hides_select_own on parley.message_hides
  for select to authenticated
  using (user_id = (select auth.uid()));
comment on policy message_hides_select_own on parley.message_hides is 'Users read only their own hidden messages.';

-- Earlier versions of a message, oldest first (the current text is the message itself).
create or replace function parley.list_message_edits(message_id uuid)
returns setof parley.message_edits
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform parley_internal.require_user();
  if not exists (select 1 from parley.messages x where x.id = list_message_edits.message_id) then
    raise exception 'message % not found', list_message_edits.message_id using errcode = 'PT404', hint = 'message_not_found';
  end if;
  return query
    select * from parley.message_edits e where e.message_id = list_message_edits.message_id order by e.version;
end;
$$;
comment on function parley.list_message_edits(uuid) is 'The earlier versions of a message of yours or of a conversation you belong to, oldest first (version 1 is what was sent). 404 message_not_found.';
revoke execute on function parley.list_message_edits(uuid) from public, anon;
grant execute on function parley.list_message_edits(uuid) to authenticated;

-- Hides (hide = true) or shows again a message for the caller only. Idempotent; any message of a
-- conversation the caller belongs to, system messages and tombstones included.
create or replace function parley_internal.hide_message(message_id uuid, hide boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_message parley.messages;
  v_changed boolean;
begin
  v_message := parley_internal.member_message(hide_message.message_id, v_user_id, false);
  if hide_message.hide then
    insert into parley.message_hides (user_id, message_id) values (v_user_id, v_message.id)
    on conflict on constraint message_hides_pkey do nothing;
  else
    delete from parley.message_hides h where h.user_id = v_user_id and h.message_id = v_message.id;
  end if;
  v_changed := found;
  if v_changed then
    perform parley_internal.send_user_events(case when hide_message.hide then 'message_hidden' else 'message_unhidden' end,
      array[v_user_id],
      array[jsonb_build_object('conversation_id', v_message.conversation_id, 'message_id', v_message.id, 'seq', v_message.seq)]);
  end if;
  return jsonb_build_object('message_id', v_message.id, 'hidden', hide_message.hide);
end;
$$;
comment on function parley_internal.hide_message(uuid, boolean) is 'Implements parley.hide_message / parley.unhide_message.';
revoke execute on function parley_internal.hide_message(uuid, boolean) from public, anon;
grant execute on function parley_internal.hide_message(uuid, boolean) to authenticated;

create or replace function parley.hide_message(message_id uuid)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.hide_message(hide_message.message_id, true);
end;
$$;
comment on function parley.hide_message(uuid) is
  'Delete a message for yourself only: list_messages leaves it out for you, everyone else still sees it. Idempotent; your devices hear message_hidden. 404 message_not_found.';
revoke execute on function parley.hide_message(uuid) from public, anon;
grant execute on function parley.hide_message(uuid) to authenticated;

create or replace function parley.unhide_message(message_id uuid)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.hide_message(unhide_message.message_id, false);
end;
$$;
comment on function parley.unhide_message(uuid) is 'Show a message you hid again. Idempotent.';
revoke execute on function parley.unhide_message(uuid) from public, anon;
grant execute on function parley.unhide_message(uuid) to authenticated;
