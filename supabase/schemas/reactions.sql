-- Emoji reactions on messages. One row per (message, user, emoji); the message row carries the counts
-- (messages.reactions, {"👍": 3, ...}) kept in the same transaction, so a history page reads counts with
-- the rows it already reads and never counts reactions per message. "Mine" is one indexed read per page
-- (message_reactions where user_id = me and message_id in the page: message_reactions_user_id_message_id_idx).
-- Security: members of a conversation read its reactions; nobody writes the table directly.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.react(uuid, text, boolean) — writes the reaction and the message's counts, rows members
--     may only read, after checking membership; acts for auth.uid() only.
-- Events: reaction_added / reaction_removed (send_conversation_event: each member's user:<id>, or a notice
-- on conversation:<id>:events for large groups) with the message's new counts.

create table parley.message_reactions (
  message_id uuid not null references parley.messages (id) on delete cascade,
  -- auth.users, not parley.profiles: with foreign keys to both messages and profiles in its primary key
  -- this table would be a many-to-many join for PostgREST, and messages?select=*,profiles(*) ambiguous.
  user_id uuid not null references auth.users (id) on delete cascade,
  emoji text not null,
  conversation_id uuid not null references parley.conversations (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (message_id, user_id, emoji),
  constraint message_reactions_emoji_check check (char_length(emoji) between 1 and 64)
);
comment on table parley.message_reactions is 'Who reacted to which message with which emoji; the counts live on messages.reactions.';
comment on column parley.message_reactions.emoji is 'One emoji (a single grapheme: ZWJ sequences, skin tones, flags, keycaps) or a :shortcode:.';
comment on column parley.message_reactions.conversation_id is 'The message''s conversation, copied so the policy probes membership without reading the message.';
alter table parley.message_reactions enable row level security;
revoke all on table parley.message_reactions from public, anon, authenticated;
grant select on table parley.message_reactions to authenticated;
grant all on table parley.message_reactions to service_role;

-- "My reactions" on a page of messages, and the cascade when a profile is deleted.
create index message_reactions_user_id_message_id_idx on parley.message_reactions (user_id, message_id);

-- The cascade when a conversation is deleted.
create index message_reactions_conversation_id_idx on parley.message_reactions (conversation_id);

-- Members read their conversations' reactions: one primary-key probe of conversation_members per row,
-- skipped for the caller's own rows (the SDK's "mine" query reads only those).
create policy message_reactions_select_member on parley.message_reactions
  for select to authenticated
  using (user_id = (select auth.uid())
         or (select true from parley.conversation_members m
              where m.conversation_id = message_reactions.conversation_id
                and m.user_id = (select auth.uid())));
comment on policy message_reactions_select_member on parley.message_reactions is 'Members read the reactions in their conversations.';

-- A reaction is one emoji or a :shortcode:. Postgres has no grapheme segmentation, so this is the
-- shape of one emoji: a pictograph with an optional presentation selector, skin tone and tag sequence
-- (subdivision flags), joined by ZWJ to more of the same; a regional-indicator pair (a flag); a keycap.
-- It accepts every emoji of Unicode 15.1 and refuses text, several emoji and white space.
create or replace function parley_internal.check_emoji(emoji text)
returns void
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  if check_emoji.emoji is null or char_length(check_emoji.emoji) > 64 or check_emoji.emoji !~ (
       '^(:[a-z0-9_+-]{1,40}:'
    || '|[\U0001F1E6-\U0001F1FF]{2}'
    || '|[0-9#*]\uFE0F?\u20E3'
    || '|[\u00A9\u00AE\u203C-\u3299\U0001F000-\U0001FAFF][\uFE0E\uFE0F]?[\U0001F3FB-\U0001F3FF]?[\U000E0020-\U000E007F]*'
    || '(\u200D[\u00A9\u00AE\u2000-\u3299\U0001F000-\U0001FAFF][\uFE0E\uFE0F]?[\U0001F3FB-\U0001F3FF]?)*)$') then
    raise exception 'reaction "%" is not one emoji or a :shortcode:', coalesce(check_emoji.emoji, 'null')
      using errcode = '22023', hint = 'invalid_emoji';
  end if;
