// /admin/users: create, list, get, update and delete users with an admin (service_role) token (api/admin.go).
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import { AuthError, badRequest, internal, jsonResponse, notFound, unprocessable } from "./errors.ts";
import { transaction, type Db } from "./db.ts";
import { adminActor, audit, type Actor } from "./audit.ts";
import { validateEmail } from "./email.ts";
import { checkPasswordStrength, hashPassword, MAX_PASSWORD_BYTES } from "./passwords.ts";
import { bool, obj, parseJson, readJson, requireAdmin, str } from "./request.ts";
import { logout } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import {
  confirmEmail, emailTaken, findUserById, insertIdentity, insertUser, mergeMetadata, updateIdentityData, userJson, type JsonMap,
} from "./users.ts";
import { parseGoDuration } from "./duration.ts";
import { listUsers } from "./admin-list.ts";

const WHAT = "AdminUserParams";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL = "00000000-0000-0000-0000-000000000000";

/** Answers an /admin request, or undefined when the path is not an admin route this stack serves. */
export async function adminRoutes(req: Request, url: URL, path: string, db: pg.Pool, settings: AuthSettings): Promise<Response | undefined> {
  const m = /^\/admin\/users(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const id = m[1];
  if (id === undefined && req.method !== "GET" && req.method !== "POST") return undefined;
  if (id !== undefined && !["GET", "PUT", "DELETE"].includes(req.method)) return undefined;
  const claims = await requireAdmin(req, db, settings);
  const actor = adminActor(String(claims.role));
  if (id === undefined) return req.method === "GET" ? listUsers(url, db, settings) : createUser(req, actor, db, settings);
  // loadUser
  if (!UUID.test(id)) throw notFound("validation_failed", "user_id must be an UUID");
  const user = await findUserById(db, id);
  if (!user) throw notFound("user_not_found", "User not found");
  if (req.method === "GET") return jsonResponse(200, userJson(user));
  if (req.method === "PUT") return updateUser(req, actor, id, db, settings);
  return deleteUser(req, actor, id, db);
}

/** validatePhone: digits only, E.164 length. */
function validatePhone(phone: string): string {
  const digits = phone.replace(/[\s()+-]/g, "");
  if (!/^[1-9]\d{1,14}$/.test(digits)) throw badRequest("validation_failed", "Invalid phone number format (E.164 required)");
  return digits;
}

/** `ban_duration`: a Go duration ("24h", "1h30m") or "none" (lift the ban); undefined when absent. */
function banSeconds(raw: string): number | undefined {
  if (raw === "") return undefined;
  if (raw === "none") return 0;
  const s = parseGoDuration(raw);
  if (s === undefined) throw badRequest("validation_failed", `invalid format for ban duration: time: invalid duration "${raw}"`);
  return s;
}

async function applyBan(db: Db, id: string, seconds: number | undefined): Promise<void> {
  if (seconds === undefined) return;
  await db.query(
    `update auth.users set banned_until = case when $2::float8 = 0 then null else now() + make_interval(secs => $2::float8) end, updated_at = now() where id = $1`,
    [id, seconds],
  );
}

async function phoneTaken(db: Db, phone: string, exceptUserId?: string): Promise<boolean> {
  const { rows } = await db.query(`select 1 from auth.users where phone = $1 and id is distinct from $2::uuid`, [phone, exceptUserId ?? null]);
  return rows.length > 0;
}

/** POST /admin/users: no password-strength check, a random password when none is given, no session. */
async function createUser(req: Request, actor: Actor, db: pg.Pool, settings: AuthSettings): Promise<Response> {
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

  if (email === "" && phone === "") throw badRequest("validation_failed", "Cannot create a user without either an email or phone");
  const providers: string[] = [];
  if (email !== "") {
    email = validateEmail(email);
    if (await emailTaken(db, email)) throw unprocessable("email_exists", "A user with this email address has already been registered");
    providers.push("email");
  }
  if (phone !== "") {
    phone = validatePhone(phone);
    if (await phoneTaken(db, phone)) throw unprocessable("phone_exists", "Phone number already registered by another user");
    providers.push("phone");
  }
  if (password !== undefined && passwordHash !== "") throw badRequest("validation_failed", "Only a password or a password hash should be provided");
  let hash: string;
  if (passwordHash !== "") {
    if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(passwordHash)) throw internal("Error creating user");
    hash = passwordHash;
  } else {
    const pw = password || randomBytes(48).toString("base64url");
    if (Buffer.byteLength(pw, "utf8") > MAX_PASSWORD_BYTES) throw badRequest("validation_failed", "bcrypt: password length exceeds 72 bytes");
    hash = await hashPassword(pw);
  }
  if (customId !== "" && !UUID.test(customId)) throw badRequest("validation_failed", "ID must conform to the uuid v4 format");
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
    if (email) await insertIdentity(client, id, "email", { sub: id, email, email_verified: false, phone_verified: false });
    if (phone) await insertIdentity(client, id, "phone", { sub: id, phone, email_verified: false, phone_verified: false });
    await audit(client, actor, "user_signedup", { user_id: id, user_email: email, user_phone: phone, provider: providers[0] });
    if (appMetadata) await mergeMetadata(client, id, "raw_app_meta_data", appMetadata);
    if (emailConfirm) await confirmEmail(client, id);
    if (phoneConfirm) await client.query(`update auth.users set phone_confirmed_at = now(), updated_at = now() where id = $1`, [id]);
    await applyBan(client, id, ban);
    return findUserById(client, id);
  });
  if (!user) throw internal("Database error creating new user");
  return jsonResponse(200, userJson(user));
}

