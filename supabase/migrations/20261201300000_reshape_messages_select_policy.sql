-- Purpose: make a history page cost the same whoever reads it. The first messages select policy,
--   conversation_id in (select private.my_conversation_ids()), hashes every conversation id of the
--   reader once per query: cheap for a user in 100 conversations, but a user in 10,000 paid ~30 ms for
--   a 50-row page (npm run bench, history stage; docs/performance.md). The policy now checks each row
--   it is asked about with one probe of conversation_members' primary key, so a page costs
--   "rows on the page × one index probe", flat in the reader's number of conversations.
-- Objects: policy messages_select_member on public.messages (replaced; same name, role and command).
-- Security: same rule — members of the message's conversation read it; nobody else. The subquery
--   runs under the caller's RLS on conversation_members, whose own-row arm (user_id = auth.uid())
--   already admits the probed row, so that policy's membership hash is never built.
-- Why a scalar subquery and not exists(...): the planner turns a correlated EXISTS into a hashed
--   subplan over all of the caller's memberships (the cost we are removing); a scalar subquery is
--   always a per-row index probe. (conversation_id, user_id) is the primary key, so it yields at most
--   one row. An unfiltered `select * from messages` still scans the table, as it did before.
-- No security definer functions here.

drop policy messages_select_member on public.messages;

-- Members read their conversations' messages: for each row, one probe of conversation_members_pkey
-- (conversation_id, user_id); the (conversation_id, seq) index bounds the rows to the page.
create policy messages_select_member on public.messages
  for select to authenticated
  using ((select true from public.conversation_members m
           where m.conversation_id = messages.conversation_id
             and m.user_id = (select auth.uid())));
comment on policy messages_select_member on public.messages is 'Members read the messages of their conversations (one primary-key probe per row read).';
