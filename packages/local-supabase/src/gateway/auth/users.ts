// auth.users and auth.identities: reads, writes, and the user JSON GoTrue returns (models/user.go).
import { randomUUID } from "node:crypto";
import type { Db } from "./db.ts";
import { goTime, ts } from "./time.ts";

export type JsonMap = Record<string, unknown>;

/** GoTrue's instance id for every row it writes. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: JsonMap | null;
  provider: string;
  last_sign_in_at: string | null;
  created_at: string | null;
  updated_at: string | null;
  email: string | null;
}

/** One auth.users row with its identities, timestamps already as text. */
export interface UserRecord {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  encrypted_password: string | null;
  email_confirmed_at: string | null;
  invited_at: string | null;
  phone_confirmed_at: string | null;
  confirmation_sent_at: string | null;
  confirmed_at: string | null;
  recovery_sent_at: string | null;
  email_change: string | null;
  email_change_sent_at: string | null;
  phone_change: string | null;
  phone_change_sent_at: string | null;
  reauthentication_sent_at: string | null;
  last_sign_in_at: string | null;
  raw_app_meta_data: JsonMap | null;
  raw_user_meta_data: JsonMap | null;
  created_at: string | null;
  updated_at: string | null;
  banned_until: string | null;
  deleted_at: string | null;
  is_anonymous: boolean;
  /** banned_until is in the future. */
  banned: boolean;
  identities: IdentityRow[];
}

const USER_SELECT = `
  select u.id, u.aud, u.role, u.email, u.phone, u.encrypted_password,
    ${ts("u.email_confirmed_at")} as email_confirmed_at, ${ts("u.invited_at")} as invited_at,
    ${ts("u.phone_confirmed_at")} as phone_confirmed_at, ${ts("u.confirmation_sent_at")} as confirmation_sent_at,
    ${ts("u.confirmed_at")} as confirmed_at, ${ts("u.recovery_sent_at")} as recovery_sent_at,
    u.email_change, ${ts("u.email_change_sent_at")} as email_change_sent_at,
    u.phone_change, ${ts("u.phone_change_sent_at")} as phone_change_sent_at,
    ${ts("u.reauthentication_sent_at")} as reauthentication_sent_at, ${ts("u.last_sign_in_at")} as last_sign_in_at,
    u.raw_app_meta_data, u.raw_user_meta_data, ${ts("u.created_at")} as created_at, ${ts("u.updated_at")} as updated_at,
    ${ts("u.banned_until")} as banned_until, ${ts("u.deleted_at")} as deleted_at, u.is_anonymous,
    coalesce(u.banned_until > now(), false) as banned,
    coalesce((
      select json_agg(json_build_object(
        'id', i.id, 'provider_id', i.provider_id, 'user_id', i.user_id, 'identity_data', i.identity_data,
        'provider', i.provider, 'last_sign_in_at', ${ts("i.last_sign_in_at")}, 'created_at', ${ts("i.created_at")},
        'updated_at', ${ts("i.updated_at")}, 'email', i.email) order by i.created_at, i.id)
      from auth.identities i where i.user_id = u.id
    ), '[]'::json) as identities
  from auth.users u`;

/** Finds a user by id (GoTrue: FindUserByID). */
export async function findUserById(db: Db, id: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRecord>(`${USER_SELECT} where u.id = $1`, [id]);
  return rows[0];
}

/** Finds a non-SSO user by email, case-insensitively, in an audience (FindUserByEmailAndAudience). */
export async function findUserByEmail(db: Db, email: string, aud: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRecord>(
    `${USER_SELECT} where lower(u.email) = lower($1) and u.aud = $2 and u.is_sso_user = false limit 1`,
    [email, aud],
  );
  return rows[0];
}

/** Whether another user already holds this email, as a user row or an identity (IsDuplicatedEmail). */
export async function emailTaken(db: Db, email: string, exceptUserId?: string): Promise<boolean> {
  const { rows } = await db.query(
    `select 1 from auth.users u where lower(u.email) = lower($1) and u.is_sso_user = false and u.id is distinct from $2::uuid
     union all
     select 1 from auth.identities i where i.email = lower($1) and i.user_id is distinct from $2::uuid
     limit 1`,
    [email, exceptUserId ?? null],
  );
  return rows.length > 0;
}

export interface NewUser {
  id?: string;
  aud: string;
  role: string;
  email: string | null;
  phone?: string | null;
  encryptedPassword: string;
  appMetadata: JsonMap;
  userMetadata: JsonMap;
  isAnonymous: boolean;
}

