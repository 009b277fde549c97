// A project with asymmetric JWT signing keys (`[auth] signing_keys_path`, keys made by `supabase gen
// signing-key`), served by `npm run dev -- --workdir <it>`: Auth signs with the first key and publishes the
// JWKS, and REST, Storage, Realtime, Auth and the functions' verify_jwt gate accept those tokens — plus
// HS256 ones with the JWT secret (the legacy API keys) — and refuse forged ones.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../src/gateway/jwt.ts";
import { freePort } from "../../src/postgres/port.ts";
import type { SigningJwk } from "../../src/signing-keys.ts";
import { impostorOf, signWithKey, strangerOf } from "../support/signing-keys.ts";
import { START_TIMEOUT_MS, startDev, type DevProcess } from "../support/dev-process.ts";
import { writeFixtureProjectWithSigningKeys } from "./fixture-project.ts";

// A user's own rows and files, and a private Realtime topic per user: each service must read auth.uid()
// from the asymmetric token to let the user in.
const MIGRATION = `create table public.diary (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid(),
  body text not null
);
comment on table public.diary is 'Fixture: rows only their owner may read and write.';
alter table public.diary enable row level security;
create policy diary_own on public.diary for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid());
grant select, insert on public.diary to authenticated;
grant usage on sequence public.diary_id_seq to authenticated;

insert into storage.buckets (id, name, public) values ('diary', 'diary', false);
create policy diary_files_write on storage.objects for insert to authenticated with check (bucket_id = 'diary' and (storage.foldername(name))[1] = auth.uid()::text);
create policy diary_files_read on storage.objects for select to authenticated using (bucket_id = 'diary' and owner_id = auth.uid()::text);

create policy diary_topic on realtime.messages for select to authenticated using (realtime.topic() = 'diary:' || auth.uid()::text);
`;

let dev: DevProcess;
let project: string;
let keys: SigningJwk[];
let api: string;

beforeAll(async () => {
  ({ root: project, keys } = writeFixtureProjectWithSigningKeys(["ES256", "RS256"]));
  writeFileSync(join(project, "supabase", "migrations", "20260102000000_diary.sql"), MIGRATION);
  // No Realtime back-off before a join error (5 s by default, as Realtime's): the refusals are asserted, not timed.
  dev = await startDev(
    ["--workdir", project, "--json", "--api-port", String(await freePort()), "--db-port", String(await freePort())],
    {
      REALTIME_CHANNEL_ERROR_BACKOFF_MS: "0",
    },
  );
  api = dev.status.API_URL!;
}, START_TIMEOUT_MS);

afterAll(async () => {
  await dev?.interrupt();
  if (project) rmSync(project, { recursive: true, force: true });
}, START_TIMEOUT_MS);

/** The official client (Node 20 has no global WebSocket: realtime-js gets `ws`). */
const clientWith = (key: string): SupabaseClient =>
  createClient(api, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });

const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (sub: string, extra: Record<string, unknown> = {}) => ({
  sub,
  role: "authenticated",
  aud: "authenticated",
  iat: now(),
  exp: now() + 600,
  ...extra,
});

/** A fresh user signed up through auth-js: their client and the access token Auth issued. */
async function signUp(): Promise<{ client: SupabaseClient; id: string; token: string }> {
  const client = clientWith(dev.status.ANON_KEY!);
  const { data, error } = await client.auth.signUp({
    email: `keys_${crypto.randomUUID().slice(0, 8)}@example.test`,
    password: "a-long-password-1",
  });
  if (error || !data.session || !data.user) throw new Error(`sign-up failed: ${error?.message ?? "no session"}`);
  return { client, id: data.user.id, token: data.session.access_token };
}

