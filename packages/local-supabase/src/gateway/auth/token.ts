// POST /token: the password grant and the refresh_token grant (api/token.go, tokens/service.go).
import type pg from "pg";
import { AuthError, badRequest, internal, jsonResponse, unprocessable } from "./errors.ts";
import { transaction } from "./db.ts";
import { actorOf, audit } from "./audit.ts";
import { checkPasswordStrength, verifyPassword } from "./passwords.ts";
import { grantParams, str } from "./request.ts";
import { refreshSession, startSession } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import { sessionResponse } from "./tokens.ts";
import { findUserByEmail, findUserById, type JsonMap } from "./users.ts";

const INVALID_LOGIN = "Invalid login credentials";

/** grant_type=password: email + password → a new session (ResourceOwnerPasswordGrant). */
export async function passwordGrant(
  req: Request,
  body: JsonMap,
  db: pg.Pool,
  settings: AuthSettings,
): Promise<Response> {
  const what = "PasswordGrantParams";
  const email = str(body, "email", what);
  const phone = str(body, "phone", what);
  const password = str(body, "password", what);
  if (email !== "" && phone !== "")
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on login.");
  if (email === "" && phone === "") throw badRequest("validation_failed", "missing email or phone");
  if (email === "") throw unprocessable("phone_provider_disabled", "Phone logins are disabled");
  if (!settings.emailEnabled) throw unprocessable("email_provider_disabled", "Email logins are disabled");

  const found = await findUserByEmail(db, email, settings.aud);
  if (!found || !found.encrypted_password) throw badRequest("invalid_credentials", INVALID_LOGIN);
  if (found.banned) throw badRequest("user_banned", "User is banned");
  if (!(await verifyPassword(password, found.encrypted_password)))
    throw badRequest("invalid_credentials", INVALID_LOGIN);
  if (!found.email_confirmed_at) throw badRequest("email_not_confirmed", "Email not confirmed");

  // A correct password that no longer meets the policy still signs in, with a `weak_password` note.
  let weak: Record<string, unknown> | undefined;
  try {
    checkPasswordStrength(password, settings);
  } catch (e) {
    if (e instanceof AuthError && e.weakPasswordReasons) weak = { message: e.message, reasons: e.weakPasswordReasons };
  }
  return transaction(db, async (client) => {
    await audit(client, actorOf(found), "login", { provider: "email" });
    const { sessionId, refreshToken } = await startSession(client, found.id, "password", grantParams(req));
    const user = await findUserById(client, found.id);
    if (!user) throw internal("Database error querying schema");
    return jsonResponse(
      200,
      await sessionResponse(client, user, sessionId, refreshToken, settings, weak ? { weak_password: weak } : {}),
    );
  });
}

/** grant_type=refresh_token: rotates the refresh token and issues a new access token for the same session. */
export async function refreshTokenGrant(
  req: Request,
  body: JsonMap,
  db: pg.Pool,
  settings: AuthSettings,
): Promise<Response> {
  const token = str(body, "refresh_token", "RefreshTokenGrantParams");
  if (token === "") {
    // An OAuth-style error in GoTrue: {"error", "error_description"}.
    return jsonResponse(400, { error: "invalid_request", error_description: "refresh_token required" });
  }
  return transaction(db, async (client) => {
    const result = await refreshSession(client, token, {
      rotation: settings.refreshTokenRotation,
      reuseIntervalSeconds: settings.refreshTokenReuseInterval,
      grant: grantParams(req),
      loadActor: async (userId) => {
        const u = await findUserById(client, userId);
        if (!u) throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        if (u.banned) throw badRequest("user_banned", "Invalid Refresh Token: User Banned");
        return actorOf(u);
      },
    });
    const user = await findUserById(client, result.userId);
    if (!user) throw badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    return jsonResponse(200, await sessionResponse(client, user, result.sessionId, result.refreshToken, settings));
  });
}
