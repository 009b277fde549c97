// With `[auth.email] enable_confirmations = true`: sign-up returns an unconfirmed user and no session.
// Driven in-process on the test database with a project folder whose config turns confirmations on.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { loadConfig } from "../../src/config.ts";
import { createAuthService } from "../../src/gateway/auth/index.ts";
import type { Service } from "../../src/gateway/types.ts";
import { stackEnv } from "../support/env.ts";
import { credentials } from "./helpers.ts";

let dir: string;
let pool: pg.Pool;
let auth: Service;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "auth-confirm-"));
  mkdirSync(join(dir, "supabase"));
  writeFileSync(
    join(dir, "supabase", "config.toml"),
    "[auth]\nenable_signup = true\n\n[auth.email]\nenable_signup = true\nenable_confirmations = true\n",
  );
  pool = new pg.Pool({ connectionString: stackEnv.dbUrl, max: 2 });
  const config = loadConfig({ workdir: dir });
  auth = await createAuthService({ config: { ...config, jwtSecret: stackEnv.jwtSecret }, db: pool, log: () => {} });
});

afterAll(async () => {
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, body: unknown) =>
  auth.fetch(
    new Request(`http://local/auth/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-supabase-api-version": "2024-01-01" },
      body: JSON.stringify(body),
    }),
    path.split("?")[0]!,
  );

describe("auth: email confirmations on", () => {
  it("returns the unconfirmed user and no session on sign-up", async () => {
    const res = await call("/signup", credentials());
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.access_token).toBeUndefined();
    expect(body.email_confirmed_at).toBeUndefined();
    expect(body.confirmation_sent_at).toBeTruthy();
  });

  it("refuses password sign-in until the email is confirmed: 400 email_not_confirmed", async () => {
    const creds = credentials();
    await call("/signup", creds);
    const res = await call("/token?grant_type=password", creds);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "email_not_confirmed", message: "Email not confirmed" });
  });

  it("answers a repeated sign-up with a look-alike user, not an error", async () => {
    const creds = credentials();
    const first = (await (await call("/signup", creds)).json()) as { id: string };
    const res = await call("/signup", creds);
    expect(res.status).toBe(200);
    const again = (await res.json()) as { id: string; email: string; identities: unknown[] };
    expect(again.id).not.toBe(first.id);
    expect(again.email).toBe(creds.email);
    expect(again.identities).toEqual([]);
  });
});
