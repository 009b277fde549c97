-- Purpose: Parley's messaging limits in one place, readable by clients.
-- Objects: private.limits() (the source of truth), public.get_messaging_limits() (the RPC).
-- Security: both are plain invoker, immutable functions over constants. No security definer here.
-- Changing a limit = a new migration replacing private.limits() (and the attachments bucket row).

create or replace function private.limits()
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'body_max_chars', 4000,
    'metadata_max_bytes', 4096,
    'title_max_chars', 100,
    'description_max_chars', 1000,
    'avatar_url_max_chars', 2048,
    'group_max_members', 256,
    'page_max', 200,
    'attachment_path_max_chars', 512,
    'attachment_name_max_chars', 255,
    'attachments', jsonb_build_object(
      'image', jsonb_build_object('max_size', 10485760, 'mime_types', jsonb_build_array(
        'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif')),
      'video', jsonb_build_object('max_size', 104857600, 'mime_types', jsonb_build_array(
        'video/mp4', 'video/webm', 'video/quicktime')),
      'audio', jsonb_build_object('max_size', 26214400, 'mime_types', jsonb_build_array(
        'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/webm', 'audio/wav')),
      'file', jsonb_build_object('max_size', 52428800, 'mime_types', jsonb_build_array(
        'application/pdf', 'application/zip', 'application/json', 'text/plain', 'text/csv',
        'application/msword', 'application/vnd.ms-excel',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'application/octet-stream',
        'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif',
        'video/mp4', 'video/webm', 'video/quicktime',
        'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/webm', 'audio/wav'))
    ));
$$;
comment on function private.limits() is 'Messaging limits (lengths, sizes, mime types per attachment kind, group size).';
revoke execute on function private.limits() from public, anon;
grant execute on function private.limits() to authenticated, service_role;

create or replace function public.get_messaging_limits()
returns jsonb
language sql
immutable
security invoker
set search_path = ''
as $$
  select private.limits();
$$;
comment on function public.get_messaging_limits() is 'The messaging limits the database enforces, so clients can check before sending.';
revoke execute on function public.get_messaging_limits() from public, anon;
grant execute on function public.get_messaging_limits() to authenticated, service_role;
