// GET /admin/users: offset pagination with GoTrue's Link and X-Total-Count headers (api/pagination.go).
import type pg from "pg";
import { badRequest, jsonResponse } from "./errors.ts";
import type { AuthSettings } from "./settings.ts";
import { findUserById, userJson, type UserRecord } from "./users.ts";

const DEFAULT_PER_PAGE = 50;

function uint(raw: string | null, fallback: number): number {
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw))
    throw badRequest(
      "validation_failed",
      `Bad Pagination Parameters: strconv.ParseUint: parsing "${raw}": invalid syntax`,
    );
  return Number(raw);
}

/** Go's url.Values.Encode: keys sorted, form-encoded. */
function encodeQuery(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort();
  const out = new URLSearchParams();
  for (const k of keys) for (const v of params.getAll(k)) out.append(k, v);
  return out.toString();
}

/** Lists users of the audience, newest first; `filter` matches email or user_metadata.full_name. */
export async function listUsers(url: URL, db: pg.Pool, settings: AuthSettings): Promise<Response> {
  const q = url.searchParams;
  const page = Math.max(1, uint(q.get("page"), 1));
  const perPage = Math.max(1, uint(q.get("per_page"), DEFAULT_PER_PAGE));
  const filter = q.get("filter") ?? "";
  const like = `%${filter}%`;
  const where = `coalesce(u.instance_id, '00000000-0000-0000-0000-000000000000') = '00000000-0000-0000-0000-000000000000'
    and u.aud = $1 and ($2 = '' or u.email like $3 or u.raw_user_meta_data ->> 'full_name' ilike $3)`;
  const count = await db.query<{ n: string }>(`select count(*) as n from auth.users u where ${where}`, [
    settings.aud,
    filter,
    like,
  ]);
  const total = Number(count.rows[0]?.n ?? 0);
  const ids = await db.query<{ id: string }>(
    `select u.id from auth.users u where ${where} order by u.created_at desc, u.id limit $4 offset $5`,
    [settings.aud, filter, like, perPage, (page - 1) * perPage],
  );
  const users: UserRecord[] = [];
  for (const { id } of ids.rows) {
    const u = await findUserById(db, id);
    if (u) users.push(u);
  }

  // addPaginationHeaders: links are relative to GoTrue's own root, as Kong strips /auth/v1.
  const totalPages = Math.ceil(total / perPage);
  const link = new URLSearchParams(q);
  let header = "";
  if (totalPages > page) {
    link.set("page", String(page + 1));
    header += `</admin/users?${encodeQuery(link)}>; rel="next", `;
  }
  link.set("page", String(totalPages));
  header += `</admin/users?${encodeQuery(link)}>; rel="last"`;
  return jsonResponse(
    200,
    { users: users.map(userJson), aud: settings.aud },
    { link: header, "x-total-count": String(total) },
  );
}