describe("Auth with signing keys", () => {
  it("publishes the public half of every key of the file at /.well-known/jwks.json, never a private part", async () => {
    const res = await fetch(`${api}/auth/v1/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const { keys: published } = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(published.map((k) => [k.kid, k.alg, k.kty, k.use, k.key_ops])).toEqual(
      keys.map((k) => [k.kid, k.alg, k.kty, "sig", ["verify"]]),
    );
    for (const k of published)
      for (const field of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(k).not.toHaveProperty(field);
  });

  it("signs a new session's access token with the first key: ES256, its kid, verifiable with the published JWKS", async () => {
    const { id, token } = await signUp();
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: keys[0]!.kid, typ: "JWT" });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${api}/auth/v1/.well-known/jwks.json`)));
    expect(payload).toMatchObject({ sub: id, role: "authenticated", aud: "authenticated" });
  });

  it("serves auth-js: getClaims verifies the token against the JWKS, getUser and refresh keep working", async () => {
    const { client, id } = await signUp();
    const claims = await client.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.header).toMatchObject({ alg: "ES256", kid: keys[0]!.kid });
    expect(claims.data?.claims.sub).toBe(id);
    expect((await client.auth.getUser()).data.user?.id).toBe(id);
    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(decodeProtectedHeader(refreshed.data.session!.access_token).kid).toBe(keys[0]!.kid);
  });

  it("accepts a token signed by the other key of the file and refuses one from a key it does not have", async () => {
    const { id } = await signUp();
    const user = (token: string) =>
      fetch(`${api}/auth/v1/user`, { headers: { apikey: dev.status.ANON_KEY!, Authorization: `Bearer ${token}` } });
    expect((await user(await signWithKey(keys[1]!, claimsFor(id)))).status).toBe(200);
    const stranger = strangerOf(keys[0]!);
    const refused = await user(await signWithKey(stranger, claimsFor(id)));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      code: 403,
      error_code: "bad_jwt",
      msg: expect.stringContaining(`invalid kid: ${stranger.kid}`),
    });
  });
});

describe("REST with signing keys", () => {
  it("runs a user's queries under RLS with their ES256 token (auth.uid() from its claims)", async () => {
    const { client, id } = await signUp();
    expect((await client.from("diary").insert({ body: "dear diary" })).error).toBeNull();
    const other = await signUp();
    expect((await other.client.from("diary").insert({ body: "someone else" })).error).toBeNull();
    const { data, error } = await client.from("diary").select("owner, body");
    expect(error).toBeNull();
    expect(data).toEqual([{ owner: id, body: "dear diary" }]);
  });

  it("accepts RS256 tokens of the second key and the legacy HS256 keys; refuses forged and unknown-key tokens with PGRST301", async () => {
    const { id } = await signUp();
    const rest = (token: string) =>
      fetch(`${api}/rest/v1/diary?select=owner`, {
        headers: { apikey: dev.status.ANON_KEY!, Authorization: `Bearer ${token}` },
      });
    expect((await rest(await signWithKey(keys[1]!, claimsFor(id)))).status).toBe(200);
    expect((await rest(dev.status.SERVICE_ROLE_KEY!)).status).toBe(200); // HS256, the JWT secret
    expect((await rest(await signJwt(claimsFor(id), dev.status.JWT_SECRET!))).status).toBe(200);
    const forged = await rest(await signWithKey(impostorOf(keys[0]!), claimsFor(id)));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: "PGRST301", message: "JWT cryptographic operation failed" });
    const unknown = await rest(await signWithKey(strangerOf(keys[0]!), claimsFor(id)));
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ code: "PGRST301", message: "No suitable key or wrong key type" });
    const expired = await rest(await signWithKey(keys[0]!, claimsFor(id, { iat: now() - 700, exp: now() - 100 })));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: "PGRST303", message: "JWT expired" });
  });
});

