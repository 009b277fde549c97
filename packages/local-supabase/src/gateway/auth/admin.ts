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

/** One /admin route: the request, its URL and path parameters. */
export interface AdminRoute {
  method: string;
  path: string;
  handler: (req: Request, url: URL, params: Record<string, string>) => Promise<Response>;
}

/** The /admin/users routes this stack serves, each behind requireAdminCredentials (and loadUser for `:id`). */
export function adminRoutes(db: pg.Pool, settings: AuthSettings): AdminRoute[] {
  const admin = async (req: Request) => adminActor((await requireAdmin(req, db, settings)).role);
  /** loadUser: the `:id` of the path, a user that exists. */
  const loadUser = async (id: string) => {
    if (!UUID.test(id)) throw notFound("validation_failed", "user_id must be an UUID");
    const user = await findUserById(db, id);
    if (!user) throw notFound("user_not_found", "User not found");
    return user;
  };
  return [
    {
      method: "GET",
      path: "/admin/users/:id/factors",
      // adminUserGetFactors: MFA is not offered locally, so every user has none.
      handler: async (req, _url, p) => (await admin(req), await loadUser(p.id!), jsonResponse(200, [])),
    },
    {
      method: "GET",
      path: "/admin/users",
      handler: async (req, url) => (await admin(req), listUsers(url, db, settings)),
    },
    {
      method: "POST",
      path: "/admin/users",
      handler: async (req) => createUser(req, await admin(req), db, settings),
    },
    {
      method: "GET",
      path: "/admin/users/:id",
      handler: async (req, _url, p) => (await admin(req), jsonResponse(200, userJson(await loadUser(p.id!)))),
    },
    {
      method: "PUT",
      path: "/admin/users/:id",
      handler: async (req, _url, p) => {
        const actor = await admin(req);
        await loadUser(p.id!);
        return updateUser(req, actor, p.id!, db, settings);
      },
    },
    {
      method: "DELETE",
      path: "/admin/users/:id",
      handler: async (req, _url, p) => {
        const actor = await admin(req);
        await loadUser(p.id!);
        return deleteUser(req, actor, p.id!, db);
      },
    },
  ];
}
