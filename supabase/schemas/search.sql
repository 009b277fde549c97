-- Search that can only return what the caller may read: message search runs as the caller, through
-- the messages policy, over two indexes of parley.messages itself (no second copy to leak or drift):
--   * full text with the `simple` configuration: every word of every language that separates words
--     with spaces or punctuation, lower-cased, no stop words dropped, no stemming;
--   * trigrams (pg_trgm, in schema extensions as on every Supabase project) for partial words, URLs,
--     e-mail addresses and anything else that is a substring of three characters or more.
-- A message matches when the words of the query all occur (full text) or the query occurs as a
-- substring. Deleted messages have no body and never match; an edited one matches its current text.
-- What it does not do: stemming ("run" does not find "running" by full text, only as a substring),
-- typo tolerance or ranking by relevance (results are newest first), word segmentation for scripts
-- written without spaces (Chinese, Japanese, Thai: substrings still match, through trigrams, but
-- without index help below three characters), and searching attachments' contents.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.search_messages(...) — reads messages without RLS (which would forbid the indexes)
--     with the membership rule in the query; answers only for auth.uid().
-- parley.search_conversations is invoker: the tables' RLS decides what it sees.

-- (The migration enables it with the same statement.)
create extension if not exists pg_trgm with schema extensions;

-- Full text over the current body, simple configuration (see the header).
create index messages_body_fts_idx on parley.messages
  using gin (to_tsvector('simple'::regconfig, body)) where body is not null;

-- Substrings (partial words, URLs) of the current body, case-insensitive.
create index messages_body_trgm_idx on parley.messages
  using gin (body extensions.gin_trgm_ops) where body is not null;

-- Group titles, for search_conversations.
create index conversations_title_trgm_idx on parley.conversations
  using gin (title extensions.gin_trgm_ops) where title is not null;

