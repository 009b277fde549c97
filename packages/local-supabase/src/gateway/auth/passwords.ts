// Passwords: bcrypt hashes in GoTrue's `$2a$10$` format, and the strength rules of api/password.go.
import bcrypt from "bcryptjs";
import { badRequest, weakPassword } from "./errors.ts";
import type { AuthSettings } from "./settings.ts";

/** GoTrue's bcrypt cost (golang.org/x/crypto/bcrypt DefaultCost). */
const COST = 10;
/** bcrypt reads at most 72 bytes; GoTrue refuses longer passwords. */
export const MAX_PASSWORD_BYTES = 72;

/** Hashes a password; bcryptjs writes `$2b$`, GoTrue's Go bcrypt `$2a$` — same algorithm below 72 bytes. */
export async function hashPassword(password: string): Promise<string> {
  const hash = await bcrypt.hash(password, COST);
  return hash.startsWith("$2b$") ? `$2a$${hash.slice(4)}` : hash;
}

/** Checks a password against a stored hash (`$2a$`, `$2b$`, `$2y$`, any cost); false for an empty or foreign hash. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash || !/^\$2[aby]\$\d\d\$/.test(hash)) return false;
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}

/** Throws GoTrue's `validation_failed` (too long) or `weak_password` (too short, missing characters). */
export function checkPasswordStrength(password: string, settings: AuthSettings): void {
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes > MAX_PASSWORD_BYTES) {
    throw badRequest("validation_failed", `Password cannot be longer than ${MAX_PASSWORD_BYTES} characters`);
  }
  const reasons: string[] = [];
  const messages: string[] = [];
  if (bytes < settings.minimumPasswordLength) {
    reasons.push("length");
    messages.push(`Password should be at least ${settings.minimumPasswordLength} characters.`);
  }
  for (const set of settings.requiredCharacters) {
    if (set && ![...password].some((ch) => set.includes(ch))) {
      reasons.push("characters");
      messages.push(
        `Password should contain at least one character of each: ${settings.requiredCharacters.join(", ")}.`,
      );
      break;
    }
  }
  if (reasons.length) throw weakPassword(messages.join(" "), reasons);
}
