// The caller verifier with supabase-js's real getClaims: asymmetric tokens checked against the project's JWKS
// (the injected SUPABASE_JWKS, else the Auth endpoint), HS256 ones sent to Auth's GET /user, refusals as 401.
import assert from "node:assert/strict";
import { supabaseCallerVerifier } from "./caller.ts";
import { HttpError } from "./http.ts";
import { signHs256, testSigningKey, userClaims, type TestSigningKey } from "./testing.ts";

const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** A stand-in for the project's Auth: its JWKS, and GET /user answering as GoTrue (200 for a good HS256 token, 403 bad_jwt else). */
async function withAuth(
  opts: { keys?: TestSigningKey[]; userOk?: (token: string) => boolean },
  run: (url: string, seen: string[]) => Promise<void>,
) {
  const seen: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, (req) => {
    const path = new URL(req.url).pathname;
    seen.push(path);
    if (path === "/auth/v1/.well-known/jwks.json")
      return Response.json({ keys: (opts.keys ?? []).map((k) => k.publicJwk) });
    if (path === "/auth/v1/user") {
      const token = (req.headers.get("Authorization") ?? "").replace(/^Bearer /, "");
      if (opts.userOk?.(token)) return Response.json({ id: "u", aud: "authenticated", role: "authenticated" });
      return Response.json(
        { code: "bad_jwt", message: "invalid JWT: unable to parse or verify signature, token signature is invalid" },
        { status: 403, headers: { "x-sb-error-code": "bad_jwt" } },
      );
    }
    return new Response("404 page not found", { status: 404 });
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

const envOf = (values: Record<string, string>) => (name: string) => values[name];
const jwksEnv = (...keys: TestSigningKey[]) => JSON.stringify({ keys: keys.map((k) => k.publicJwk) });

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof HttpError, `expected an HttpError, got ${e}`);
    return e;
  }
  assert.fail("the caller was accepted");
}

Deno.test("caller: ES256 and RS256 user tokens verify against SUPABASE_JWKS, without asking Auth", async () => {
  const es = await testSigningKey("ES256");
  const rs = await testSigningKey("RS256");
  await withAuth({}, async (url, seen) => {
    const verify = supabaseCallerVerifier(
      envOf({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon", SUPABASE_JWKS: jwksEnv(es, rs) }),
    );
    for (const key of [es, rs]) {
      const claims = userClaims();
      const token = await key.sign(claims);
      const caller = await verify(`Bearer ${token}`);
      assert.equal(caller.userId, claims.sub);
      assert.equal(caller.authorization, `Bearer ${token}`);
      assert.equal(caller.claims.session_id, claims.session_id);
    }
    assert.deepEqual(seen, []);
  });
});

Deno.test("caller: without SUPABASE_JWKS the project's JWKS is fetched from Auth once and cached", async () => {
  const es = await testSigningKey("ES256");
  await withAuth({ keys: [es] }, async (url, seen) => {
    const verify = supabaseCallerVerifier(envOf({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon" }));
    await verify(`Bearer ${await es.sign(userClaims())}`);
    await verify(`Bearer ${await es.sign(userClaims())}`);
    assert.deepEqual(seen, ["/auth/v1/.well-known/jwks.json"]);
  });
});

Deno.test("caller: an HS256 token (legacy JWT secret) is accepted only when Auth's GET /user accepts it", async () => {
  const good = await signHs256(userClaims(), SECRET);
  const forged = await signHs256(userClaims(), "not-the-project-secret-but-long-enough-000");
  await withAuth({ userOk: (t) => t === good }, async (url, seen) => {
    const verify = supabaseCallerVerifier(
      envOf({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon", SUPABASE_JWKS: jwksEnv(await testSigningKey("ES256")) }),
    );
    assert.equal((await verify(`Bearer ${good}`)).authorization, `Bearer ${good}`);
    const refused = await refusal(verify(`Bearer ${forged}`));
    assert.deepEqual([refused.status, refused.code], [401, "unauthorized"]);
    assert.deepEqual(seen, ["/auth/v1/user", "/auth/v1/user"]);
  });
});

Deno.test("caller: missing, malformed, forged, expired and user-less tokens are 401 unauthorized", async () => {
  const es = await testSigningKey("ES256");
  const impostor = await testSigningKey("ES256", es.kid); // the project's kid, someone else's key
  const rs = await testSigningKey("RS256");
  const now = Math.floor(Date.now() / 1000);
  await withAuth({ keys: [es] }, async (url) => {
    const verify = supabaseCallerVerifier(
      envOf({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon", SUPABASE_JWKS: jwksEnv(es) }),
    );
    const cases: Array<[string, string | null]> = [
      ["no header", null],
      ["not Bearer", "Basic YTpi"],
      ["empty bearer", "Bearer "],
      ["not a JWT", "Bearer not-a-jwt"],
      ["parts that are not JSON", "Bearer abc.def.ghi"],
      ["forged with another key under the project's kid", `Bearer ${await impostor.sign(userClaims())}`],
      ["signed by a key the project does not have", `Bearer ${await rs.sign(userClaims())}`],
      ["expired", `Bearer ${await es.sign(userClaims({ iat: now - 700, exp: now - 100 }))}`],
      ["no exp", `Bearer ${await es.sign(userClaims({ exp: undefined }))}`],
      ["an API key, not a user", `Bearer ${await es.sign({ iss: "supabase-demo", role: "anon", exp: now + 600 })}`],
    ];
    for (const [what, header] of cases) {
      const e = await refusal(verify(header));
      assert.deepEqual([e.status, e.code], [401, "unauthorized"], what);
    }
  });
});

Deno.test("caller: Auth unreachable is a 502, not the caller's fault", async () => {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, () => new Response());
  const url = `http://127.0.0.1:${server.addr.port}`;
  await server.shutdown(); // nothing listens there any more
  const verify = supabaseCallerVerifier(envOf({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon" }));
  const original = console.error;
  console.error = () => undefined; // auth-js logs the failed fetch
  try {
    const e = await refusal(verify(`Bearer ${await signHs256(userClaims(), SECRET)}`));
    assert.deepEqual([e.status, e.code], [502, "auth_unavailable"]);
  } finally {
    console.error = original;
  }
});