describe("Storage with signing keys", () => {
  it("uploads and reads a user's file with their ES256 token, recording them as its owner", async () => {
    const { client, id } = await signUp();
    const path = `${id}/note.txt`;
    const up = await client.storage.from("diary").upload(path, new Blob(["private words"], { type: "text/plain" }));
    expect(up.error).toBeNull();
    const down = await client.storage.from("diary").download(path);
    expect(down.error).toBeNull();
    expect(await down.data!.text()).toBe("private words");

    // The authenticated route needs a valid JWT (the plain one falls back to anon, as Storage's does).
    const forged = await fetch(`${api}/storage/v1/object/authenticated/diary/${path}`, {
      headers: {
        apikey: dev.status.ANON_KEY!,
        Authorization: `Bearer ${await signWithKey(impostorOf(keys[0]!), claimsFor(id))}`,
      },
    });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ statusCode: "403", error: "Unauthorized" });
  });
});

describe("Realtime with signing keys", () => {
  /** Subscribes to a private channel with an access token; resolves with the status the client settles on. */
  async function join(topic: string, accessToken: string): Promise<{ status: string; message?: string }> {
    const client = clientWith(dev.status.ANON_KEY!);
    await client.realtime.setAuth(accessToken);
    try {
      const channel = client.channel(topic, { config: { private: true } });
      return await new Promise((resolve) => {
        channel.subscribe((status, err) => {
          if (status === "SUBSCRIBED" || status === "CHANNEL_ERROR" || status === "TIMED_OUT")
            resolve({ status, ...(err ? { message: err.message } : {}) });
        });
      });
    } finally {
      client.realtime.disconnect(); // no leave round trip: a refused channel would wait out its timeout
    }
  }

  it("lets a user into their private topic with their ES256 token, and with an RS256 one of the second key", async () => {
    const { id, token } = await signUp();
    expect(await join(`diary:${id}`, token)).toEqual({ status: "SUBSCRIBED" });
    expect(await join(`diary:${id}`, await signWithKey(keys[1]!, claimsFor(id)))).toEqual({ status: "SUBSCRIBED" });
  });

  it("refuses a forged token and one from an unknown key", async () => {
    const { id } = await signUp();
    const forged = await join(`diary:${id}`, await signWithKey(impostorOf(keys[0]!), claimsFor(id)));
    expect(forged.status).toBe("CHANNEL_ERROR");
    expect(forged.message).toMatch(/JwtSignatureError|Failed to validate JWT signature/);
    const unknown = await join(`diary:${id}`, await signWithKey(strangerOf(keys[0]!), claimsFor(id)));
    expect(unknown.status).toBe("CHANNEL_ERROR");
    expect(unknown.message).toMatch(/JwtSignerError|Failed to generate JWT signer/);
  });
});

describe("Functions with signing keys", () => {
  const echo = (authorization: string) =>
    fetch(`${api}/functions/v1/echo`, { method: "POST", headers: { Authorization: authorization }, body: "{}" });

  it("lets ES256 and RS256 tokens of the project through the verify_jwt gate, and the legacy HS256 keys", async () => {
    const { id, token } = await signUp();
    for (const jwt of [token, await signWithKey(keys[1]!, claimsFor(id)), dev.status.ANON_KEY!]) {
      const res = await echo(`Bearer ${jwt}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { headers: Record<string, string> }).headers.authorization).toBe(`Bearer ${jwt}`);
    }
  });

  it("refuses forged, unknown-key and expired asymmetric tokens as the edge runtime does", async () => {
    const { id } = await signUp();
    for (const jwt of [
      await signWithKey(impostorOf(keys[0]!), claimsFor(id)),
      await signWithKey(strangerOf(keys[1]!), claimsFor(id)),
      await signWithKey(keys[0]!, claimsFor(id, { iat: now() - 700, exp: now() - 100 })),
    ]) {
      const res = await echo(`Bearer ${jwt}`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ msg: "Invalid JWT" });
    }
  });

  it("gives functions SUPABASE_JWKS with the project's public keys, as the CLI does", async () => {
    const res = await echo(`Bearer ${dev.status.ANON_KEY}`);
    const { env } = (await res.json()) as { env: Record<string, string | null> };
    const published = await (await fetch(`${api}/auth/v1/.well-known/jwks.json`)).json();
    expect(JSON.parse(env.SUPABASE_JWKS!)).toEqual(published);
  });
});
