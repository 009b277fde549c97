// DELETE /admin/users/:id (api/admin.go adminUserDelete): hard delete, or GoTrue's soft delete.
import { createHash } from "node:crypto";
import type pg from "pg";
import { internal, jsonResponse } from "./errors.ts";
import { transaction } from "./db.ts";
import { audit, type Actor } from "./audit.ts";
import { bool, parseJson } from "./request.ts";
import { logout } from "./sessions.ts";
import type { JsonMap } from "./users.ts";

/** obfuscateValue: base64url(sha256(user id + value)), what a soft delete leaves in unique columns. */
const obfuscate = (id: string, value: string): string =>
  createHash("sha256")
    .update(id + value)
    .digest("base64url");

/** DELETE /admin/users/:id → `{}`; `should_soft_delete` scrubs the row instead of removing it. */
export async function deleteUser(req: Request, actor: Actor, id: string, db: pg.Pool): Promise<Response> {
  // The body is optional here (api/admin.go reads it only when present).
  const text = await req.text();
  const soft =
    text.trim() === ""
      ? false
      : bool(parseJson(text, "adminUserDeleteParams"), "should_soft_delete", "adminUserDeleteParams");
  await transaction(db, async (client) => {
    const { rows: who } = await client.query<{ email: string | null; phone: string | null }>(
      `select email, phone from auth.users where id = $1`,
      [id],
    );
    await audit(client, actor, "user_deleted", {
      user_id: id,
      user_email: who[0]?.email ?? "",
      user_phone: who[0]?.phone ?? "",
    });
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
