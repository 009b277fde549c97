// POST /admin/users (api/admin.go adminUserCreate).
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { badRequest, internal, jsonResponse, unprocessable } from "./errors.ts";
import { transaction } from "./db.ts";
import { audit, type Actor } from "./audit.ts";
import { validateEmail } from "./email.ts";
import { hashPassword, MAX_PASSWORD_BYTES } from "./passwords.ts";
import { bool, obj, readJson, str } from "./request.ts";
import type { AuthSettings } from "./settings.ts";
import {
  confirmEmail,
  emailTaken,
  findUserById,
  insertIdentity,
  insertUser,
  mergeMetadata,
  userJson,
} from "./users.ts";
import { applyBan, banSeconds, NIL, phoneTaken, UUID, validatePhone, WHAT } from "./admin-fields.ts";

/** POST /admin/users: no password-strength check, a random password when none is given, no session. */
export async function createUser(req: Request, actor: Actor, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  const body = await readJson(req, WHAT);
  let email = str(body, "email", WHAT);
  let phone = str(body, "phone", WHAT);
  const password = body.password === undefined || body.password === null ? undefined : str(body, "password", WHAT);
  const passwordHash = str(body, "password_hash", WHAT);
  const customId = str(body, "id", WHAT);
  const role = str(body, "role", WHAT) || settings.defaultRole;
  const aud = str(body, "aud", WHAT) || settings.aud;
  const userMetadata = obj(body, "user_metadata", WHAT) ?? {};
  const appMetadata = obj(body, "app_metadata", WHAT);
  const emailConfirm = bool(body, "email_confirm", WHAT);
  const phoneConfirm = bool(body, "phone_confirm", WHAT);
  const ban = banSeconds(str(body, "ban_duration", WHAT));

  if (email === "" && phone === "")
    throw badRequest("validation_failed", "Cannot create a user without either an email or phone");
  const providers: string[] = [];
  if (email !== "") {
    email = validateEmail(email);
    if (await emailTaken(db, email))
      throw unprocessable("email_exists", "A user with this email address has already been registered");
    providers.push("email");
  }
  if (phone !== "") {
    phone = validatePhone(phone);
    if (await phoneTaken(db, phone))
      throw unprocessable("phone_exists", "Phone number already registered by another user");
    providers.push("phone");
  }
  if (password !== undefined && passwordHash !== "")
    throw badRequest("validation_failed", "Only a password or a password hash should be provided");
  let hash: string;
  if (passwordHash !== "") {
    if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(passwordHash)) throw internal("Error creating user");
    hash = passwordHash;
  } else {
    const pw = password || randomBytes(48).toString("base64url");
    if (Buffer.byteLength(pw, "utf8") > MAX_PASSWORD_BYTES)
      throw badRequest("validation_failed", "bcrypt: password length exceeds 72 bytes");
    hash = await hashPassword(pw);
  }
  if (customId !== "" && !UUID.test(customId))
    throw badRequest("validation_failed", "ID must conform to the uuid v4 format");
  if (customId === NIL) throw badRequest("validation_failed", "ID cannot be a nil uuid");

  const user = await transaction(db, async (client) => {
    let id: string;
    try {
      id = await insertUser(client, {
        id: customId || undefined,
        aud,
        role,
        email: email || null,
        phone: phone || null,
        encryptedPassword: hash,
        appMetadata: { provider: providers[0], providers },
        userMetadata,
        isAnonymous: false,
      });
    } catch (e) {
      const err = internal("Database error creating new user");
      err.cause = e;
      throw err;
    }
    if (email)
      await insertIdentity(client, id, "email", { sub: id, email, email_verified: false, phone_verified: false });
    if (phone)
      await insertIdentity(client, id, "phone", { sub: id, phone, email_verified: false, phone_verified: false });
    await audit(client, actor, "user_signedup", {
      user_id: id,
      user_email: email,
      user_phone: phone,
      provider: providers[0],
    });
    if (appMetadata) await mergeMetadata(client, id, "raw_app_meta_data", appMetadata);
    if (emailConfirm) await confirmEmail(client, id);
    if (phoneConfirm)
      await client.query(`update auth.users set phone_confirmed_at = now(), updated_at = now() where id = $1`, [id]);
    await applyBan(client, id, ban);
    return findUserById(client, id);
  });
  if (!user) throw internal("Database error creating new user");
  return jsonResponse(200, userJson(user));
}
