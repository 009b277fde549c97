// Test helpers: webhooks signed as LiveKit signs them, and user JWTs signed as Supabase Auth signs them (HS256 or a signing key).
import { AccessToken } from "./deps.ts";

/** base64(sha256(body)): the `sha256` claim LiveKit puts in a webhook's Authorization JWT. */
export async function bodySha256(body: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return btoa(Array.from(hash, (b) => String.fromCharCode(b)).join(""));
}

/** The Authorization header value LiveKit sends with a webhook: a JWT issued by the API key, signed with the secret. */
export async function signWebhook(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: "5m" });
  token.sha256 = await bodySha256(body);
  return await token.toJwt();
}

/** A webhook body as LiveKit serialises it (protobuf JSON: camelCase, int64 as strings). */
export function webhookBody(fields: {
  event: string;
  id: string;
  room?: string;
  identity?: string;
  createdAt?: number;
  extra?: Record<string, unknown>;
}): string {
  return JSON.stringify({
    event: fields.event,
    id: fields.id,
    createdAt: String(fields.createdAt ?? Math.floor(Date.now() / 1000)),
    ...(fields.room ? { room: { sid: "RM_test", name: fields.room, emptyTimeout: 300, maxParticipants: 2 } } : {}),
    ...(fields.identity
      ? { participant: { sid: "PA_test", identity: fields.identity, name: "Test", state: "ACTIVE" } }
      : {}),
    ...fields.extra,
  });
}

/** One asymmetric signing key of a test project: the public JWK Auth would publish, and a signer as Auth signs. */
export interface TestSigningKey {
  alg: "ES256" | "RS256";
  kid: string;
  /** As /auth/v1/.well-known/jwks.json and SUPABASE_JWKS carry it. */
  publicJwk: JsonWebKey & { kid: string; alg: string; use: "sig"; key_ops: string[] };
  /** A JWT with header {alg, kid, typ}, signed with this key's private half. */
  sign(claims: Record<string, unknown>): Promise<string>;
}

const b64url = (bytes: Uint8Array): string =>
  btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const b64urlJson = (value: unknown): string => b64url(new TextEncoder().encode(JSON.stringify(value)));

/** The JWS signing input and its signature (WebCrypto's ECDSA output is already JWS's r‖s form). */
async function signCompact(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  sign: (data: Uint8Array<ArrayBuffer>) => Promise<ArrayBuffer>,
): Promise<string> {
  const input = `${b64urlJson(header)}.${b64urlJson(claims)}`;
  return `${input}.${b64url(new Uint8Array(await sign(new TextEncoder().encode(input))))}`;
}

/** Makes an ES256 (P-256) or RS256 (2048-bit) key as `supabase gen signing-key` would, with WebCrypto. */
export async function testSigningKey(
  alg: "ES256" | "RS256",
  kid: string = crypto.randomUUID(),
): Promise<TestSigningKey> {
  const params =
    alg === "ES256"
      ? { generate: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } }
      : {
          generate: {
            name: "RSASSA-PKCS1-v1_5",
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: "SHA-256",
          },
          sign: { name: "RSASSA-PKCS1-v1_5" },
        };
  const pair = (await crypto.subtle.generateKey(params.generate, true, ["sign", "verify"])) as CryptoKeyPair;
  const exported = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const { key_ops: _ops, ext: _ext, ...material } = exported;
  return {
    alg,
    kid,
    publicJwk: { ...material, kid, alg, use: "sig", key_ops: ["verify"] },
    sign: (claims) =>
      signCompact({ alg, kid, typ: "JWT" }, claims, (data) => crypto.subtle.sign(params.sign, pair.privateKey, data)),
  };
}

/** An HS256 JWT signed with a project's legacy JWT secret, header {alg, typ} as GoTrue's. */
export async function signHs256(claims: Record<string, unknown>, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return signCompact({ alg: "HS256", typ: "JWT" }, claims, (data) => crypto.subtle.sign("HMAC", key, data));
}

/** Access-token claims of a signed-in user, valid for ten minutes unless overridden. */
export function userClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: crypto.randomUUID(),
    aud: "authenticated",
    role: "authenticated",
    iat: now,
    exp: now + 600,
    session_id: crypto.randomUUID(),
    ...overrides,
  };
}

/**
 * A stand-in for LiveKit's Twirp API (RoomService) that records each request (path, bearer token, JSON
 * body) and answers `status` with `{}`, or with `answers[method]` for a method such as ListParticipants.
 */
export function twirpRecorder(status = 200, answers: Record<string, unknown> = {}) {
  const requests: Array<{ path: string; authorization: string; body: unknown }> = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push({ path, authorization: req.headers.get("Authorization") ?? "", body: await req.json() });
    if (status !== 200) return Response.json({ code: "unavailable", msg: "down" }, { status });
    return Response.json(answers[path.split("/").pop() ?? ""] ?? {});
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests, close: () => server.shutdown() };
}
