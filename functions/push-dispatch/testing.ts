// Test helpers for the push providers, in plain WebCrypto so Deno's unit tests and the Node end-to-end
// recorder (test/support/push-recorder.ts) share them: keys as the providers issue them, JWT checks as
// the providers make them, and RFC 8291 Web Push decryption as a browser does it.

export const b64url = (bytes: Uint8Array): string =>
  btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
export const fromB64url = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(
    atob(
      text
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(text.length / 4) * 4, "="),
    ),
    (c) => c.charCodeAt(0),
  );

const pemOf = (label: string, der: ArrayBuffer): string =>
  `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...new Uint8Array(der)))
    .replace(/(.{64})/g, "$1\n")
    .trim()}\n-----END ${label}-----\n`;

/** A Google service-account key file (RSA 2048) and the public key that checks its assertions. */
export async function testServiceAccount(
  tokenUri: string,
  projectId = "parley-test",
): Promise<{ json: string; publicKey: CryptoKey; clientEmail: string; keyId: string }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const clientEmail = `push@${projectId}.iam.gserviceaccount.com`;
  const keyId = crypto.randomUUID().replaceAll("-", "");
  const json = JSON.stringify({
    type: "service_account",
    project_id: projectId,
    private_key_id: keyId,
    client_email: clientEmail,
    token_uri: tokenUri,
    private_key: pemOf("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
  });
  return { json, publicKey: pair.publicKey, clientEmail, keyId };
}

/** An APNs .p8 key (P-256, PKCS#8 PEM) and its public half. */
export async function testApnsKey(): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return {
    pem: pemOf("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    publicKey: pair.publicKey,
  };
}

/** VAPID keys as web-push's generateVAPIDKeys gives them: base64url raw public point and private scalar. */
export async function testVapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return {
    publicKey: b64url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey))),
    privateKey: jwk.d!,
  };
}

/** A browser's push subscription keys: the user agent's ECDH key pair and auth secret. */
export async function testSubscription(endpoint: string): Promise<{
  endpoint: string;
  keys: { p256dh: string; auth: string };
  privateKey: CryptoKey;
  publicRaw: Uint8Array<ArrayBuffer>;
  auth: Uint8Array<ArrayBuffer>;
}> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
    "deriveBits",
  ])) as CryptoKeyPair;
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const auth = crypto.getRandomValues(new Uint8Array(16));
  return {
    endpoint,
    keys: { p256dh: b64url(publicRaw), auth: b64url(auth) },
    privateKey: pair.privateKey,
    publicRaw,
    auth,
  };
}

/** A JWT's header and claims after its signature checked out with `key` (RS256 or ES256); throws otherwise. */
export async function verifyJwt(
  token: string,
  key: CryptoKey,
): Promise<{ header: Record<string, unknown>; claims: Record<string, unknown> }> {
  const [h, c, s] = token.split(".");
  if (!h || !c || !s) throw new Error("not a compact JWT");
  const header = JSON.parse(new TextDecoder().decode(fromB64url(h))) as Record<string, unknown>;
  const algorithm =
    header.alg === "RS256"
      ? { name: "RSASSA-PKCS1-v1_5" }
      : header.alg === "ES256"
        ? { name: "ECDSA", hash: "SHA-256" }
        : undefined;
  if (!algorithm) throw new Error(`unexpected alg ${String(header.alg)}`);
  const ok = await crypto.subtle.verify(algorithm, key, fromB64url(s), new TextEncoder().encode(`${h}.${c}`));
  if (!ok) throw new Error("bad signature");
  return { header, claims: JSON.parse(new TextDecoder().decode(fromB64url(c))) as Record<string, unknown> };
}

/** The public key of a VAPID `k=` parameter (a raw P-256 point), for verifyJwt. */
export function vapidPublicKey(k: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", fromB64url(k), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}

async function hmac(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

/** Decrypts an aes128gcm Web Push body (RFC 8188 + RFC 8291) with the subscription's private key, as the browser does. */
export async function decryptWebPush(
  body: Uint8Array,
  subscription: { privateKey: CryptoKey; publicRaw: Uint8Array<ArrayBuffer>; auth: Uint8Array<ArrayBuffer> },
): Promise<string> {
  const salt = body.slice(0, 16);
  const idLength = body[20]!;
  const serverPublic = body.slice(21, 21 + idLength);
  const ciphertext = body.slice(21 + idLength);
  const serverKey = await crypto.subtle.importKey(
    "raw",
    serverPublic,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const shared = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: serverKey }, subscription.privateKey, 256),
  );
  const enc = new TextEncoder();
  const prkKey = await hmac(subscription.auth, shared);
  const ikm = await hmac(
    prkKey,
    concat(enc.encode("WebPush: info\0"), subscription.publicRaw, serverPublic, new Uint8Array([1])),
  );
  const prk = await hmac(salt, ikm);
  const cek = (await hmac(prk, concat(enc.encode("Content-Encoding: aes128gcm\0"), new Uint8Array([1])))).slice(0, 16);
  const nonce = (await hmac(prk, concat(enc.encode("Content-Encoding: nonce\0"), new Uint8Array([1])))).slice(0, 12);
  const key = await crypto.subtle.importKey("raw", cek, { name: "AES-GCM" }, false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, ciphertext));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("not a final aes128gcm record");
  return new TextDecoder().decode(padded.slice(0, end));
}

/** A leased job as the claim RPC answers it (a direct message by default). */
export function sampleJob(overrides: Record<string, unknown> = {}): import("../_shared/schemas.ts").PushJob {
  const conversation = "0c0c0c0c-0000-4000-8000-000000000001";
  return {
    id: "10b10b10-0000-4000-8000-000000000001",
    lease_id: "1ea5e1ea-0000-4000-8000-000000000001",
    kind: "message",
    attempt: 1,
    priority: "normal",
    collapse_id: conversation,
    expires_at: null,
    title: "Ann",
    body: "Hello Bob",
    data: {
      type: "message",
      conversation_id: conversation,
      count: 1,
      unread_count: 1,
      mention: false,
      message_id: "3e55a9e0-0000-4000-8000-000000000001",
      seq: 7,
    },
    devices: [],
    ...overrides,
  } as import("../_shared/schemas.ts").PushJob;
}

/** A leased ring for a video call, due to stop ringing 45 s from `now`. */
export function sampleRing(now: number = Date.now()): import("../_shared/schemas.ts").PushJob {
  const call = "ca11ca11-0000-4000-8000-000000000001";
  const expires = new Date(now + 45_000).toISOString();
  return sampleJob({
    kind: "call",
    priority: "high",
    collapse_id: call,
    expires_at: expires,
    title: "Ann",
    body: "Incoming video call",
    data: {
      type: "call",
      call_id: call,
      conversation_id: "0c0c0c0c-0000-4000-8000-000000000001",
      media: "video",
      caller_id: "a11ce000-0000-4000-8000-000000000001",
      ring_expires_at: expires,
    },
  });
}

/** The data-only cancel of that ring. */
export function sampleCancel(): import("../_shared/schemas.ts").PushJob {
  const call = "ca11ca11-0000-4000-8000-000000000001";
  return sampleJob({
    kind: "call_cancel",
    priority: "high",
    collapse_id: call,
    expires_at: new Date(Date.now() + 600_000).toISOString(),
    title: null,
    body: null,
    data: {
      type: "call_cancel",
      call_id: call,
      conversation_id: "0c0c0c0c-0000-4000-8000-000000000001",
      reason: "answered",
    },
  });
}
