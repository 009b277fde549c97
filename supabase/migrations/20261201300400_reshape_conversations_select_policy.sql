-- Purpose: make reading a conversation row cost the same whoever reads it, like the messages policy
--   (20261201300000). The first policy, id in (select private.my_conversation_ids()), hashed every
--   conversation id of the reader on each query: a user in 10,000 conversations paid for 10,000 ids to
--   read one row (get_group, or from('conversations').select().eq('id', …)). The policy now probes
--   conversation_members' primary key for each row it is asked about.
-- Objects: policy conversations_select_member on public.conversations (replaced; same name, role, command).
-- Security: same rule — members read their conversations; nobody else. The subquery runs under the
--   caller's RLS on conversation_members, whose own-row arm admits the probed row (its membership hash
--   is never built). A scalar subquery rather than exists(...), which the planner turns back into a
--   hash of all the caller's memberships; (conversation_id, user_id) is the primary key, so it yields at
--   most one row.
-- No security definer functions here.

drop policy conversations_select_member on public.conversations;

-- Members see their conversations: one probe of conversation_members_pkey per row read.
create policy conversations_select_member on public.conversations
  for select to authenticated
  using ((select true from public.conversation_members m
           where m.conversation_id = conversations.id
             and m.user_id = (select auth.uid())));
comment on policy conversations_select_member on public.conversations is 'Members read their conversations (one primary-key probe per row read).';
