-- Parley's messaging limits in one place, readable by clients.
-- Security: both are plain invoker, immutable functions over constants. No security definer here.
-- Changing a limit: edit parley_internal.limits() here (the bucket in attachments.sql takes its ceiling
-- and mime types from it), then `npm run db:diff`; the bucket row is data, added to the migration by hand.

-- The limits, one jsonb constant: plpgsql, so the value is folded once per session instead of being
-- rebuilt by every call site (a `language sql` function with `set search_path` is never inlined).
create or replace function parley_internal.limits()
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  -- A constant: planned once per session, then returned without being rebuilt.
  return $limits${
    "page_max": 200,
    "attachments": {
      "file": {
        "max_size": 52428800,
        "mime_types": ["application/pdf", "application/zip", "application/json", "text/plain", "text/csv", "application/msword", "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/octet-stream", "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif", "video/mp4", "video/webm", "video/quicktime", "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/webm", "audio/wav"]
      },
      "audio": {
        "max_size": 26214400,
        "mime_types": ["audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/webm", "audio/wav"]
      },
      "image": {
        "max_size": 10485760,
        "mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"]
      },
      "video": {
        "max_size": 104857600,
        "mime_types": ["video/mp4", "video/webm", "video/quicktime"]
      }
    },
    "body_max_chars": 4000,
    "pins_max": 50,
    "mentions_max": 50,
    "thread_participants_max": 20,
    "reactions_max_distinct": 50,
    "title_max_chars": 100,
    "group_max_members": 256,
    "metadata_max_bytes": 4096,
    "metadata_max_depth": 32,
    "avatar_url_max_chars": 2048,
    "description_max_chars": 1000,
    "attachment_name_max_chars": 255,
    "attachment_path_max_chars": 512,
    "slow_mode_max_seconds": 21600
  }$limits$::jsonb;
end;
$$;
comment on function parley_internal.limits() is 'Messaging limits (lengths, sizes, mime types per attachment kind, group size, pins and distinct reactions per message).';
revoke execute on function parley_internal.limits() from public, anon;
grant execute on function parley_internal.limits() to authenticated, service_role;

create or replace function parley.get_messaging_limits()
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
  return parley_internal.limits();
end;
$$;
comment on function parley.get_messaging_limits() is 'The messaging limits the database enforces, so clients can check before sending.';
revoke execute on function parley.get_messaging_limits() from public, anon;
grant execute on function parley.get_messaging_limits() to authenticated, service_role;
