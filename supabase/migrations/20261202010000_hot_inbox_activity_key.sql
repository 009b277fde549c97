-- Purpose: sends stop rewriting every member's inbox index entries (npm run bench, send stage;
--   docs/performance.md). Each message moves conversation_members.last_activity_at for every member
--   (the inbox order key). That column was in the inbox index, so each of those updates was a non-HOT
--   update: a new heap tuple plus a new entry in the inbox index and in the primary key, per member,
--   per message. In a busy conversation the dead entries pile up faster than autovacuum removes them
--   and each send gets slower (the bench saw its send rate fall by a quarter within seconds).
--   The inbox index now keys on the second of the last activity (a stored generated column), so the
--   updates within one second change no indexed column and are HOT: no index writes, and the page's
--   old versions are pruned in place without vacuum. The inbox still lists conversations by the exact
--   instant: the index gives them second by second and each second's few rows are sorted by
--   last_activity_at (an incremental sort), so the page stays flat in the number of conversations.
--   The API is unchanged: same columns, same order, same (last_activity_at, conversation_id) cursor.
-- Objects: column public.conversation_members.last_activity_second (generated); index
--   conversation_members_user_id_activity_idx (re-created on it); table storage parameter fillfactor;
--   function private.list_conversations(integer, timestamptz, uuid, boolean) (replaced: same
--   signature, rows, errors, grants).
-- Deploying: adding a stored column rewrites conversation_members and the index is rebuilt, both under
--   an exclusive lock on the table (sends wait); on a project with millions of memberships, apply it at
--   a quiet moment.
-- Security: no policy or grant changes; private.list_conversations stays security definer with
--   search_path '' and answers only for auth.uid() (docs/messaging.md § Definer audit).

alter table public.conversation_members
  add column last_activity_second timestamptz
  generated always as (date_bin('1 second', last_activity_at, timestamptz '2000-01-01 00:00:00+00')) stored not null;
comment on column public.conversation_members.last_activity_second is
  'last_activity_at truncated to the second: the inbox index key, so that sends within the same second update members in place (HOT).';

drop index public.conversation_members_user_id_activity_idx;
create index conversation_members_user_id_activity_idx
  on public.conversation_members (user_id, last_activity_second desc, conversation_id desc);
comment on index public.conversation_members_user_id_activity_idx is
  'The inbox: a user''s conversations second by second, newest first (the page sorts each second by last_activity_at).';

-- Room on each page for the new versions of its member rows, so their updates stay HOT.
alter table public.conversation_members set (fillfactor = 80);

-- The inbox page: conversations by latest activity, newest first, from the index second by second.
create or replace function private.list_conversations(
  max_count integer, before_activity_at timestamptz, before_id uuid, include_hidden boolean)
returns table (
  conversation_id uuid, kind text, title text, description text, avatar_url text, role text,
  joined_at timestamptz, last_seq bigint, last_read_seq bigint, unread_count bigint,
  muted_until timestamptz, hidden_at timestamptz, last_activity_at timestamptz,
  last_message jsonb, other_user jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := private.require_user();
begin
  perform private.check_page(list_conversations.max_count);
  if list_conversations.before_id is not null and list_conversations.before_activity_at is null then
    raise exception 'before_id needs before_activity_at (the cursor is the last row''s last_activity_at and conversation_id)'
      using errcode = '22023', hint = 'cursor_invalid';
  end if;
  return query
    select m.conversation_id, c.kind, c.title, c.description, c.avatar_url, m.role, m.joined_at,
           c.last_seq, m.last_read_seq, greatest(c.last_seq - m.last_read_seq, 0) as unread_count,
           m.muted_until, m.hidden_at, m.last_activity_at,
           (select to_jsonb(x) from public.messages x where x.conversation_id = c.id and x.seq = c.last_seq) as last_message,
           (select jsonb_build_object('id', p.id, 'username', p.username, 'display_name', p.display_name,
                                      'avatar_url', p.avatar_url, 'last_seen_at', p.last_seen_at)
              from public.conversation_members o join public.profiles p on p.id = o.user_id
             where c.kind = 'direct' and o.conversation_id = c.id and o.user_id <> v_user_id
             limit 1) as other_user
      from public.conversation_members m
      join public.conversations c on c.id = m.conversation_id
     where m.user_id = v_user_id
       and (list_conversations.include_hidden or m.hidden_at is null)
       -- The cursor (last_activity_at, conversation_id), with the second in front: the second only
       -- grows with the instant, so this is the same condition, and the index can start at it.
       and (m.last_activity_second, m.last_activity_at, m.conversation_id)
           < (coalesce(date_bin('1 second', list_conversations.before_activity_at, timestamptz '2000-01-01 00:00:00+00'),
                       'infinity'::timestamptz),
              coalesce(list_conversations.before_activity_at, 'infinity'::timestamptz),
              coalesce(list_conversations.before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
     order by m.last_activity_second desc, m.last_activity_at desc, m.conversation_id desc
     limit list_conversations.max_count;
end;
$$;
comment on function private.list_conversations(integer, timestamptz, uuid, boolean) is 'Implementation of public.list_conversations (definer: explicit user filter on one index instead of the RLS membership hash).';
