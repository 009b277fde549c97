// /rest/v1 authentication: the JWT decides the role; bad tokens are PostgREST's 401s; request GUCs reach SQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../src/gateway/jwt.ts";
import { stackEnv } from "../support/env.ts";
import { createFixture, type Fixture } from "./fixtures.ts";
import { client, closeDb, rest, sqlUser, tokenFor, uniquePrefix, FIXTURE_SCHEMA } from "./support.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture(uniquePrefix());
});
afterAll(async () => {
  await fx.drop();
  await closeDb();
});

describe("rest auth", () => {
  it("serves a request without any Authorization as the anon role", async () => {
    const res = await rest(`/rpc/${fx.fn("whoami")}`, { token: null, headers: { apikey: "" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: string; claims: unknown };
    expect(body.user).toBe("anon");
    expect(body.claims).toEqual({ role: "anon" });
  });

  it("runs a user's request as authenticated with their claims, so auth.uid() is their id", async () => {
    const u = await sqlUser(FIXTURE_SCHEMA);
    const { data, error } = await u.client.rpc(fx.fn("whoami"));
    expect(error).toBeNull();
    expect(data.user).toBe("authenticated");
    expect(data.sub).toBe(u.id);
    expect(data.claims.email).toBe(u.email);
  });

  it("runs the service key as service_role", async () => {
    const res = await rest(`/rpc/${fx.fn("whoami")}`, { token: stackEnv.serviceRoleKey });
    expect(((await res.json()) as { user: string }).user).toBe("service_role");
  });

  it("maps the publishable key to anon like the CLI's gateway", async () => {
    const res = await fetch(`${stackEnv.url}/rest/v1/rpc/${fx.fn("whoami")}`, {
      headers: {
        apikey: stackEnv.publishableKey,
        authorization: `Bearer ${stackEnv.publishableKey}`,
        "accept-profile": FIXTURE_SCHEMA,
      },
    });
    expect(((await res.json()) as { user: string }).user).toBe("anon");
  });

  it("sets request.method, request.path, request.headers and search_path as PostgREST does", async () => {
    const res = await rest(`/rpc/${fx.fn("whoami")}`, {
      method: "POST",
      headers: { "x-rest-test": "hello", "content-type": "application/json" },
      body: "{}",
    });
    const body = (await res.json()) as Record<string, string>;
    expect(body.method).toBe("POST");
    expect(body.path).toBe(`/rpc/${fx.fn("whoami")}`);
    expect(body.header).toBe("hello");
    // The request's schema first, then [api] extra_search_path.
    expect(body.search_path).toBe('"graphql_public", "public", "extensions"');
  });

  it("applies the authenticator's and the role's ALTER ROLE settings, as PostgREST's login and role switch do", async () => {
    const anon = (await (await rest(`/rpc/${fx.fn("whoami")}`)).json()) as Record<string, string>;
    expect(anon).toMatchObject({ statement_timeout: "3s", lock_timeout: "8s" });
    const u = await sqlUser(FIXTURE_SCHEMA);
    const { data } = await u.client.rpc(fx.fn("whoami"));
    expect(data).toMatchObject({ statement_timeout: "8s", lock_timeout: "8s" });
  });

  it("refuses an expired JWT with 401 PGRST303 and a WWW-Authenticate header", async () => {
    const u = await sqlUser(FIXTURE_SCHEMA);
    const expired = await tokenFor(u.id, { expiresIn: -120 });
    const res = await rest(`/${fx.authors}`, { token: expired });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(await res.json()).toEqual({ code: "PGRST303", message: "JWT expired", details: null, hint: null });
  });

  it("tolerates 30 seconds of clock skew on exp, as PostgREST does", async () => {
    const u = await sqlUser(FIXTURE_SCHEMA);
    const justExpired = await tokenFor(u.id, { expiresIn: -5 });
    const res = await rest(`/rpc/${fx.fn("whoami")}`, { token: justExpired });
    expect(res.status).toBe(200);
  });

  it("refuses a JWT issued in the future with 401 PGRST303", async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await signJwt(
      { sub: "00000000-0000-0000-0000-000000000003", role: "authenticated", iat: now + 600, exp: now + 3600 },
      stackEnv.jwtSecret,
    );
    const res = await rest(`/${fx.authors}`, { token: t });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "PGRST303", message: "JWT issued at future" });
  });

  it("refuses a JWT signed with another secret with 401 PGRST301", async () => {
    const forged = await signJwt(
      { sub: "00000000-0000-0000-0000-000000000001", role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 },
      "not-the-project-secret-but-long-enough-123",
    );
    const { data, error, status } = await client(forged, FIXTURE_SCHEMA).from(fx.authors).select("*");
    expect(data).toBeNull();
    expect(status).toBe(401);
    expect(error?.code).toBe("PGRST301");
  });

  it("refuses a token that is not a JWT with 401 PGRST301", async () => {
    const res = await rest(`/${fx.authors}`, { token: "garbage" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe("Expected 3 parts in JWT; got 1");
  });

  it("answers 401 when the JWT names a role that does not exist", async () => {
    const t = await tokenFor("00000000-0000-0000-0000-000000000002", { role: "no_such_role" });
    const res = await rest(`/${fx.authors}`, { token: t });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("22023");
  });

  it("refuses a JWT naming a role authenticator may not become (like postgres) with 403, as on Supabase", async () => {
    const t = await tokenFor("00000000-0000-0000-0000-000000000004", { role: "postgres" });
    const res = await rest(`/rpc/${fx.fn("whoami")}`, { token: t });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "42501", message: 'permission denied to set role "postgres"' });
  });

  it("answers 401 to anon and 403 to a user when PostgreSQL refuses with 42501", async () => {
    const anon = await rest(`/${fx.notes}`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toBe("Bearer");
    expect(((await anon.json()) as { code: string }).code).toBe("42501");
    const u = await sqlUser(FIXTURE_SCHEMA);
    const other = await sqlUser(FIXTURE_SCHEMA);
    const { error, status } = await u.client.from(fx.notes).insert({ body: "not mine", owner_id: other.id });
    expect(status).toBe(403);
    expect(error?.code).toBe("42501");
    expect(error?.message).toMatch(/row-level security/);
  });
});
