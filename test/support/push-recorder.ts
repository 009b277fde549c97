// Recorded local push providers for the end-to-end suites: FCM (OAuth token endpoint + HTTP v1 send), APNs,
// Expo and a Web Push service on one local HTTP port, each checking the credentials the real one checks
// (the service-account assertion, the APNs provider token, the VAPID JWT) and recording every request.
// The test runner starts it before the stack and hands its URLs and keys to push-dispatch as secrets
// (pushDispatchSecrets); test files read what arrived through GET /_recorded?key=<device token>.
//
// Scripted answers, by the device token's (or Web Push endpoint id's) prefix, so parallel tests never
// share one: "invalid-" → the provider's "unregistered" answer; "ratelimited-" → 429 with Retry-After: 1
// the first time, then accepted; "down-" → 503 every time; anything else → accepted.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import {
  testApnsKey,
  testServiceAccount,
  testVapidKeys,
  vapidPublicKey,
  verifyJwt,
} from "../../functions/push-dispatch/testing.ts";

/** One request a provider endpoint received, as the test reads it back. */
export interface RecordedPush {
  provider: "fcm" | "apns" | "expo" | "webpush";
  /** The device token (FCM, APNs, Expo) or the Web Push endpoint's last path segment. */
  key: string;
  /** The status the recorder answered. */
  status: number;
  headers: Record<string, string>;
  /** JSON bodies parsed; Web Push's encrypted body as base64. */
  body: unknown;
  at: number;
}

export interface PushRecorder {
  url: string;
  /** The secrets push-dispatch needs to talk to this recorder instead of the real providers. */
  secrets: Record<string, string>;
  close(): Promise<void>;
}

/** Env names of the recorder's base URL for test files (set by the test runner). */
export const PUSH_RECORDER_ENV = "PARLEY_TEST_PUSH_RECORDER_URL";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const flatHeaders = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]),
  );

/** The scripted answer for a key: how many times it was seen decides "ratelimited-". */
function scripted(key: string, seen: number): "ok" | "invalid" | "ratelimited" | "down" {
  if (key.startsWith("invalid-")) return "invalid";
  if (key.startsWith("down-")) return "down";
  if (key.startsWith("ratelimited-") && seen === 0) return "ratelimited";
  return "ok";
}

