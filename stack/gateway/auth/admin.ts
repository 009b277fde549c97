// /admin/users routing: an admin (service_role) token, then create, list, get, update or delete (api/admin.go).
import type pg from "pg";
import { jsonResponse, notFound } from "./errors.ts";
import { adminActor } from "./audit.ts";
import { requireAdmin } from "./request.ts";
import type { AuthSettings } from "./settings.ts";
import { findUserById, userJson } from "./users.ts";
import { UUID } from "./admin-fields.ts";
import { createUser } from "./admin-create.ts";
import { deleteUser } from "./admin-delete.ts";
import { listUsers } from "./admin-list.ts";
import { updateUser } from "./admin-update.ts";

/** Answers an /admin request, or undefined when the path is not an admin route this stack serves. */
export async function adminRoutes(
  req: Request,
  url: URL,
  path: string,
  db: pg.Pool,
  settings: AuthSettings,
): Promise<Response | undefined> {
  const factors = /^\/admin\/users\/([^/]+)\/factors$/.exec(path);
  if (factors && req.method === "GET") {
    // adminUserGetFactors: MFA is not offered locally, so every user has none.
    await requireAdmin(req, db, settings);
    const id = factors[1] ?? "";
    if (!UUID.test(id)) throw notFound("validation_failed", "user_id must be an UUID");
    if (!(await findUserById(db, id))) throw notFound("user_not_found", "User not found");
    return jsonResponse(200, []);
  }
  const m = /^\/admin\/users(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const id = m[1];
  if (id === undefined && req.method !== "GET" && req.method !== "POST") return undefined;
  if (id !== undefined && !["GET", "PUT", "DELETE"].includes(req.method)) return undefined;
  const claims = await requireAdmin(req, db, settings);
  const actor = adminActor(String(claims.role));
  if (id === undefined)
    return req.method === "GET" ? listUsers(url, db, settings) : createUser(req, actor, db, settings);
  // loadUser
  if (!UUID.test(id)) throw notFound("validation_failed", "user_id must be an UUID");
  const user = await findUserById(db, id);
  if (!user) throw notFound("user_not_found", "User not found");
  if (req.method === "GET") return jsonResponse(200, userJson(user));
  if (req.method === "PUT") return updateUser(req, actor, id, db, settings);
  return deleteUser(req, actor, id, db);
}
