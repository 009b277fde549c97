// auth.audit_log_entries rows as GoTrue writes them (models/audit_log_entry.go).
import { randomUUID } from "node:crypto";
import type { Db } from "./db.ts";
import { NIL_UUID, type JsonMap, type UserRecord } from "./users.ts";

export type AuditAction =
  | "login"
  | "logout"
  | "user_signedup"
  | "user_deleted"
  | "user_modified"
  | "user_repeated_signup"
  | "user_updated_password"
  | "user_confirmation_requested"
  | "token_revoked"
  | "token_refreshed";

const LOG_TYPE: Record<AuditAction, string> = {
  login: "account",
  logout: "account",
  user_signedup: "team",
  user_deleted: "team",
  token_revoked: "token",
  token_refreshed: "token",
  user_modified: "user",
  user_repeated_signup: "user",
  user_updated_password: "user",
  user_confirmation_requested: "user",
};

/** Who acted: a user, or an admin token (GoTrue's admin actor has the nil id and the role as its name). */
export interface Actor {
  id: string;
  email?: string | null;
  phone?: string | null;
  userMetadata?: JsonMap | null;
}

/** The actor for a user row. */
export const actorOf = (u: UserRecord): Actor => ({
  id: u.id,
  email: u.email,
  phone: u.phone,
  userMetadata: u.raw_user_meta_data,
});

/** The admin actor GoTrue builds from a service_role token. */
export const adminActor = (role: string): Actor => ({ id: NIL_UUID, email: role });

/** Appends one audit entry; `traits` are the action's details (provider, affected user, …). */
export async function audit(db: Db, actor: Actor, action: AuditAction, traits?: JsonMap): Promise<void> {
  const payload: JsonMap = {
    actor_id: actor.id,
    actor_via_sso: false,
    actor_username: actor.phone || actor.email || "",
    action,
    log_type: LOG_TYPE[action],
  };
  const fullName = actor.userMetadata?.full_name;
  if (fullName !== undefined) payload.actor_name = fullName;
  if (traits) payload.traits = traits;
  await db.query(
    `insert into auth.audit_log_entries (instance_id, id, payload, created_at, ip_address) values ($1, $2, $3, clock_timestamp(), '')`,
    [NIL_UUID, randomUUID(), JSON.stringify(payload)],
  );
}
