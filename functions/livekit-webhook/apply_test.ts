// The service-role event applier against a stand-in PostgREST: arguments as the SQL function names them.
import assert from "node:assert/strict";
import { HttpError } from "../_shared/http.ts";
import { supabaseEventApplier } from "./apply.ts";

Deno.test(
  "applier: calls parley.service_role_apply_livekit_event with the service key and LiveKit's fields",
  async () => {
    const seen: Array<{ path: string; auth: string | null; profile: string | null; body: unknown }> = [];
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, async (req) => {
      seen.push({
        path: new URL(req.url).pathname,
        auth: req.headers.get("Authorization"),
        profile: req.headers.get("Content-Profile"),
        body: await req.json(),
      });
      return Response.json({ result: "applied", call_id: "c1", call_status: "ended", close_room: true });
    });
    try {
      const apply = supabaseEventApplier(
        (n) =>
          (
            ({
              SUPABASE_URL: `http://127.0.0.1:${server.addr.port}`,
              SUPABASE_SERVICE_ROLE_KEY: "service.jwt",
            }) as Record<string, string>
          )[n],
      );
      const out = await apply({
        eventId: "EV_1",
        event: "participant_left",
        roomName: "parley-call-c1",
        identity: "u1",
        occurredAt: new Date(1_800_000_000_000),
      });
      assert.deepEqual(out, { result: "applied", call_id: "c1", call_status: "ended", close_room: true });
      assert.equal(seen[0]?.path, "/rest/v1/rpc/service_role_apply_livekit_event");
      assert.equal(seen[0]?.auth, "Bearer service.jwt");
      assert.equal(seen[0]?.profile, "parley"); // the RPC lives in Parley's schema, not public
      assert.deepEqual(seen[0]?.body, {
        event_id: "EV_1",
        event: "participant_left",
        room_name: "parley-call-c1",
        participant_identity: "u1",
        occurred_at: new Date(1_800_000_000_000).toISOString(),
      });
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test("applier: a database failure is a 500 so LiveKit redelivers", async () => {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, () =>
    Response.json({ code: "XX000", message: "boom", hint: null, details: null }, { status: 500 }),
  );
  try {
    const apply = supabaseEventApplier(
      (n) =>
        (
          ({ SUPABASE_URL: `http://127.0.0.1:${server.addr.port}`, SUPABASE_SERVICE_ROLE_KEY: "k" }) as Record<
            string,
            string
          >
        )[n],
    );
    await assert.rejects(
      apply({ eventId: "EV_2", event: "room_finished", roomName: "r", identity: null, occurredAt: new Date() }),
      (e: unknown) => e instanceof HttpError && e.status === 500,
    );
  } finally {
    await server.shutdown();
  }
});