/** PUT /admin/users/:id: role, email, phone, password (checked; signs the user out everywhere), metadata, ban. */
async function updateUser(req: Request, actor: Actor, id: string, db: pg.Pool, settings: AuthSettings): Promise<Response> {
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
  if (email !== "" && (await emailTaken(db, email, id))) throw unprocessable("email_exists", "A user with this email address has already been registered");
  if (phone !== "" && (await phoneTaken(db, phone, id))) throw unprocessable("phone_exists", "A user with this phone number has already been registered");

  try {
    const user = await transaction(db, async (client) => {
      if (role !== "") await client.query(`update auth.users set role = $2, updated_at = now() where id = $1`, [id, role.trim()]);
      if (emailConfirm) await confirmEmail(client, id);
      if (phoneConfirm) await client.query(`update auth.users set phone_confirmed_at = now(), updated_at = now() where id = $1`, [id]);
      if (hash !== undefined) {
        await client.query(`update auth.users set encrypted_password = $2, recovery_token = '', confirmation_token = '', updated_at = now() where id = $1`, [id, hash]);
        await logout(client, id, undefined, "global");
      }
      if (email !== "") {
        const had = await updateIdentityData(client, id, "email", { email, email_verified: emailConfirm });
        if (!had) await insertIdentity(client, id, "email", { sub: id, email, email_verified: emailConfirm, phone_verified: false });
        await client.query(`update auth.users set email = $2, is_anonymous = is_anonymous and not $3, updated_at = now() where id = $1`, [id, email, emailConfirm]);
      }
      if (phone !== "") {
        const had = await updateIdentityData(client, id, "phone", { phone, phone_verified: phoneConfirm });
        if (!had) await insertIdentity(client, id, "phone", { sub: id, phone, email_verified: false, phone_verified: phoneConfirm });
        await client.query(`update auth.users set phone = $2, is_anonymous = is_anonymous and not $3, updated_at = now() where id = $1`, [id, phone, phoneConfirm]);
      }
      if (appMetadata) await mergeMetadata(client, id, "raw_app_meta_data", appMetadata);
      if (userMetadata) await mergeMetadata(client, id, "raw_user_meta_data", userMetadata);
      await applyBan(client, id, ban);
      const after = await findUserById(client, id);
      await audit(client, actor, "user_modified", { user_id: id, user_email: after?.email ?? "", user_phone: after?.phone ?? "" });
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

/** obfuscateValue: base64url(sha256(user id + value)), what a soft delete leaves in unique columns. */
const obfuscate = (id: string, value: string): string => createHash("sha256").update(id + value).digest("base64url");

/** DELETE /admin/users/:id → `{}`; `should_soft_delete` scrubs the row instead of removing it. */
async function deleteUser(req: Request, actor: Actor, id: string, db: pg.Pool): Promise<Response> {
  // The body is optional here (api/admin.go reads it only when present).
  const text = await req.text();
  const soft = text.trim() === "" ? false : bool(parseJson(text, "adminUserDeleteParams"), "should_soft_delete", "adminUserDeleteParams");
  await transaction(db, async (client) => {
    const { rows: who } = await client.query<{ email: string | null; phone: string | null }>(`select email, phone from auth.users where id = $1`, [id]);
    await audit(client, actor, "user_deleted", { user_id: id, user_email: who[0]?.email ?? "", user_phone: who[0]?.phone ?? "" });
    if (!soft) {
      try {
        await client.query(`delete from auth.users where id = $1`, [id]);
      } catch (e) {
        const err = internal("Database error deleting user");
        err.cause = e;
        throw err;
      }
      return;
    }
    const { rows } = await client.query<{ email: string | null; phone: string | null; deleted: boolean }>(
      `select email, phone, deleted_at is not null as deleted from auth.users where id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row || row.deleted) return;
    await client.query(
      `update auth.users set email = $2, phone = $3, encrypted_password = null, email_change = '', phone_change = '',
         confirmation_token = '', recovery_token = '', email_change_token_current = '', email_change_token_new = '',
         phone_change_token = '', deleted_at = now(), updated_at = now()
       where id = $1`,
      [id, obfuscate(id, row.email ?? ""), obfuscate(id, row.phone ?? "").slice(0, 15)],
    );
    await client.query(
      `update auth.identities set identity_data = '{}'::jsonb, provider_id = rtrim(translate(encode(sha256(convert_to(user_id::text || provider || ':' || provider_id, 'UTF8')), 'base64'), '+/', '-_'), '='), updated_at = now()
       where user_id = $1`,
      [id],
    );
    await logout(client, id, undefined, "global");
  });
  return jsonResponse(200, {} as JsonMap);
}
