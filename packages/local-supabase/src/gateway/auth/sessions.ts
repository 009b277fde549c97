// auth.sessions, auth.mfa_amr_claims and auth.refresh_tokens: sign-in, rotation with reuse detection, logout.
import { randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";
import { badRequest, type AuthError } from "./errors.ts";
import { CommitThenThrow, type Db } from "./db.ts";
import { NIL_UUID, touchLastSignIn } from "./users.ts";
import { audit, type Actor } from "./audit.ts";

/** One `amr` entry of the access token (models.AMREntry). */
export interface AmrEntry {
  method: string;
  timestamp: number;
}

export interface SessionInfo {
  id: string;
  aal: string;
  amr: AmrEntry[];
}

/** Client details GoTrue stores on the session (GrantParams.FillGrantParams). */
export interface GrantParams {
  userAgent?: string;
  ip?: string;
}

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A legacy refresh token: 12 random lower-case alphanumerics (crypto.SecureAlphanumeric(12)). */
function newRefreshTokenString(): string {
  const bytes = randomBytes(12);
  let s = "";
  for (const b of bytes) s += ALPHANUMERIC[b % ALPHANUMERIC.length];
  return s;
}

async function insertRefreshToken(db: Db, userId: string, sessionId: string, parent: string | null): Promise<string> {
  const token = newRefreshTokenString();
  await db.query(
    `insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
     values ($1, $2, $3, false, now(), now(), $4, $5)`,
    [NIL_UUID, token, userId, parent, sessionId],
  );
  return token;
}

/**
 * Starts a session (IssueRefreshToken): a session row, its first refresh token, the amr claim for
 * `method` ("password", "anonymous", …) and the user's last_sign_in_at.
 */
export async function startSession(
  db: Db,
  userId: string,
  method: string,
  grant: GrantParams,
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = randomUUID();
  await db.query(
    `insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
     values ($1, $2, now(), now(), 'aal1', $3, $4)`,
    [sessionId, userId, grant.userAgent || null, grant.ip || null],
  );
  const refreshToken = await insertRefreshToken(db, userId, sessionId, null);
  await touchLastSignIn(db, userId);
  await db.query(
    `insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
     values ($1, $2, now(), now(), $3)
     on conflict on constraint mfa_amr_claims_session_id_authentication_method_pkey do update set updated_at = now()`,
    [randomUUID(), sessionId, method],
  );
  return { sessionId, refreshToken };
}

/** The session's aal and its amr claims, most recent first (Session.CalculateAALAndAMR). */
export async function sessionInfo(db: Db, sessionId: string): Promise<SessionInfo | undefined> {
  const { rows } = await db.query<{ aal: string | null; amr: AmrEntry[] }>(
    `select s.aal::text as aal,
       coalesce((select json_agg(json_build_object('method', c.authentication_method, 'timestamp', floor(extract(epoch from c.updated_at))::bigint)
                 order by c.updated_at desc) from auth.mfa_amr_claims c where c.session_id = s.id), '[]'::json) as amr
     from auth.sessions s where s.id = $1`,
    [sessionId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { id: sessionId, aal: row.aal ?? "aal1", amr: row.amr };
}

/** Whether a session row exists (the `session_id` claim check of requireAuthentication). */
export async function sessionExists(db: Db, sessionId: string): Promise<boolean> {
  const { rows } = await db.query(`select 1 from auth.sessions where id = $1`, [sessionId]);
  return rows.length > 0;
}

interface TokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  parent: string | null;
  session_id: string | null;
  session_found: boolean;
  session_expired: boolean;
  /** Seconds since the token was last updated (revoked), measured by the database clock. */
  age_seconds: number;
}

export interface RefreshResult {
  userId: string;
  sessionId: string;
  refreshToken: string;
}

export interface RefreshOptions {
  rotation: boolean;
  reuseIntervalSeconds: number;
  grant: GrantParams;
  /** Loads the token's user as an audit actor; throws when the user may not refresh (banned). */
  loadActor: (userId: string) => Promise<Actor>;
}

/**
 * The refresh_token grant inside one transaction (tokens.Service.RefreshTokenGrant, legacy tokens):
 * a live token is revoked and swapped for a child; a revoked token whose child is the session's
 * active token returns that child; a revoked token reused within the reuse interval gets another
 * child; otherwise the whole session family is revoked (committed) and the grant fails.
 */
export async function refreshSession(
  client: pg.PoolClient,
  token: string,
  opts: RefreshOptions,
): Promise<RefreshResult> {
  const { rows } = await client.query<TokenRow>(
    `select rt.id, rt.token, rt.user_id, rt.revoked, rt.parent, rt.session_id,
       (s.id is not null) as session_found, coalesce(s.not_after < now(), false) as session_expired,
       extract(epoch from (now() - rt.updated_at))::float8 as age_seconds
     from auth.refresh_tokens rt left join auth.sessions s on s.id = rt.session_id
     where rt.token = $1
     for update of rt`,
    [token],
  );
  const rt = rows[0];
  if (!rt) throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  const actor = await opts.loadActor(rt.user_id);
  if (!rt.session_found || !rt.session_id) {
    await client.query(`delete from auth.refresh_tokens where id = $1`, [rt.id]);
    throw new CommitThenThrow(badRequest("session_not_found", "Invalid Refresh Token: No Valid Session Found"));
  }
  if (rt.session_expired) throw badRequest("session_expired", "Invalid Refresh Token: Session Expired");
  const sessionId = rt.session_id;

  let issued: string | undefined;
  if (rt.revoked) {
    const active = await client.query<{ token: string; parent: string | null }>(
      `select token, parent from auth.refresh_tokens where session_id = $1 and revoked = false order by id desc limit 1`,
      [sessionId],
    );
    const current = active.rows[0];
    if (current && current.parent === rt.token) {
      issued = current.token;
    } else if (rt.age_seconds > opts.reuseIntervalSeconds) {
      if (opts.rotation) {
        await client.query(
          `update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false`,
          [sessionId],
        );
      }
      const err: AuthError = badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used");
      throw new CommitThenThrow(err);
    }
  }
  await audit(client, actor, "token_refreshed");
  if (!issued) {
    // GrantRefreshTokenSwap: revoke the presented token, issue its child in the same session.
    await audit(client, actor, "token_revoked");
    await client.query(`update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1`, [rt.id]);
    issued = await insertRefreshToken(client, rt.user_id, sessionId, rt.token);
    await touchLastSignIn(client, rt.user_id);
  }
  await client.query(
    `update auth.sessions set refreshed_at = (now() at time zone 'UTC'), updated_at = now(), user_agent = $2, ip = $3 where id = $1`,
    [sessionId, opts.grant.userAgent || null, opts.grant.ip || null],
  );
  return { userId: rt.user_id, sessionId, refreshToken: issued };
}

/** Logout scopes (api/logout.go): every session of the user, this one, or all but this one. */
export async function logout(
  db: Db,
  userId: string,
  sessionId: string | undefined,
  scope: "global" | "local" | "others",
): Promise<void> {
  if (sessionId && scope === "local") await db.query(`delete from auth.sessions where id = $1`, [sessionId]);
  else if (sessionId && scope === "others")
    await db.query(`delete from auth.sessions where id <> $1 and user_id = $2`, [sessionId, userId]);
  else await db.query(`delete from auth.sessions where user_id = $1`, [userId]);
}
