// The signed-in user's own endpoints: GET/PUT /user (api/user.go) and POST /logout (api/logout.go).
import type pg from "pg";
import { badRequest, forbidden, internal, jsonResponse, unprocessable } from "./errors.ts";
import { transaction } from "./db.ts";
import { actorOf, audit } from "./audit.ts";
import { validateEmail } from "./email.ts";
import { checkPasswordStrength, hashPassword, verifyPassword } from "./passwords.ts";
import { obj, readJson, requireUser, str } from "./request.ts";
import { logout } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import {
  confirmEmail,
  emailTaken,
  findUserById,
  insertIdentity,
  mergeMetadata,
  updateIdentityData,
  userJson,
} from "./users.ts";

/** GET /user: the caller's user object. */
export async function getUser(req: Request, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  const { user } = await requireUser(req, db, settings);
  return jsonResponse(200, userJson(user));
}

/**
 * PUT /user: password, user_metadata (`data`, null deletes a key) and email. A new password signs out
 * the user's other sessions. An anonymous user's email is set at once (autoconfirm); a confirmed user's
 * email change waits for confirmation (`new_email`), as GoTrue does — the local stack sends no mail.
 */
export async function updateUser(req: Request, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  // requireAuthentication runs as middleware, before the body is read.
  const signedIn = await requireUser(req, db, settings);
  const body = await readJson(req, "UserUpdateParams");
  const what = "UserUpdateParams";
  let email = str(body, "email", what);
  const password = body.password === undefined || body.password === null ? undefined : str(body, "password", what);
  const data = obj(body, "data", what);
  const appData = obj(body, "app_metadata", what);
  const phone = str(body, "phone", what);
  if (email !== "") email = validateEmail(email);
  if (phone !== "") throw badRequest("phone_provider_disabled", "Phone logins are disabled");
  if (password !== undefined) checkPasswordStrength(password, settings);
  if (appData) throw forbidden("not_admin", "Updating app_metadata requires admin privileges");
  const user = signedIn.user;
  if (user.is_anonymous && password && email === "") {
    throw unprocessable(
      "validation_failed",
      "Updating password of an anonymous user without an email or phone is not allowed",
    );
  }
  const changingEmail = email !== "" && email !== (user.email ?? "");
  if (changingEmail && (await emailTaken(db, email, user.id))) {
    throw unprocessable("email_exists", "A user with this email address has already been registered");
  }
  let hash: string | undefined;
  if (password !== undefined) {
    if (password !== "" && user.encrypted_password && (await verifyPassword(password, user.encrypted_password))) {
      throw unprocessable("same_password", "New password should be different from the old password.");
    }
    hash = password === "" ? "" : await hashPassword(password);
  }

  const updated = await transaction(db, async (client) => {
    if (hash !== undefined) {
      await client.query(
        `update auth.users set encrypted_password = $2, confirmation_token = '', confirmation_sent_at = null, recovery_token = '',
           recovery_sent_at = null, email_change_token_current = '', email_change_token_new = '', email_change_sent_at = null,
           phone_change_token = '', phone_change_sent_at = null, reauthentication_token = '', reauthentication_sent_at = null,
           updated_at = now()
         where id = $1`,
        [user.id, hash || null],
      );
      await logout(client, user.id, signedIn.sessionId, "others");
      await audit(client, actorOf(user), "user_updated_password");
    }
    if (data) await mergeMetadata(client, user.id, "raw_user_meta_data", data);
    if (changingEmail) {
      if (user.is_anonymous && settings.mailerAutoconfirm) {
        // emailChangeVerify: the anonymous user becomes an email user straight away.
        await client.query(
          `update auth.users set email = $2, email_change = '', is_anonymous = false, updated_at = now() where id = $1`,
          [user.id, email],
        );
        const had = await updateIdentityData(client, user.id, "email", { email, email_verified: true });
        if (!had)
          await insertIdentity(client, user.id, "email", {
            sub: user.id,
            email,
            email_verified: true,
            phone_verified: false,
          });
        // GoTrue's PUT /user path does not refresh app_metadata.providers here (only /verify does).
        if (!user.email_confirmed_at) await confirmEmail(client, user.id);
      } else {
        await client.query(
          `update auth.users set email_change = $2, email_change_sent_at = now(), email_change_confirm_status = 0, updated_at = now() where id = $1`,
          [user.id, email],
        );
      }
    }
    await audit(client, actorOf(user), "user_modified");
    return findUserById(client, user.id);
  });
  if (!updated) throw internal("Error updating user");
  return jsonResponse(200, userJson(updated));
}

/** POST /logout?scope=global|local|others → 204; the sessions go, with their refresh tokens. */
export async function logoutHandler(req: Request, url: URL, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  const signedIn = await requireUser(req, db, settings);
  const raw = url.searchParams.get("scope") ?? "";
  if (raw !== "" && raw !== "global" && raw !== "local" && raw !== "others") {
    throw badRequest("validation_failed", `Unsupported logout scope "${raw}"`);
  }
  const scope = raw === "" ? "global" : raw;
  await transaction(db, async (client) => {
    await audit(client, actorOf(signedIn.user), "logout");
    await logout(client, signedIn.user.id, signedIn.sessionId, scope);
  });
  return new Response(null, { status: 204 });
}
