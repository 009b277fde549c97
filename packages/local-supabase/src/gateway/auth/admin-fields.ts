// Fields shared by the admin user endpoints: phone format, ban durations, uniqueness checks.
import { badRequest } from "./errors.ts";
import type { Db } from "./db.ts";
import { parseGoDuration } from "./duration.ts";

/** The Go struct name GoTrue's JSON errors mention for admin bodies. */
export const WHAT = "AdminUserParams";
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NIL = "00000000-0000-0000-0000-000000000000";

/** validatePhone: digits only, E.164 length. */
export function validatePhone(phone: string): string {
  const digits = phone.replace(/[\s()+-]/g, "");
  if (!/^[1-9]\d{1,14}$/.test(digits))
    throw badRequest("validation_failed", "Invalid phone number format (E.164 required)");
  return digits;
}

/** `ban_duration`: a Go duration ("24h", "1h30m") or "none" (lift the ban); undefined when absent. */
export function banSeconds(raw: string): number | undefined {
  if (raw === "") return undefined;
  if (raw === "none") return 0;
  const s = parseGoDuration(raw);
  if (s === undefined)
    throw badRequest("validation_failed", `invalid format for ban duration: time: invalid duration "${raw}"`);
  return s;
}

/** Sets or lifts banned_until (User.Ban): 0 seconds lifts the ban. */
export async function applyBan(db: Db, id: string, seconds: number | undefined): Promise<void> {
  if (seconds === undefined) return;
  await db.query(
    `update auth.users set banned_until = case when $2::float8 = 0 then null else now() + make_interval(secs => $2::float8) end, updated_at = now() where id = $1`,
    [id, seconds],
  );
}

/** Whether another user already has this phone. */
export async function phoneTaken(db: Db, phone: string, exceptUserId?: string): Promise<boolean> {
  const { rows } = await db.query(`select 1 from auth.users where phone = $1 and id is distinct from $2::uuid`, [
    phone,
    exceptUserId ?? null,
  ]);
  return rows.length > 0;
}