/** Inserts an auth.users row the way GoTrue's tx.Create does (empty-string token columns, nil instance id). */
export async function insertUser(db: Db, u: NewUser): Promise<string> {
  const id = u.id ?? randomUUID();
  await db.query(
    `insert into auth.users (
       instance_id, id, aud, role, email, phone, encrypted_password, raw_app_meta_data, raw_user_meta_data,
       is_anonymous, is_sso_user, confirmation_token, recovery_token, email_change_token_new, email_change,
       email_change_token_current, email_change_confirm_status, phone_change, phone_change_token,
       reauthentication_token, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, '', '', '', '', '', 0, '', '', '', now(), now())`,
    [
      NIL_UUID,
      id,
      u.aud,
      u.role,
      u.email,
      u.phone ?? null,
      u.encryptedPassword,
      u.appMetadata,
      u.userMetadata,
      u.isAnonymous,
    ],
  );
  return id;
}

/** Adds an identity row (models.NewIdentity): provider id = `sub` of the identity data. */
export async function insertIdentity(db: Db, userId: string, provider: string, identityData: JsonMap): Promise<void> {
  const data = { ...identityData };
  if (typeof data.email === "string") data.email = data.email.toLowerCase();
  await db.query(
    `insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
     values ($1, $2, $3, $4, $5, now(), now(), now())`,
    [randomUUID(), String(data.sub), userId, data, provider],
  );
}

/** Merges keys into identity_data (UpdateIdentityData). */
export async function updateIdentityData(db: Db, userId: string, provider: string, updates: JsonMap): Promise<boolean> {
  const { rowCount } = await db.query(
    `update auth.identities set identity_data = identity_data || $3::jsonb, updated_at = now()
     where user_id = $1 and provider = $2`,
    [userId, provider, updates],
  );
  return (rowCount ?? 0) > 0;
}

/** Marks the email confirmed and records `email_verified` in user_metadata (User.Confirm). */
export async function confirmEmail(db: Db, userId: string): Promise<void> {
  await db.query(
    `update auth.users set email_confirmed_at = now(), confirmation_token = '',
       raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || '{"email_verified": true}'::jsonb, updated_at = now()
     where id = $1`,
    [userId],
  );
}

/**
 * Merges metadata as GoTrue's UpdateUserMetaData/UpdateAppMetaData: keys with null values are deleted.
 * `column` is a fixed identifier chosen by the caller, never user input.
 */
export async function mergeMetadata(
  db: Db,
  userId: string,
  column: "raw_user_meta_data" | "raw_app_meta_data",
  updates: JsonMap,
): Promise<void> {
  const set: JsonMap = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(updates)) {
    if (v === null) remove.push(k);
    else set[k] = v;
  }
  await db.query(
    `update auth.users set ${column} = (coalesce(${column}, '{}'::jsonb) || $2::jsonb) - $3::text[], updated_at = now() where id = $1`,
    [userId, set, remove],
  );
}

/** Records a sign-in time on the user (UpdateLastSignInAt). */
export async function touchLastSignIn(db: Db, userId: string): Promise<void> {
  await db.query(`update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1`, [userId]);
}

const omitEmpty = (o: Record<string, unknown>): Record<string, unknown> => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

function identityJson(i: IdentityRow): Record<string, unknown> {
  const data = i.identity_data && Object.keys(i.identity_data).length ? i.identity_data : undefined;
  return omitEmpty({
    identity_id: i.id,
    id: i.provider_id,
    user_id: i.user_id,
    identity_data: data,
    provider: i.provider,
    last_sign_in_at: goTime(i.last_sign_in_at),
    created_at: goTime(i.created_at) ?? "0001-01-01T00:00:00Z",
    updated_at: goTime(i.updated_at) ?? "0001-01-01T00:00:00Z",
    email: i.email || undefined,
  });
}

/** The user object exactly as GoTrue serialises models.User (field order, omitempty fields left out). */
export function userJson(u: UserRecord): Record<string, unknown> {
  return omitEmpty({
    id: u.id,
    aud: u.aud ?? "",
    role: u.role ?? "",
    email: u.email ?? "",
    email_confirmed_at: goTime(u.email_confirmed_at),
    invited_at: goTime(u.invited_at),
    phone: u.phone ?? "",
    phone_confirmed_at: goTime(u.phone_confirmed_at),
    confirmation_sent_at: goTime(u.confirmation_sent_at),
    confirmed_at: goTime(u.confirmed_at),
    recovery_sent_at: goTime(u.recovery_sent_at),
    new_email: u.email_change || undefined,
    email_change_sent_at: goTime(u.email_change_sent_at),
    new_phone: u.phone_change || undefined,
    phone_change_sent_at: goTime(u.phone_change_sent_at),
    reauthentication_sent_at: goTime(u.reauthentication_sent_at),
    last_sign_in_at: goTime(u.last_sign_in_at),
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: u.identities.map(identityJson),
    created_at: goTime(u.created_at) ?? "0001-01-01T00:00:00Z",
    updated_at: goTime(u.updated_at) ?? "0001-01-01T00:00:00Z",
    banned_until: goTime(u.banned_until),
    deleted_at: goTime(u.deleted_at),
    is_anonymous: u.is_anonymous,
  });
}
