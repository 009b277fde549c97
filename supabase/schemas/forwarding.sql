-- Forwarding a message into another conversation the user belongs to. The copy is a new message of the
-- forwarder's (their send limits, the target's slow mode, an idempotent client_id); an attachment is
-- forwarded by reference, without copying bytes: the new message points at the same Storage object, in
-- the folder of the conversation it was first sent to.
-- Access to such an object follows the messages: a member reads an attachment of their conversation's
-- folder, or one a message of any of their conversations refers to (parley_attachments_select_member,
-- attachments.sql). So the target's members read it for as long as the forwarded message is there; the
-- object stays immutable while any message refers to it; when its uploader deletes it, every message
-- that refers to it shows the attachment removed.
-- Security definer functions here (docs/messaging.md § Definer audit):
--   parley_internal.forward_message(uuid, uuid, uuid) — reads the source as the caller (membership
--     checked) and sends through parley_internal.send_message.

-- May the caller attach this already-sent object to a message of another conversation? Yes when a
-- message of one of their conversations refers to it and neither was deleted. Runs inside send_message.
create or replace function parley_internal.is_forwardable_attachment(path text)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (
    select 1 from parley.messages x
      join parley.conversation_members m on m.conversation_id = x.conversation_id and m.user_id = (select auth.uid())
     where x.attachment is not null and x.attachment ->> 'path' = is_forwardable_attachment.path
       and x.deleted_at is null and not (x.attachment ? 'removed_at'));
$$;
comment on function parley_internal.is_forwardable_attachment(text) is 'True when a live message of one of the caller''s conversations refers to the object (it may be forwarded).';
revoke execute on function parley_internal.is_forwardable_attachment(text) from public, anon, authenticated, service_role;

create or replace function parley_internal.forward_message(message_id uuid, conversation_id uuid, client_id uuid)
returns parley.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := parley_internal.require_user();
  v_source parley.messages;
begin
  v_source := parley_internal.member_message(forward_message.message_id, v_user_id, false);
  if v_source.deleted_at is not null then
    raise exception 'message % was deleted', forward_message.message_id using errcode = '22023', hint = 'message_deleted';
  end if;
  if v_source.kind = 'system' then
    raise exception 'system messages cannot be forwarded' using errcode = '22023', hint = 'message_not_forwardable';
  end if;
  return parley_internal.send_message(forward_message.conversation_id, v_source.kind, v_source.body, v_source.attachment,
    jsonb_build_object('forwarded_from', jsonb_build_object('message_id', v_source.id, 'sender_id', v_source.sender_id,
                                                            'created_at', v_source.created_at)),
    null, forward_message.client_id);
end;
$$;
comment on function parley_internal.forward_message(uuid, uuid, uuid) is 'Implements parley.forward_message.';
revoke execute on function parley_internal.forward_message(uuid, uuid, uuid) from public, anon;
grant execute on function parley_internal.forward_message(uuid, uuid, uuid) to authenticated;

create or replace function parley.forward_message(message_id uuid, conversation_id uuid, client_id uuid default null)
returns parley.messages
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row parley.messages;
begin
  select * into v_row from parley_internal.forward_message(forward_message.message_id, forward_message.conversation_id, forward_message.client_id);
  return v_row;
end;
$$;
comment on function parley.forward_message(uuid, uuid, uuid) is
  'Forward a message you can read into another conversation you belong to: a new message of yours with the same kind, body and attachment (the same Storage object, no copy) and metadata.forwarded_from {message_id, sender_id, created_at}. Limits and slow mode of a send apply; a repeated client_id returns the first copy. 404 message_not_found / conversation_not_found, 400 message_deleted / message_not_forwardable.';
revoke execute on function parley.forward_message(uuid, uuid, uuid) from public, anon;
grant execute on function parley.forward_message(uuid, uuid, uuid) to authenticated;
