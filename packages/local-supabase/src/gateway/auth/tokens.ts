// Access tokens and token responses exactly as GoTrue issues them (tokens/service.go).
import { signAccessToken, type Claims } from "../jwt.ts";
import { internal } from "./errors.ts";
import type { Db } from "./db.ts";
import { sessionInfo } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import { userJson, type UserRecord } from "./users.ts";

/**
 * Signs the access token of a session. Claim order follows GoTrue's AccessTokenClaims:
 * iss, sub, aud, exp, iat, email, phone, app_metadata, user_metadata, role, aal, amr, session_id, is_anonymous.
 * Signed with the project's signing key (`kid` in the header) when it has one, else HS256 with the JWT secret.
 */
export async function accessToken(
  db: Db,
  user: UserRecord,
  sessionId: string,
  settings: AuthSettings,
): Promise<{ token: string; expiresAt: number }> {
  const session = await sessionInfo(db, sessionId);
  if (!session) throw internal("Session is required to issue access token");
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + settings.jwtExpiry;
  const claims: Claims = {
    iss: settings.issuer,
    sub: user.id,
    aud: user.aud ?? settings.aud,
    exp,
    iat,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? "",
    aal: session.aal,
    amr: session.amr,
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  };
  if (!session.amr.length) delete claims.amr; // `amr,omitempty`
  return { token: await signAccessToken(claims, settings), expiresAt: exp };
}

/** The token response body (AccessTokenResponse): the session auth-js stores. */
export async function sessionResponse(
  db: Db,
  user: UserRecord,
  sessionId: string,
  refreshToken: string,
  settings: AuthSettings,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const { token, expiresAt } = await accessToken(db, user, sessionId, settings);
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: expiresAt - Math.floor(Date.now() / 1000),
    expires_at: expiresAt,
    refresh_token: refreshToken,
    user: userJson(user),
    ...extra,
  };
}
