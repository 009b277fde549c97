-- Mentions: a message names members in metadata.mentions (user ids, rendered by the client from the
-- body's @names) and, from a group's owner or admins, "everyone". Each mentioned member gets a row here
-- and their inbox a mention count (conversation_members.mention_count, unread mentions: above their read
-- cursor), whether or not they muted the conversation: muting silences messages, never mentions.
-- Security: a user reads only their own mentions; rows are written by the trigger below only.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.record_mentions() — trigger on parley.messages: validates the mentions against the
--     membership and writes other members' rows and counts; executable by nobody.
-- Refusals (the send changes nothing): 22023 mentions_invalid (not an array of user ids / "everyone", or
-- more than mentions_max), 22023 mention_not_member, 42501 mention_everyone_not_allowed.

create table parley.message_mentions (
  user_id uuid not null references parley.profiles (id) on delete cascade,
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  seq bigint not null,
  message_id uuid not null references parley.messages (id) on delete cascade,
  everyone boolean not null default false,
  primary key (user_id, conversation_id, seq)
);
comment on table parley.message_mentions is 'Who was mentioned in which message (by id, or through "everyone"); the inbox counts those above the read cursor.';
comment on column parley.message_mentions.everyone is 'True when the member was reached by an @everyone rather than by name.';
alter table parley.message_mentions enable row level security;
revoke all on table parley.message_mentions from public, anon, authenticated;
grant select on table parley.message_mentions to authenticated;
grant all on table parley.message_mentions to service_role;

-- The cascades when a message or a conversation is deleted.
create index message_mentions_message_id_idx on parley.message_mentions (message_id);
create index message_mentions_conversation_id_idx on parley.message_mentions (conversation_id);

-- My mentions only ("where was I mentioned"): the primary key starts with the user.
create policy message_mentions_select_own on parley.message_mentions
  for select to authenticated
  using (user_id = (select auth.uid()));
comment on policy message_mentions_select_own on parley.message_mentions is 'Users read only the mentions of themselves.';

-- Runs after a message with metadata.mentions is inserted, in the sender's transaction: a refusal
-- raises and the whole send is undone. The sender mentioning themselves is ignored.
create or replace function parley_internal.record_mentions()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_max integer := (parley_internal.limits() ->> 'mentions_max')::int;
  v_list jsonb := new.metadata -> 'mentions';
  v_everyone boolean;
  v_ids uuid[];
  v_outsider uuid;
begin
  if jsonb_typeof(v_list) <> 'array' or jsonb_array_length(v_list) > v_max
     or exists (select 1 from jsonb_array_elements(v_list) e
                 where jsonb_typeof(e) <> 'string'
                    or not (e #>> '{}' = 'everyone' or e #>> '{}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')) then
    raise exception 'metadata.mentions must be an array of at most % user ids or "everyone"', v_max
      using errcode = '22023', hint = 'mentions_invalid';
  end if;
  v_everyone := v_list ? 'everyone';
  select coalesce(array_agg(distinct (e #>> '{}')::uuid), '{}') into v_ids
    from jsonb_array_elements(v_list) e where e #>> '{}' <> 'everyone';
  if v_everyone and not exists (select 1 from parley.conversation_members m join parley.conversations c on c.id = m.conversation_id
                                 where m.conversation_id = new.conversation_id and m.user_id = new.sender_id
                                   and c.kind = 'group' and m.role in ('owner', 'admin')) then
    raise exception 'only a group''s owner or admins may mention everyone'
      using errcode = '42501', hint = 'mention_everyone_not_allowed';
  end if;
  select u into v_outsider from unnest(v_ids) u
   where not exists (select 1 from parley.conversation_members m where m.conversation_id = new.conversation_id and m.user_id = u)
   limit 1;
  if v_outsider is not null then
    raise exception 'user % is not a member of this conversation and cannot be mentioned', v_outsider
      using errcode = '22023', hint = 'mention_not_member';
  end if;
  with mentioned as (
    insert into parley.message_mentions (user_id, conversation_id, seq, message_id, everyone)
    select m.user_id, new.conversation_id, new.seq, new.id, not (m.user_id = any (v_ids))
      from parley.conversation_members m
     where m.conversation_id = new.conversation_id
       and m.user_id is distinct from new.sender_id
       and (v_everyone or m.user_id = any (v_ids))
    returning user_id
  )
  update parley.conversation_members m
     set mention_count = m.mention_count + 1
    from mentioned
   where m.conversation_id = new.conversation_id and m.user_id = mentioned.user_id and m.last_read_seq < new.seq;
  return null;
end;
$$;
comment on function parley_internal.record_mentions() is 'Trigger: validates metadata.mentions and records each mentioned member''s mention and unread mention count.';
revoke execute on function parley_internal.record_mentions() from public, anon, authenticated, service_role;

-- Only messages that mention someone pay for it.
create trigger messages_record_mentions
  after insert on parley.messages
  for each row when (new.metadata ? 'mentions')
  execute function parley_internal.record_mentions();

-- The members a tombstone no longer mentions: their unread mention counts go down, the rows go.
create or replace function parley_internal.forget_mentions(message_id uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  update parley.conversation_members m
     set mention_count = greatest(m.mention_count - 1, 0)
    from parley.message_mentions x
   where x.message_id = forget_mentions.message_id
     and m.conversation_id = x.conversation_id and m.user_id = x.user_id and m.last_read_seq < x.seq;
  delete from parley.message_mentions x where x.message_id = forget_mentions.message_id;
end;
$$;
comment on function parley_internal.forget_mentions(uuid) is 'Internal (delete_message): removes a deleted message''s mentions and their unread counts.';
revoke execute on function parley_internal.forget_mentions(uuid) from public, anon, authenticated, service_role;
