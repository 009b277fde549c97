// PUT /admin/users/:id (api/admin.go adminUserUpdate).
import type pg from "pg";
import { AuthError, internal, jsonResponse, unprocessable } from "./errors.ts";
import { transaction } from "./db.ts";
import { audit, type Actor } from "./audit.ts";
import { validateEmail } from "./email.ts";
import { checkPasswordStrength, hashPassword } from "./passwords.ts";
import { bool, obj, readJson, str } from "./request.ts";
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
import { applyBan, banSeconds, phoneTaken, validatePhone, WHAT } from "./admin-fields.ts";

/** PUT /admin/users/:id: role, email, phone, password (checked; signs the user out everywhere), metadata, ban. */
export async function updateUser(
  req: Request,
  actor: Actor,
  id: string,
  db: pg.Pool,
  settings: AuthSettings,
): Promise<Response> {
  const body = await readJson(req, WHAT);
  let email = str(body, "email", WHAT);
  let phone = str(body, "phone", WHAT);
  const password = body.password === undefined || body.password === null ? undefined : str(body, "password", WHAT);
  const role = str(body, "role", WHAT);
  const userMetadata = obj(body, "user_metadata", WHAT);
  const appMetadata = obj(body, "app_metadata", WHAT);
  const emailConfirm = bool(body, "email_confirm", WHAT);
  const phoneConfirm = bool(body, "phone_confirm", WHAT);
  if (email !== "") email = validateEmail(email);
  if (phone !== "") phone = validatePhone(phone);
  const ban = banSeconds(str(body, "ban_duration", WHAT));
  let hash: string | undefined;
  if (password !== undefined) {
    checkPasswordStrength(password, settings);
    hash = await hashPassword(password);
  }
  if (email !== "" && (await emailTaken(db, email, id)))
    throw unprocessable("email_exists", "A user with this email address has already been registered");
  if (phone !== "" && (await phoneTaken(db, phone, id)))
    throw unprocessable("phone_exists", "A user with this phone number has already been registered");

  try {
    const user = await transaction(db, async (client) => {
      if (role !== "")
        await client.query(`update auth.users set role = $2, updated_at = now() where id = $1`, [id, role.trim()]);
      if (emailConfirm) await confirmEmail(client, id);
      if (phoneConfirm)
        await client.query(`update auth.users set phone_confirmed_at = now(), updated_at = now() where id = $1`, [id]);
      if (hash !== undefined) {
        await client.query(
          `update auth.users set encrypted_password = $2, recovery_token = '', confirmation_token = '', updated_at = now() where id = $1`,
          [id, hash],
        );
        await logout(client, id, undefined, "global");
      }
      if (email !== "") {
        const had = await updateIdentityData(client, id, "email", { email, email_verified: emailConfirm });
        if (!had)
          await insertIdentity(client, id, "email", {
            sub: id,
            email,
            email_verified: emailConfirm,
            phone_verified: false,
          });
        await client.query(
          `update auth.users set email = $2, is_anonymous = is_anonymous and not $3, updated_at = now() where id = $1`,
          [id, email, emailConfirm],
        );
      }
      if (phone !== "") {
        const had = await updateIdentityData(client, id, "phone", { phone, phone_verified: phoneConfirm });
        if (!had)
          await insertIdentity(client, id, "phone", {
            sub: id,
            phone,
            email_verified: false,
            phone_verified: phoneConfirm,
          });
        await client.query(
          `update auth.users set phone = $2, is_anonymous = is_anonymous and not $3, updated_at = now() where id = $1`,
          [id, phone, phoneConfirm],
        );
      }
      if (appMetadata) await mergeMetadata(client, id, "raw_app_meta_data", appMetadata);
      if (userMetadata) await mergeMetadata(client, id, "raw_user_meta_data", userMetadata);
      await applyBan(client, id, ban);
      const after = await findUserById(client, id);
      await audit(client, actor, "user_modified", {
        user_id: id,
        user_email: after?.email ?? "",
        user_phone: after?.phone ?? "",
      });
      return after;
    });
    if (!user) throw internal("Error updating user");
    return jsonResponse(200, userJson(user));
  } catch (e) {
    if (e instanceof AuthError) throw e;
    const err = internal("Error updating user");
    err.cause = e;
    throw err;
  }
}