end;
$$;
comment on function parley_internal.check_emoji(text) is 'Raises 22023 invalid_emoji unless the text is one emoji or a :shortcode:.';
revoke execute on function parley_internal.check_emoji(text) from public, anon, authenticated, service_role;

-- Adds (add = true) or removes the caller's reaction and keeps the message's counts, under the
-- message's row lock so concurrent reactions count exactly. Idempotent: reacting twice, or removing a
-- reaction that is not there, changes nothing and sends nothing. At most reactions_max_distinct
-- different emoji per message (22023 too_many_reactions). Tombstones take no reactions.
create or replace function parley_internal.react(message_id uuid, emoji text, add boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_max integer := (parley_internal.limits() ->> 'reactions_max_distinct')::int;
  v_message parley.messages;
  v_count integer;
  v_changed boolean;
begin
  perform parley_internal.check_emoji(react.emoji);
  v_message := parley_internal.member_message(react.message_id, v_user_id, true);
  if v_message.deleted_at is not null then
    raise exception 'message % was deleted', react.message_id using errcode = '22023', hint = 'message_deleted';
  end if;
  v_count := coalesce((v_message.reactions ->> react.emoji)::int, 0);
  if react.add then
    if v_count = 0 and (select count(*) from jsonb_object_keys(v_message.reactions)) >= v_max then
      raise exception 'message % already has % different reactions, the most a message can have', react.message_id, v_max
        using errcode = '22023', hint = 'too_many_reactions';
    end if;
    insert into parley.message_reactions (message_id, user_id, emoji, conversation_id)
    values (v_message.id, v_user_id, react.emoji, v_message.conversation_id)
    on conflict on constraint message_reactions_pkey do nothing;
    v_changed := found;
    v_count := v_count + 1;
  else
    delete from parley.message_reactions r
     where r.message_id = v_message.id and r.user_id = v_user_id and r.emoji = react.emoji;
    v_changed := found;
    v_count := v_count - 1;
  end if;
  if v_changed then
    update parley.messages x
       set reactions = case when v_count > 0 then jsonb_set(x.reactions, array[react.emoji], to_jsonb(v_count))
                            else x.reactions - react.emoji end
     where x.id = v_message.id
    returning * into v_message;
    perform parley_internal.send_conversation_event(v_message.conversation_id,
      case when react.add then 'reaction_added' else 'reaction_removed' end,
      jsonb_build_object('conversation_id', v_message.conversation_id, 'message_id', v_message.id, 'seq', v_message.seq,
                         'user_id', v_user_id, 'emoji', react.emoji, 'reactions', v_message.reactions),
      jsonb_build_object('message_id', v_message.id, 'seq', v_message.seq));
  end if;
  return jsonb_build_object('message_id', v_message.id, 'reactions', v_message.reactions,
    'mine', coalesce((select jsonb_agg(r.emoji order by r.created_at) from parley.message_reactions r
                       where r.message_id = v_message.id and r.user_id = v_user_id), '[]'::jsonb));
end;
$$;
comment on function parley_internal.react(uuid, text, boolean) is 'Implements parley.add_reaction / parley.remove_reaction.';
revoke execute on function parley_internal.react(uuid, text, boolean) from public, anon;
grant execute on function parley_internal.react(uuid, text, boolean) to authenticated;

create or replace function parley.add_reaction(message_id uuid, emoji text)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.react(add_reaction.message_id, add_reaction.emoji, true);
end;
$$;
comment on function parley.add_reaction(uuid, text) is
  'React to a message of a conversation you belong to with one emoji or a :shortcode:. Idempotent. Answers {message_id, reactions: {emoji: count}, mine: [emoji]}. 400 invalid_emoji / too_many_reactions / message_deleted, 404 message_not_found.';
revoke execute on function parley.add_reaction(uuid, text) from public, anon;
grant execute on function parley.add_reaction(uuid, text) to authenticated;

create or replace function parley.remove_reaction(message_id uuid, emoji text)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
begin
  return parley_internal.react(remove_reaction.message_id, remove_reaction.emoji, false);
end;
$$;
comment on function parley.remove_reaction(uuid, text) is
  'Take back your reaction; removing one that is not there changes nothing. Answers like add_reaction.';
revoke execute on function parley.remove_reaction(uuid, text) from public, anon;
grant execute on function parley.remove_reaction(uuid, text) to authenticated;
