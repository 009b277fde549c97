-- Purpose: cheaper sends. Every message moves last_activity_at on each member's row (the inbox
--   fan-out in private.append_message); last_activity_at is indexed, so each of those updates is a
--   non-HOT update that writes a new entry into every index of conversation_members. The
--   (conversation_id, joined_at) index served only the ownership hand-over (leave_group,
--   keep_group_owner), which orders by role first and so sorts anyway, over at most 256 rows that the
--   primary key (conversation_id, user_id) finds just as well. Dropping it removes one of the three
--   index writes per member per message (npm run bench, send stage; docs/performance.md).
-- Objects: index public.conversation_members_conversation_id_joined_at_idx (dropped).
-- Security: none changed. No security definer functions here.

drop index public.conversation_members_conversation_id_joined_at_idx;