-- The query as a LIKE pattern that matches it literally anywhere: %, _ and \ escaped.
create or replace function parley_internal.like_pattern(query text)
returns text
language sql
immutable
security invoker
set search_path = ''
as $$
  select '%' || replace(replace(replace(like_pattern.query, '\', '\\'), '%', '\%'), '_', '\_') || '%';
$$;
comment on function parley_internal.like_pattern(text) is 'A LIKE pattern matching the text literally as a substring.';
revoke execute on function parley_internal.like_pattern(text) from public, anon;
grant execute on function parley_internal.like_pattern(text) to authenticated, service_role;

-- A snippet safe to render as HTML: the body around the first match, cut to about 160 characters,
-- with &, < and > escaped and every occurrence of the query (or of its words) wrapped in <mark></mark>.
create or replace function parley_internal.search_snippet(body text, query text)
returns text
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  v_at integer := greatest(strpos(lower(search_snippet.body), lower(search_snippet.query)), 1);
  v_from integer := greatest(v_at - 60, 1);
  v_text text := substr(search_snippet.body, v_from, 160);
  v_escaped text;
  v_term text;
begin
  v_escaped := replace(replace(replace(v_text, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
  -- The whole query first, then each of its words (for full-text matches whose words are apart).
  for v_term in
    select t from (select search_snippet.query as t, 0 as o
                   union all
                   select w, 1 from regexp_split_to_table(search_snippet.query, '\s+') w where char_length(w) > 0) x
    order by o, char_length(t) desc
  loop
    v_term := replace(replace(replace(v_term, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
    if strpos(lower(v_escaped), lower(v_term)) > 0 and strpos(v_escaped, '<mark>') = 0 then
      v_escaped := regexp_replace(v_escaped, regexp_replace(v_term, '([.*+?^${}()|\[\]\\])', '\\\1', 'g'), '<mark>\&</mark>', 'gi');
    end if;
  end loop;
  return case when v_from > 1 then '…' else '' end || v_escaped
      || case when v_from + 160 <= char_length(search_snippet.body) then '…' else '' end;
end;
$$;
comment on function parley_internal.search_snippet(text, text) is 'HTML-safe snippet of a message body around the query, matches in <mark>.';
revoke execute on function parley_internal.search_snippet(text, text) from public, anon;
grant execute on function parley_internal.search_snippet(text, text) to authenticated, service_role;

-- Messages matching `query` in my conversations (or one of them), newest first, with filters, paged by
-- (created_at, id) of the last row. Definer, with the membership rule written into the query: under RLS
-- Postgres must check the policy before any condition that is not leakproof (the text search and ILIKE
-- operators are not), so it could use neither index and read every row of the table (measured: 5 s on
-- 200,000 messages, against 3 ms here). The rule is the messages policy's own — conversations the caller
-- is a member of now — so a removed member finds nothing of a conversation any more and a stranger
-- nothing at all (supabase/tests/messaging/search.test.sql).
create or replace function parley_internal.search_messages(
  query text,
  in_conversation_id uuid,
  from_user_id uuid,
  message_kind text,
  has_attachment boolean,
  after timestamptz,
  before timestamptz,
  before_id uuid,
  max_count integer)
returns table (
  id uuid, conversation_id uuid, seq bigint, sender_id uuid, kind text, body text, attachment jsonb,
  created_at timestamptz, edited_at timestamptz, thread_root_id uuid, snippet text)
language plpgsql
stable
security definer
set search_path = ''
-- Planned for each query's own words: a generic plan cannot know how selective a pattern is, and
-- would scan the table where the indexes find a handful of rows.
set plan_cache_mode = force_custom_plan
as $$
declare
  v_query text := btrim(search_messages.query);
  v_tsquery tsquery;
  v_pattern text;
  v_user_id uuid := parley_internal.require_user();
  v_mine uuid[];
begin
  perform parley_internal.check_page(search_messages.max_count);
  if v_query is null or char_length(v_query) < 2 or char_length(v_query) > 200 then
    raise exception 'query must be 2-200 characters (got %)', coalesce(char_length(v_query), 0)
      using errcode = '22023', hint = 'query_invalid';
  end if;
  if search_messages.message_kind is not null and search_messages.message_kind not in ('text', 'image', 'video', 'audio', 'file') then
    raise exception 'message_kind "%" is not one of text, image, video, audio, file', search_messages.message_kind
      using errcode = '22023', hint = 'invalid_kind';
  end if;
  if search_messages.before_id is not null and search_messages.before is null then
    raise exception 'before_id needs before (the cursor is the last row''s created_at and id)'
      using errcode = '22023', hint = 'cursor_invalid';
  end if;
  select coalesce(array_agg(m.conversation_id), '{}') into v_mine
    from parley.conversation_members m where m.user_id = v_user_id;
  v_tsquery := websearch_to_tsquery('simple'::regconfig, v_query);
  v_pattern := parley_internal.like_pattern(v_query);
  return query
    select m.id, m.conversation_id, m.seq, m.sender_id, m.kind, m.body, m.attachment, m.created_at, m.edited_at,
           m.thread_root_id, parley_internal.search_snippet(m.body, v_query)
      from parley.messages m
     where m.body is not null
       and m.conversation_id = any (v_mine)
       and ((numnode(v_tsquery) > 0 and to_tsvector('simple'::regconfig, m.body) @@ v_tsquery)
            or (char_length(v_query) >= 3 and m.body operator(pg_catalog.~~*) v_pattern))
       and (search_messages.in_conversation_id is null or m.conversation_id = search_messages.in_conversation_id)
       and (search_messages.from_user_id is null or m.sender_id = search_messages.from_user_id)
       and (search_messages.message_kind is null or m.kind = search_messages.message_kind)
       and (search_messages.has_attachment is null or (m.attachment is not null) = search_messages.has_attachment)
       and (search_messages.after is null or m.created_at > search_messages.after)
       and (search_messages.before is null
            or (m.created_at, m.id) < (search_messages.before, coalesce(search_messages.before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)))
       and not exists (select 1 from parley.message_hides h where h.user_id = v_user_id and h.message_id = m.id)
     order by m.created_at desc, m.id desc
     limit search_messages.max_count;
end;
$$;
comment on function parley_internal.search_messages(text, uuid, uuid, text, boolean, timestamptz, timestamptz, uuid, integer) is 'Implements parley.search_messages.';
revoke execute on function parley_internal.search_messages(text, uuid, uuid, text, boolean, timestamptz, timestamptz, uuid, integer) from public, anon;
grant execute on function parley_internal.search_messages(text, uuid, uuid, text, boolean, timestamptz, timestamptz, uuid, integer) to authenticated;

create or replace function parley.search_messages(
  query text,
  in_conversation_id uuid default null,
  from_user_id uuid default null,
  message_kind text default null,
  has_attachment boolean default null,
  after timestamptz default null,
  before timestamptz default null,
  before_id uuid default null,
  max_count integer default 20)
returns table (
  id uuid, conversation_id uuid, seq bigint, sender_id uuid, kind text, body text, attachment jsonb,
  created_at timestamptz, edited_at timestamptz, thread_root_id uuid, snippet text)
language sql
stable
security invoker
set search_path = ''
as $w$
  select * from parley_internal.search_messages(search_messages.query, search_messages.in_conversation_id,
    search_messages.from_user_id, search_messages.message_kind, search_messages.has_attachment, search_messages.after,
    search_messages.before, search_messages.before_id, search_messages.max_count);
$w$;
comment on function parley.search_messages(text, uuid, uuid, text, boolean, timestamptz, timestamptz, uuid, integer) is
  'Messages you may read matching query (all its words, or the query as a substring of 3+ characters), newest first, each with an HTML-safe snippet (<mark>); optional in_conversation_id, from_user_id, message_kind, has_attachment, after/before filters; next page: before = the last row''s created_at, before_id = its id. 400 query_invalid (2-200 characters), invalid_kind, cursor_invalid, invalid_page_size.';
revoke execute on function parley.search_messages(text, uuid, uuid, text, boolean, timestamptz, timestamptz, uuid, integer) from public, anon;
grant execute on function parley.search_messages(text, uuid, uuid, text, boolean, timestamptz, timestamptz, uuid, integer) to authenticated;

-- My conversations whose title contains the query (groups), or whose other person's username or display
-- name does (direct ones), by latest activity.
create or replace function parley.search_conversations(query text, max_count integer default 20)
returns table (conversation_id uuid, kind text, title text, other_user_id uuid, last_activity_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_query text := btrim(search_conversations.query);
  v_pattern text;
begin
  perform parley_internal.check_page(search_conversations.max_count);
  if v_query is null or char_length(v_query) < 1 or char_length(v_query) > 200 then
    raise exception 'query must be 1-200 characters (got %)', coalesce(char_length(v_query), 0)
      using errcode = '22023', hint = 'query_invalid';
  end if;
  v_pattern := parley_internal.like_pattern(v_query);
  return query
    select c.id, c.kind, c.title, o.user_id, me.last_activity_at
      from parley.conversation_members me
      join parley.conversations c on c.id = me.conversation_id
      left join parley.conversation_members o on c.kind = 'direct' and o.conversation_id = c.id and o.user_id <> v_user_id
      left join parley.profiles p on p.id = o.user_id
     where me.user_id = v_user_id
       and (c.title operator(pg_catalog.~~*) v_pattern
            or p.username operator(pg_catalog.~~*) v_pattern
            or p.display_name operator(pg_catalog.~~*) v_pattern)
     order by me.last_activity_at desc, c.id desc
     limit search_conversations.max_count;
end;
$$;
comment on function parley.search_conversations(text, integer) is
  'Your conversations whose group title, or whose other person''s username or display name, contains query (ignoring case), by latest activity. 400 query_invalid.';
revoke execute on function parley.search_conversations(text, integer) from public, anon;
grant execute on function parley.search_conversations(text, integer) to authenticated;
