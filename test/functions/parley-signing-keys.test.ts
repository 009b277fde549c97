// Parley in a project that uses asymmetric JWT signing keys (`[auth] signing_keys_path`, keys made by
// `supabase gen signing-key`): Parley's own config, migrations and functions served by `npm run dev --
// --workdir <copy>`. Users' access tokens are ES256; call-token and call-end verify them themselves
// (verify_jwt = false), accept tokens of either project key and legacy HS256 ones, and refuse the rest.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { decodeProtectedHeader } from "jose";
import { TokenVerifier } from "livekit-server-sdk";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARLEY_ROOT } from "../../scripts/paths.ts";
import { freePort, signJwt, type SigningJwk } from "@parley/local-supabase";
import {
  generateSigningKeys,
  impostorOf,
  signWithKey,
  START_TIMEOUT_MS,
  startDev,
  withSigningKeysPath,
  type DevProcess,
} from "@parley/local-supabase/testing";

/** A project folder that is Parley's (migrations, schemas, functions linked, config copied) plus signing keys. */
function parleyProjectWithSigningKeys(): { root: string; keys: SigningJwk[] } {
  const root = mkdtempSync(join(tmpdir(), "parley-keys-project-"));
  chmodSync(root, 0o755); // Postgres runs as its own user and must reach <root>/.parley
  mkdirSync(join(root, "supabase"));
  writeFileSync(
    join(root, "supabase", "config.toml"),
    withSigningKeysPath(readFileSync(join(PARLEY_ROOT, "supabase", "config.toml"), "utf8")),
  );
  for (const entry of ["migrations", "schemas", "seed.sql"]) {
    const target = join(PARLEY_ROOT, "supabase", entry);
    if (existsSync(target)) symlinkSync(target, join(root, "supabase", entry));
  }
  symlinkSync(join(PARLEY_ROOT, "functions"), join(root, "functions")); // config.toml names ../functions/<name>/index.ts
  return { root, keys: generateSigningKeys(root, ["ES256", "RS256"]) };
}

let dev: DevProcess;
let project: string;
let keys: SigningJwk[];

beforeAll(async () => {
  ({ root: project, keys } = parleyProjectWithSigningKeys());
  dev = await startDev([
    "--workdir",
    project,
    "--json",
    "--api-port",
    String(await freePort()),
    "--db-port",
    String(await freePort()),
  ]);
}, START_TIMEOUT_MS);

afterAll(async () => {
  await dev?.interrupt();
  if (project) rmSync(project, { recursive: true, force: true });
}, START_TIMEOUT_MS);

const LIVEKIT_KEY = process.env.LIVEKIT_API_KEY ?? "devkey";
const LIVEKIT_SECRET = process.env.LIVEKIT_API_SECRET ?? "secret";
const now = () => Math.floor(Date.now() / 1000);
const userClaims = (sub: string, extra: Record<string, unknown> = {}) => ({
  sub,
  role: "authenticated",
  aud: "authenticated",
  iat: now(),
  exp: now() + 600,
  ...extra,
});

interface User {
  id: string;
  token: string;
  parley: ReturnType<SupabaseClient["schema"]>;
}

/** Signs up through auth-js; the session's access token is what Auth signed with the project's first key. */
async function signUp(displayName: string): Promise<User> {
  const client = createClient(dev.status.API_URL!, dev.status.PUBLISHABLE_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
  const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const { data, error } = await client.auth.signUp({
    email: `k_${tag}@example.test`,
    password: `pw-${tag}-Secret1`,
    options: { data: { username: `k_${tag}`, display_name: displayName } },
  });
  if (error || !data.session || !data.user) throw new Error(`sign-up failed: ${error?.message ?? "no session"}`);
  return { id: data.user.id, token: data.session.access_token, parley: client.schema("parley") };
}

/** A rings b; b accepts. */
async function acceptedCall(): Promise<{ a: User; b: User; callId: string; room: string }> {
  const a = await signUp("Ann Caller");
  const b = await signUp("Bea Callee");
  const conv = await a.parley.rpc("get_or_create_direct_conversation", { other_user_id: b.id });
  if (conv.error) throw new Error(`get_or_create_direct_conversation: ${conv.error.message}`);
  const conversationId = typeof conv.data === "string" ? conv.data : (conv.data as { id: string }).id;
  const call = await a.parley
    .rpc("start_call", { conversation_id: conversationId, media: "audio" })
    .single<{ id: string; room_name: string }>();
  if (call.error) throw new Error(`start_call: ${call.error.message}`);
  const accepted = await b.parley.rpc("accept_call", { call_id: call.data.id });
  if (accepted.error) throw new Error(`accept_call: ${accepted.error.message}`);
  return { a, b, callId: call.data.id, room: call.data.room_name };
}

const invoke = (name: "call-token" | "call-end", body: unknown, token?: string) =>
  fetch(`${dev.status.FUNCTIONS_URL}/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      apikey: dev.status.PUBLISHABLE_KEY!,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });

/** Tokens for `id` that must all be refused: none, forged under the project's kid, expired, an API key. */
async function badTokens(id: string): Promise<Array<[string, string | undefined]>> {
  return [
    ["missing", undefined],
    ["forged", await signWithKey(impostorOf(keys[0]!), userClaims(id))],
    ["expired", await signWithKey(keys[0]!, userClaims(id, { iat: now() - 700, exp: now() - 60 }))],
    ["the anon key", dev.status.ANON_KEY!],
  ];
}

describe("Parley's functions in a project with asymmetric signing keys", () => {
  it("issues users ES256 access tokens signed with the project's first key", async () => {
    const user = await signUp("Key Checker");
    expect(decodeProtectedHeader(user.token)).toEqual({ alg: "ES256", kid: keys[0]!.kid, typ: "JWT" });
  });

  it("call-token mints a LiveKit token for a user's ES256 session token, an RS256 token of the second key and a legacy HS256 one", async () => {
    const { b, callId, room } = await acceptedCall();
    const tokens = [
      b.token,
      await signWithKey(keys[1]!, userClaims(b.id)),
      await signJwt(userClaims(b.id), dev.status.JWT_SECRET!),
    ];
    for (const token of tokens) {
      const res = await invoke("call-token", { callId }, token);
      expect(res.status, decodeProtectedHeader(token).alg).toBe(200);
      const body = (await res.json()) as { token: string; roomName: string; identity: string };
      expect(body).toMatchObject({ roomName: room, identity: b.id });
      const grant = await new TokenVerifier(LIVEKIT_KEY, LIVEKIT_SECRET).verify(body.token);
      expect(grant.sub).toBe(b.id);
      expect(grant.video).toMatchObject({ room, roomJoin: true });
    }
  });

  it("call-token answers 401 unauthorized to a missing, forged or expired token and to the anon key", async () => {
    const { b, callId } = await acceptedCall();
    for (const [what, token] of await badTokens(b.id)) {
      const res = await invoke("call-token", { callId }, token);
      expect(res.status, what).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toBe("unauthorized");
    }
  });

  it("call-end refuses bad tokens with 401 unauthorized (the call goes on), then ends the call for the caller's ES256 token", async () => {
    const { a, callId } = await acceptedCall();
    for (const [what, token] of await badTokens(a.id)) {
      const res = await invoke("call-end", { callId, scope: "everyone" }, token);
      expect(res.status, what).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toBe("unauthorized");
    }
    const still = await a.parley.from("calls").select("status").eq("id", callId).single<{ status: string }>();
    expect(still.data?.status).toBe("active");

    const res = await invoke("call-end", { callId, scope: "everyone" }, a.token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { call: { status: string } }).call.status).toBe("ended");
  });
});
