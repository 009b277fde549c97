-- Purpose: the realtime.messages policies also require the row's own topic to be the topic being
-- authorised, so a role never sees or writes rows of other topics through them.
-- Why: realtime.send sets realtime.topic transaction-locally (set_config(..., true)) and leaves it set;
--   with the first policies (20261201100000), a member's later statement in the same transaction
--   could read every broadcast row stored under any topic, inboxes included. Realtime's own checks
--   always use probe rows whose topic equals realtime.topic(), and realtime.send inserts rows whose
--   topic equals the one it sets, so they behave exactly as before.
-- Objects: policies realtime_messages_select_parley_topics, realtime_messages_insert_parley_topics
--   on realtime.messages (replaced). No security definer functions here.

drop policy if exists realtime_messages_select_parley_topics on realtime.messages;
drop policy if exists realtime_messages_insert_parley_topics on realtime.messages;

-- Join / receive: the probe row Realtime inserts for each extension is visible only when it belongs
-- to the topic being joined and the helper allows that extension there (one InitPlan per statement).
create policy realtime_messages_select_parley_topics on realtime.messages
  for select to authenticated
  using (topic = (select realtime.topic())
         and extension = any ((select private.realtime_topic_receive_extensions((select realtime.topic())))::text[]));
comment on policy realtime_messages_select_parley_topics on realtime.messages is
  'Parley private channels: members receive conversation:<id>, a user their own user:<id>, participants call:<id>.';

-- Send: client broadcast and presence track, on the topic being authorised only. Stops non-members
-- typing into a conversation, anyone sending on an inbox, and forged call events (presence only).
create policy realtime_messages_insert_parley_topics on realtime.messages
  for insert to authenticated
  with check (topic = (select realtime.topic())
              and extension = any ((select private.realtime_topic_send_extensions((select realtime.topic())))::text[]));
comment on policy realtime_messages_insert_parley_topics on realtime.messages is
  'Parley private channels: members send typing broadcasts and presence on conversation:<id>; participants presence on call:<id>.';
