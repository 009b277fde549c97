// Pure helpers of the Auth service: Go durations, Go timestamps, password rules, error shapes.
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { parseGoDuration } from "../../src/gateway/auth/duration.ts";
import { goTime } from "../../src/gateway/auth/time.ts";
import { checkPasswordStrength, hashPassword, verifyPassword } from "../../src/gateway/auth/passwords.ts";
import { AuthError, errorResponse } from "../../src/gateway/auth/errors.ts";
import type { AuthSettings } from "../../src/gateway/auth/settings.ts";

const settings = (requiredCharacters: string[] = []) =>
  ({ minimumPasswordLength: 6, requiredCharacters }) as AuthSettings;

describe("auth units: Go durations (ban_duration)", () => {
  it("parses compound durations into seconds", () => {
    expect(parseGoDuration("1h30m")).toBe(5400);
    expect(parseGoDuration("1.5h")).toBe(5400);
    expect(parseGoDuration("250ms")).toBeCloseTo(0.25);
    expect(parseGoDuration("0")).toBe(0);
  });

  it("rejects text that is not a Go duration", () => {
    expect(parseGoDuration("24")).toBeUndefined();
    expect(parseGoDuration("1 day")).toBeUndefined();
    expect(parseGoDuration("")).toBeUndefined();
  });
});

describe("auth units: timestamps", () => {
  it("trims fractional zeros as Go's RFC 3339 encoder does", () => {
    expect(goTime("2026-12-01T10:00:00.120000Z")).toBe("2026-12-01T10:00:00.12Z");
    expect(goTime("2026-12-01T10:00:00.000000Z")).toBe("2026-12-01T10:00:00Z");
    expect(goTime("2026-12-01T10:00:00.123456Z")).toBe("2026-12-01T10:00:00.123456Z");
    expect(goTime(null)).toBeUndefined();
  });
});

describe("auth units: passwords", () => {
  it("hashes in GoTrue's $2a$10$ format and verifies", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^\$2a\$10\$/);
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("wrong horse", hash)).toBe(false);
  });

  it("accepts pgcrypto-style $2a$06$ and other tools' $2b$/$2y$ hashes from seeds", async () => {
    const b = bcrypt.hashSync("seeded", 6);
    expect(await verifyPassword("seeded", b)).toBe(true);
    expect(await verifyPassword("seeded", b.replace(/^\$2b\$/, "$2a$"))).toBe(true);
    expect(await verifyPassword("seeded", b.replace(/^\$2b\$/, "$2y$"))).toBe(true);
  });

  it("treats an empty or foreign hash as no password", async () => {
    expect(await verifyPassword("x", "")).toBe(false);
    expect(await verifyPassword("x", "$argon2id$v=19$m=65536,t=3,p=4$abc$def")).toBe(false);
  });

  it("names every broken rule as GoTrue does", () => {
    try {
      checkPasswordStrength("abc", settings(["abcdefghijklmnopqrstuvwxyz", "0123456789"]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AuthError);
      expect((e as AuthError).weakPasswordReasons).toEqual(["length", "characters"]);
      expect((e as AuthError).message).toBe(
        "Password should be at least 6 characters. Password should contain at least one character of each: abcdefghijklmnopqrstuvwxyz, 0123456789.",
      );
    }
  });
});

describe("auth units: error bodies", () => {
  it("uses {code, message} and echoes the version for 2024-01-01 and later", async () => {
    const res = errorResponse(new AuthError(400, "invalid_credentials", "Invalid login credentials"), "2025-06-01");
    expect(res.headers.get("x-supabase-api-version")).toBe("2024-01-01");
    expect(await res.json()).toEqual({ code: "invalid_credentials", message: "Invalid login credentials" });
  });

  it("uses the legacy body for an older or malformed version header", async () => {
    const res = errorResponse(new AuthError(500, "", "boom"), "yesterday", "req-1");
    expect(res.headers.get("x-supabase-api-version")).toBeNull();
    expect(await res.json()).toEqual({ code: 500, error_code: "unexpected_failure", msg: "boom", error_id: "req-1" });
  });
});
