// The supabase-js grant loader against a stand-in PostgREST: the user's JWT is forwarded, refusals keep their meaning.
import assert from "node:assert/strict";
import { HttpError } from "../_shared/http.ts";
import { supabaseGrantLoader } from "./grant.ts";

const CALL_ID = "5b7e0d1e-4c1a-4f7e-9a55-0c2d7b6f0a01";

/** Serves one canned PostgREST answer and records what the client sent. */
async function withPostgrest(
  answer: { status: number; body: unknown },
  run: (
    url: string,
    seen: Array<{ path: string; auth: string | null; profile: string | null; body: unknown }>,
  ) => Promise<void>,
): Promise<void> {
  const seen: Array<{ path: string; auth: string | null; profile: string | null; body: unknown }> = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, async (req) => {
    seen.push({
      path: new URL(req.url).pathname,
      auth: req.headers.get("Authorization"),
      profile: req.headers.get("Content-Profile"),
      body: await req.json().catch(() => null),
    });
    // Like PostgREST: `.single()` asks for one object (Accept: application/vnd.pgrst.object+json).
    const single = (req.headers.get("Accept") ?? "").includes("vnd.pgrst.object") && Array.isArray(answer.body);
    const body = single ? (answer.body as unknown[])[0] : answer.body;
    return new Response(JSON.stringify(body), {
      status: answer.status,
      headers: { "Content-Type": "application/json" },
    });
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

const row = {
  id: CALL_ID,
  room_name: "parley-call-x",
  kind: "direct",
  media: "audio",
  max_participants: 2,
  user_id: "u1",
  display_name: "Ada",
  member_role: "member",
};

Deno.test("grant loader: calls parley.get_call_grant as the user and returns the row", async () => {
  await withPostgrest({ status: 200, body: [row] }, async (url, seen) => {
    const load = supabaseGrantLoader(
      (n) => (({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon" }) as Record<string, string>)[n],
    );
    assert.deepEqual(await load("Bearer user.jwt", CALL_ID), row);
    assert.equal(seen[0]?.path, "/rest/v1/rpc/get_call_grant");
    assert.equal(seen[0]?.auth, "Bearer user.jwt");
    assert.equal(seen[0]?.profile, "parley"); // the RPC lives in Parley's schema, not public
    assert.deepEqual(seen[0]?.body, { call_id: CALL_ID });
  });
});

Deno.test("grant loader: database refusals become 404 / 403 / 409 / 401 with their Parley code", async () => {
  const cases: Array<[number, Record<string, unknown>, number, string]> = [
    [404, { code: "PT404", message: "call x not found", hint: "call_not_found", details: null }, 404, "call_not_found"],
    [403, { code: "42501", message: "not accepted", hint: "not_accepted", details: null }, 403, "not_accepted"],
    [409, { code: "23505", message: "over", hint: "call_over", details: null }, 409, "call_over"],
    [401, { code: "PGRST301", message: "JWT expired", hint: null, details: null }, 401, "unauthorized"],
  ];
  for (const [status, body, expectedStatus, expectedCode] of cases) {
    await withPostgrest({ status, body }, async (url) => {
      const load = supabaseGrantLoader(
        (n) => (({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon" }) as Record<string, string>)[n],
      );
      await assert.rejects(load("Bearer user.jwt", CALL_ID), (e: unknown) => {
        assert.ok(e instanceof HttpError);
        assert.equal(e.status, expectedStatus);
        assert.equal(e.code, expectedCode);
        return true;
      });
    });
  }
});

Deno.test("grant loader: 503 when SUPABASE_URL or the anon key is missing", async () => {
  const load = supabaseGrantLoader(() => undefined);
  await assert.rejects(load("Bearer x", CALL_ID), (e: unknown) => e instanceof HttpError && e.status === 503);
});
