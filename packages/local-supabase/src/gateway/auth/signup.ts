// POST /signup: email + password sign-up (api/signup.go) and anonymous sign-in (api/anonymous.go).
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { AuthError, badRequest, internal, jsonResponse, unprocessable } from "./errors.ts";
import { transaction } from "./db.ts";
import { actorOf, audit, type Actor } from "./audit.ts";
import { validateEmail } from "./email.ts";
import { checkPasswordStrength, hashPassword } from "./passwords.ts";
import { grantParams, obj, str } from "./request.ts";
import { startSession } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import { sessionResponse } from "./tokens.ts";
import {
  confirmEmail,
  emailTaken,
  findUserByEmail,
  findUserById,
  insertIdentity,
  insertUser,
  userJson,
  type JsonMap,
  type UserRecord,
} from "./users.ts";

const WHAT = "SignupParams";

/** A trigger on auth.users failing (e.g. an app's profile trigger) is GoTrue's 500 "Database error saving new user". */
function saveError(e: unknown, message: string): Error {
  if (e instanceof AuthError) return e;
  // A concurrent sign-up with the same email lost the race on the unique email index: same answer as a repeat.
  const pgErr = e as { code?: string; constraint?: string };
  if (pgErr.code === "23505" && pgErr.constraint === "users_email_partial_key")
    return unprocessable("user_already_exists", "User already registered");
  const err = internal(message);
  err.cause = e;
  return err;
}

/** sanitizeUser (api/signup.go): a fresh id and timestamps, the request's data, nothing about the real account. */
function sanitizedUser(existing: UserRecord, data: JsonMap, settings: AuthSettings): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  return userJson({
    ...existing,
    id: randomUUID(),
    role: "",
    aud: settings.aud,
    phone: null,
    email_change: null,
    created_at: now,
    updated_at: now,
    confirmation_sent_at: now,
    last_sign_in_at: null,
    confirmed_at: null,
    email_change_sent_at: null,
    email_confirmed_at: null,
    phone_confirmed_at: null,
    raw_user_meta_data: data,
    raw_app_meta_data: { provider: "email", providers: ["email"] },
    identities: [],
  });
}

/** Routes a sign-up body: no email and no phone means anonymous sign-in (api.go's /signup handler). */
export async function signup(req: Request, body: JsonMap, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  const email = str(body, "email", WHAT);
  const phone = str(body, "phone", WHAT);
  const data = obj(body, "data", WHAT) ?? {};
  if (email === "" && phone === "") {
    if (!settings.enableAnonymousSignIns)
      throw unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled");
    return signupAnonymously(req, data, db, settings);
  }
  if (!settings.enableSignup) throw unprocessable("signup_disabled", "Signups not allowed for this instance");

  const password = str(body, "password", WHAT);
  if (password === "") throw badRequest("validation_failed", "Signup requires a valid password");
  checkPasswordStrength(password, settings);
  if (email !== "" && phone !== "")
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on signup.");
  if (email === "") throw badRequest("phone_provider_disabled", "Phone signups are disabled");
  if (!settings.emailEnabled) throw badRequest("email_provider_disabled", "Email signups are disabled");
  const address = validateEmail(email);

  // Hash outside the transaction, as GoTrue does: bcrypt is slow.
  const existing = await findUserByEmail(db, address, settings.aud);
  if (existing || (await emailTaken(db, address))) {
    // GoTrue records the attempt, then says so with autoconfirm; with confirmations on it answers a
    // look-alike user so that sign-up does not reveal which emails are registered.
    if (existing)
      await transaction(db, (client) =>
        audit(client, actorOf(existing), "user_repeated_signup", { provider: "email" }),
      );
    if (!settings.mailerAutoconfirm && existing) return jsonResponse(200, sanitizedUser(existing, data, settings));
    throw unprocessable("user_already_exists", "User already registered");
  }
  const hash = await hashPassword(password);
  return transaction(db, async (client) => {
    let id: string;
    try {
      id = await insertUser(client, {
        aud: settings.aud,
        role: settings.defaultRole,
        email: address,
        encryptedPassword: hash,
        appMetadata: { provider: "email", providers: ["email"] },
        userMetadata: data,
        isAnonymous: false,
      });
    } catch (e) {
      throw saveError(e, "Database error saving new user");
    }
    const identityData: JsonMap = { sub: id, email: address, email_verified: false, phone_verified: false };
    for (const [k, v] of Object.entries(data)) if (!(k in identityData)) identityData[k] = v;
    await insertIdentity(client, id, "email", identityData);
    const actor: Actor = { id, email: address, userMetadata: data };
    if (!settings.mailerAutoconfirm) {
      await audit(client, actor, "user_confirmation_requested", { provider: "email" });
      // Confirmation mail is not sent by the local stack; the user exists unconfirmed, as GoTrue leaves it.
      await client.query(`update auth.users set confirmation_sent_at = now() where id = $1`, [id]);
      const user = await findUserById(client, id);
      if (!user) throw internal("Database error loading user after sign-up");
      return jsonResponse(200, userJson(user));
    }
    await audit(client, actor, "user_signedup", { provider: "email" });
    await confirmEmail(client, id);
    await audit(client, actor, "login", { provider: "email" });
    const { sessionId, refreshToken } = await startSession(client, id, "password", grantParams(req));
    const user = await findUserById(client, id);
    if (!user) throw internal("Database error loading user after sign-up");
    return jsonResponse(200, await sessionResponse(client, user, sessionId, refreshToken, settings));
  });
}

/** Anonymous sign-in: a user with no email, phone, password or identity, and a session with amr "anonymous". */
async function signupAnonymously(req: Request, data: JsonMap, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  if (!settings.enableSignup) throw unprocessable("signup_disabled", "Signups not allowed for this instance");
  return transaction(db, async (client) => {
    let id: string;
    try {
      id = await insertUser(client, {
        aud: settings.aud,
        role: settings.defaultRole,
        email: null,
        encryptedPassword: "",
        appMetadata: {},
        userMetadata: data,
        isAnonymous: true,
      });
    } catch (e) {
      throw saveError(e, "Database error creating anonymous user");
    }
    const { sessionId, refreshToken } = await startSession(client, id, "anonymous", grantParams(req));
    const user = await findUserById(client, id);
    if (!user) throw internal("Database error creating anonymous user");
    return jsonResponse(200, await sessionResponse(client, user, sessionId, refreshToken, settings));
  });
}
