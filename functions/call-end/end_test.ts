// The supabase-js call ender against a stand-in PostgREST: leave_call / end_call in Parley's schema, as the user.
import assert from "node:assert/strict";
import { HttpError } from "../_shared/http.ts";
import { supabaseCallEnder } from "./end.ts";

const CALL_ID = "5b7e0d1e-4c1a-4f7e-9a55-0c2d7b6f0a01";
const ROW = {
  id: CALL_ID,
  conversation_id: "0f9d7a52-3a5e-4b8c-8d4e-6b1f2a3c4d5e",
  kind: "direct",
  media: "audio",
  status: "ended",
  room_name: `parley-call-${CALL_ID}`,
  max_participants: 2,
  initiated_by: null,
  created_at: "2030-01-01T00:00:00Z",
  answered_at: null,
  ended_at: "2030-01-01T00:01:00Z",
  end_reason: "hung_up",
  updated_at: "2030-01-01T00:01:00Z",
};

/** Serves one canned PostgREST answer and records the path, the caller's JWT and the schema asked for. */
async function withPostgrest(
  answer: { status: number; body: unknown },
  run: (url: string, seen: Array<Record<string, unknown>>) => Promise<void>,
) {
  const seen: Array<Record<string, unknown>> = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, async (req) => {
    seen.push({
      path: new URL(req.url).pathname,
      auth: req.headers.get("Authorization"),
      profile: req.headers.get("Content-Profile"),
      body: await req.json(),
    });
    return Response.json(answer.body, { status: answer.status });
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

const envFor = (url: string) => (n: string) =>
  (({ SUPABASE_URL: url, SUPABASE_ANON_KEY: "anon" }) as Record<string, string>)[n];

Deno.test("call ender: scope me calls parley.leave_call, everyone parley.end_call, with the user's JWT", async () => {
  for (const [scope, rpc] of [
    ["me", "leave_call"],
    ["everyone", "end_call"],
  ] as const) {
    await withPostgrest({ status: 200, body: ROW }, async (url, seen) => {
      const row = await supabaseCallEnder(envFor(url))("Bearer user.jwt", { callId: CALL_ID, scope });
      assert.equal(row.status, "ended");
      assert.deepEqual(seen, [
        { path: `/rest/v1/rpc/${rpc}`, auth: "Bearer user.jwt", profile: "parley", body: { call_id: CALL_ID } },
      ]);
    });
  }
});

Deno.test("call ender: a database refusal keeps its status and Parley code", async () => {
  await withPostgrest(
    { status: 403, body: { code: "42501", message: "not allowed", hint: "not_allowed_to_end", details: null } },
    async (url) => {
      await assert.rejects(
        supabaseCallEnder(envFor(url))("Bearer user.jwt", { callId: CALL_ID, scope: "everyone" }),
        (e: unknown) => {
          assert.ok(e instanceof HttpError);
          assert.deepEqual([e.status, e.code], [403, "not_allowed_to_end"]);
          return true;
        },
      );
    },
  );
});
