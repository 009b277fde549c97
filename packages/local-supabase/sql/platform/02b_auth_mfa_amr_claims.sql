-- Supabase platform stand-in, part 2b: auth.mfa_amr_claims as GoTrue's migrations leave it.
-- Why: GoTrue records how each session was authenticated here (password, anonymous, …) and builds the
-- access token's `amr` claim from it; the local Auth service does the same. Local only, idempotent.
create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid not null,
  constraint amr_id_pk primary key (id),
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);
comment on table auth.mfa_amr_claims is 'auth: stores authenticator method reference claims for multi factor authentication';

-- GoTrue's state: RLS on, no policies, owned by the auth admin, nothing granted to the API roles.
alter table auth.mfa_amr_claims enable row level security;
alter table auth.mfa_amr_claims owner to supabase_auth_admin;
grant all on auth.mfa_amr_claims to postgres, dashboard_user;
