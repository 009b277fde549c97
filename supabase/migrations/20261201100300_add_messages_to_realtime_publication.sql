-- Purpose: Postgres Changes on public.messages for clients that prefer them to the broadcast events
-- (docs/realtime-events.md § Postgres Changes). Realtime delivers an INSERT or UPDATE only to
-- subscribers whose RLS select policy (messages_select_member: members) passes for the new row.
-- Objects: publication supabase_realtime (adds public.messages).
-- Why only messages:
--   - messages rows are what members may read in full; edits and tombstones are UPDATEs (a tombstone
--     carries no body), and rows are only ever deleted by a conversation's deletion, whose DELETE
--     events carry the primary key alone (Realtime does not check RLS on deletes; an id says nothing).
--   - conversations and conversation_members change on every message (last_seq, each member's
--     last_activity_at), so publishing them would multiply WAL decoding and per-subscriber RLS checks
--     by the group size for no new information: their changes are broadcast events instead.
--   - calls and call_participants: the call events (docs/calls.md) already carry every state change.
-- Replica identity stays default: old records carry the id only.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_publication_tables
                  where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages') then
    alter publication supabase_realtime add table public.messages;
  end if;
end;
$$;
