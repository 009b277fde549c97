-- Purpose: public.messages — every message of every conversation, numbered by a per-conversation seq.
-- Objects: table public.messages, its indexes and select policy.
-- Security: members read the messages of their conversations; nobody writes the table directly
-- (send_message, edit_message, delete_message are the only writers). anon has no grants.
-- No security definer functions here.

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  seq bigint not null,
  sender_id uuid references public.profiles (id) on delete set null,
  kind text not null default 'text',
  body text,
  attachment jsonb,
  metadata jsonb not null default '{}'::jsonb,
  reply_to_id uuid references public.messages (id) on delete set null,
  client_id uuid,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  constraint messages_kind_check check (kind in ('text', 'image', 'video', 'audio', 'file', 'system')),
  constraint messages_seq_check check (seq > 0),
  constraint messages_body_check check (char_length(body) <= 4000),
  constraint messages_metadata_check check (jsonb_typeof(metadata) = 'object'),
  constraint messages_attachment_check check (
    deleted_at is not null or (attachment is not null) = (kind in ('image', 'video', 'audio', 'file'))),
  constraint messages_tombstone_check check (deleted_at is null or (body is null and attachment is null))
);
comment on table public.messages is 'Messages. seq orders them within a conversation; commit order equals seq order.';
comment on column public.messages.seq is 'Per-conversation number, strictly increasing in commit order: catch up with seq > last seen.';
comment on column public.messages.attachment is 'For image/video/audio/file: {bucket, path, mime_type, size, name, duration_ms?, width?, height?}; path is "<conversation_id>/..." in bucket attachments.';
comment on column public.messages.client_id is 'Client-generated id; unique per sender, so a retried send returns the first row.';
comment on column public.messages.deleted_at is 'Tombstone: when set, body, attachment and metadata are cleared.';

-- History and catch-up: newest first by seq within one conversation (also makes seq unique).
create unique index messages_conversation_id_seq_idx on public.messages (conversation_id, seq desc);
-- Idempotent retries: one row per (sender, client_id).
create unique index messages_sender_id_client_id_key on public.messages (sender_id, client_id);
-- Foreign key lookups when a replied-to message is removed.
create index messages_reply_to_id_idx on public.messages (reply_to_id);

alter table public.messages enable row level security;

-- Members read their conversations' messages: one hashed lookup of my memberships per query, then
-- the (conversation_id, seq) index does the rest.
create policy messages_select_member on public.messages
  for select to authenticated
  using (conversation_id in (select private.my_conversation_ids()));
comment on policy messages_select_member on public.messages is 'Members read the messages of their conversations.';

revoke all on table public.messages from public, anon, authenticated;
grant select on table public.messages to authenticated;
grant all on table public.messages to service_role;
