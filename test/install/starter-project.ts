// A Supabase project as many apps start: Supabase's user-management starter (public.profiles filled by
// an on_auth_user_created trigger), and definer helpers in a `private` schema, as Supabase's docs advise,
// some named like Parley's own. Parley is installed into it the way a user would: its migrations copied
// into the project's supabase/migrations, then `supabase db push`.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PARLEY_ROOT } from "../../scripts/paths.ts";

/** The app's own schema: what must come through Parley's install untouched. */
export const STARTER_MIGRATION = `
create table public.profiles (
  id uuid not null references auth.users on delete cascade primary key,
  updated_at timestamptz,
  username text unique,
  full_name text,
  avatar_url text,
  website text,
  constraint username_length check (char_length(username) >= 3)
);
alter table public.profiles enable row level security;
create policy "Public profiles are viewable by everyone." on public.profiles for select using (true);
create policy "Users can insert their own profile." on public.profiles for insert with check ((select auth.uid()) = id);
create policy "Users can update own profile." on public.profiles for update using ((select auth.uid()) = id);

create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, full_name, avatar_url)
  values (new.id, new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'avatar_url');
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute procedure public.handle_new_user();

create table public.messages (id bigint generated always as identity primary key, room text not null, body text not null);
alter table public.messages enable row level security;

create schema private;
create function private.is_member(conversation_id uuid) returns boolean
language sql stable security definer set search_path = '' as $$ select conversation_id is not null $$;
create function private.require_user() returns uuid
language sql stable set search_path = '' as $$ select '00000000-0000-0000-0000-0000000000aa'::uuid $$;
`;

/** The app's migration file (timestamped before Parley's, as an older project's are). */
export const STARTER_FILE = "20250101000000_user_management_starter.sql";

/** A project folder holding only the app's migration. */
export function makeStarterProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-install-"));
  mkdirSync(join(dir, "supabase", "migrations"), { recursive: true });
  writeFileSync(join(dir, "supabase", "config.toml"), `project_id = "starter"\n`);
  writeFileSync(join(dir, "supabase", "migrations", STARTER_FILE), STARTER_MIGRATION);
  return dir;
}

/** Copies Parley's migrations into the project, as its install steps say. */
export function addParleyMigrations(projectDir: string): string[] {
  const from = join(PARLEY_ROOT, "supabase", "migrations");
  const files = readdirSync(from)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  for (const f of files) copyFileSync(join(from, f), join(projectDir, "supabase", "migrations", f));
  return files;
}