export async function startPushRecorder(): Promise<PushRecorder> {
  const recorded: RecordedPush[] = [];
  const accessTokens = new Set<string>();
  let base = "";
  const account = await testServiceAccount("placeholder", "parley-push-test");
  const apnsKey = await testApnsKey();
  const vapid = await testVapidKeys();
  const apnsKeyId = "RECKEY0001";
  const apnsTeam = "RECTEAM001";

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", base);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      const raw = await readBody(req);
      const headers = flatHeaders(req);
      const record = (provider: RecordedPush["provider"], key: string, status: number, body: unknown) =>
        recorded.push({ provider, key, status, headers, body, at: Date.now() });
      const seen = (provider: string, key: string) =>
        recorded.filter((r) => r.provider === provider && r.key === key).length;

      if (req.method === "GET" && url.pathname === "/_recorded") {
        return send(
          200,
          recorded.filter((r) => r.key === url.searchParams.get("key")),
        );
      }
      if (req.method !== "POST") return send(405, { error: "POST only" });

      // FCM: Google's token endpoint (RFC 7523 JWT-bearer grant), then HTTP v1 send with the access token.
      if (url.pathname === "/fcm/token") {
        const form = new URLSearchParams(raw.toString("utf8"));
        try {
          const { claims } = await verifyJwt(form.get("assertion") ?? "", account.publicKey);
          if (
            form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
            claims.iss !== account.clientEmail ||
            claims.aud !== `${base}/fcm/token` ||
            claims.scope !== "https://www.googleapis.com/auth/firebase.messaging"
          ) {
            return send(400, { error: "invalid_grant", error_description: "unexpected claims" });
          }
        } catch (e) {
          return send(400, { error: "invalid_grant", error_description: String(e) });
        }
        const token = `ya29.${randomUUID()}`;
        accessTokens.add(token);
        return send(200, { access_token: token, expires_in: 3599, token_type: "Bearer" });
      }
      const fcm = /^\/fcm\/v1\/projects\/([^/]+)\/messages:send$/.exec(url.pathname);
      if (fcm) {
        const body = JSON.parse(raw.toString("utf8")) as { message?: { token?: string } };
        const key = body.message?.token ?? "";
        if (fcm[1] !== "parley-push-test" || !accessTokens.has((headers.authorization ?? "").replace(/^Bearer /, ""))) {
          record("fcm", key, 401, body);
          return send(401, {
            error: { code: 401, status: "UNAUTHENTICATED", message: "Request had invalid authentication credentials." },
          });
        }
        const answer = scripted(key, seen("fcm", key));
        const status = { ok: 200, invalid: 404, ratelimited: 429, down: 503 }[answer];
        record("fcm", key, status, body);
        if (answer === "invalid")
          return send(404, {
            error: {
              code: 404,
              status: "NOT_FOUND",
              message: "Requested entity was not found.",
              details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "UNREGISTERED" }],
            },
          });
        if (answer === "ratelimited")
          return send(
            429,
            { error: { code: 429, status: "RESOURCE_EXHAUSTED", details: [{ errorCode: "QUOTA_EXCEEDED" }] } },
            { "Retry-After": "1" },
          );
        if (answer === "down") return send(503, { error: { code: 503, status: "UNAVAILABLE" } });
        return send(200, { name: `projects/parley-push-test/messages/${randomUUID()}` });
      }

      // APNs: POST /3/device/<token> with the ES256 provider token.
      const apns = /^\/apns\/3\/device\/([^/]+)$/.exec(url.pathname);
      if (apns) {
        const key = decodeURIComponent(apns[1]!);
        const body = JSON.parse(raw.toString("utf8")) as unknown;
        try {
          const { header, claims } = await verifyJwt(
            (headers.authorization ?? "").replace(/^bearer /, ""),
            apnsKey.publicKey,
          );
          if (header.kid !== apnsKeyId || claims.iss !== apnsTeam) throw new Error("wrong key id or team");
        } catch {
          record("apns", key, 403, body);
          return send(403, { reason: "InvalidProviderToken" });
        }
        const answer = scripted(key, seen("apns", key));
        const status = { ok: 200, invalid: 410, ratelimited: 429, down: 503 }[answer];
        record("apns", key, status, body);
        if (answer === "ok") return send(200, undefined, { "apns-id": headers["apns-id"] ?? randomUUID() });
        return send(
          status,
          { reason: { invalid: "Unregistered", ratelimited: "TooManyRequests", down: "ServiceUnavailable" }[answer] },
          answer === "ratelimited" ? { "Retry-After": "1" } : {},
        );
      }

      // Expo: an array of messages, one ticket each.
      if (url.pathname === "/expo") {
        const body = JSON.parse(raw.toString("utf8")) as Array<{ to?: string }>;
        const key = body[0]?.to ?? "";
        const answer = scripted(key, seen("expo", key));
        const status = answer === "ratelimited" ? 429 : answer === "down" ? 503 : 200;
        record("expo", key, status, body);
        if (status !== 200)
          return send(
            status,
            { errors: [{ code: "TOO_MANY_REQUESTS" }] },
            answer === "ratelimited" ? { "Retry-After": "1" } : {},
          );
        return send(200, {
          data: [
            answer === "invalid"
              ? { status: "error", message: "not registered", details: { error: "DeviceNotRegistered" } }
              : { status: "ok", id: randomUUID() },
          ],
        });
      }

      // A Web Push service: POST /webpush/<id> with the VAPID JWT for this origin and an aes128gcm body.
      const wp = /^\/webpush\/([^/]+)$/.exec(url.pathname);
      if (wp) {
        const key = wp[1]!;
        const body = raw.toString("base64");
        const match = /^vapid t=([^,]+), k=(.+)$/.exec(headers.authorization ?? "");
        try {
          if (!match || match[2] !== vapid.publicKey) throw new Error("no VAPID key");
          const { claims } = await verifyJwt(match[1]!, await vapidPublicKey(match[2]!));
          if (claims.aud !== base || Number(claims.exp) * 1000 < Date.now())
            throw new Error("wrong audience or expired");
        } catch {
          record("webpush", key, 403, body);
          return send(403, { error: "VAPID check failed" });
        }
        const answer = scripted(key, seen("webpush", key));
        const status = { ok: 201, invalid: 410, ratelimited: 429, down: 503 }[answer];
        record("webpush", key, status, body);
        return send(
          status,
          undefined,
          answer === "ok"
            ? { Location: `${base}/webpush/messages/${randomUUID()}` }
            : answer === "ratelimited"
              ? { "Retry-After": "1" }
              : {},
        );
      }
      return send(404, { error: `no recorded provider at ${url.pathname}` });
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  const serviceAccount = { ...JSON.parse(account.json), token_uri: `${base}/fcm/token` } as Record<string, string>;
  return {
    url: base,
    secrets: {
      FCM_SERVICE_ACCOUNT: JSON.stringify(serviceAccount),
      FCM_API_URL: `${base}/fcm`,
      APNS_URL: `${base}/apns`,
      APNS_KEY: apnsKey.pem,
      APNS_KEY_ID: apnsKeyId,
      APNS_TEAM_ID: apnsTeam,
      EXPO_PUSH_URL: `${base}/expo`,
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: "mailto:push-tests@example.test",
      WEB_PUSH_ALLOWED_HOSTS: `127.0.0.1:${port}`,
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Points the outbox's Database Webhook (pg_net, after each commit that makes a push job) at this
 * stack's push-dispatch, as a deployment does with Vault's parley_push_dispatch_url / _secret (the
 * local platform has no Vault: the fallback row). The shared secret is the service role key, which
 * push-dispatch also accepts.
 */
export async function pointPushWebhookAt(dbUrl: string, apiUrl: string, serviceRoleKey: string): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query(
      `insert into parley_internal.push_dispatch_target (url, secret) values ($1, $2)
       on conflict (id) do update set url = excluded.url, secret = excluded.secret`,
      [`${apiUrl}/functions/v1/push-dispatch`, serviceRoleKey],
    );
  } finally {
    await client.end();
  }
}
