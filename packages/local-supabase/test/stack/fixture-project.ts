// A tiny Supabase project written to a temp folder for tests that run `npm run dev -- --workdir <it>`:
// one migration, an `echo` function that reports what it received and its environment, an open
// (verify_jwt = false) one, one that cannot boot, a disabled one, and a git-ignored-style .env; optionally
// asymmetric signing keys (`[auth] signing_keys_path`) made by `supabase gen signing-key`.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { SigningJwk } from "../../src/signing-keys.ts";
import { generateSigningKeys, withSigningKeysPath } from "../support/signing-keys.ts";

const CONFIG = `project_id = "fixture"

[api]
port = 54321
schemas = ["public", "graphql_public", "fixture_api"]
extra_search_path = ["public", "extensions"]
max_rows = 50

[db]
port = 54322

[edge_runtime.secrets]
FIXTURE_FROM_CONFIG = "env(PARLEY_FIXTURE_SHELL_VALUE)"
FIXTURE_LITERAL = "literal from config"
FIXTURE_SECRET = "overridden by the .env file"

[functions.open]
verify_jwt = false

[functions.disabled]
enabled = false
`;

const MIGRATION = `-- Fixture: one table, so a test can see that migrations ran and that data survives a restart.
create table public.notes (
  id bigint generated always as identity primary key,
  body text not null
);
comment on table public.notes is 'Fixture rows written by the dev-server tests.';
alter table public.notes enable row level security;

-- A second exposed schema ([api] schemas), reached with Accept-Profile.
create schema fixture_api;
grant usage on schema fixture_api to anon, authenticated, service_role;
create table fixture_api.labels (
  id bigint generated always as identity primary key,
  name text not null
);
comment on table fixture_api.labels is 'Fixture rows in a non-public exposed schema.';
alter table fixture_api.labels enable row level security;
-- Anyone may read the fixture labels.
create policy labels_select_all on fixture_api.labels for select to anon, authenticated using (true);
grant select on fixture_api.labels to anon, authenticated, service_role;
insert into fixture_api.labels (name) values ('from the fixture_api schema');
`;

// Reports everything the runtime handed over, so tests can compare it with what they sent.
const ECHO = `const names = ["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_DB_URL",
  "SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_SECRET_KEYS", "SUPABASE_JWKS", "FIXTURE_SECRET", "FIXTURE_QUOTED", "SUPABASE_FIXTURE",
  "FIXTURE_FROM_CONFIG", "FIXTURE_LITERAL",
  "LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "PARLEY_LOCAL", "HOME", "PATH", "DENO_DIR", "PARLEY_WORKER_TOKEN"];

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

let cancelledStreams = 0;

Deno.serve({ port: 9999 }, async (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/echo/forever") {
    // An endless event stream (as an AI or SSE function sends); counts the streams its callers abandoned.
    let timer;
    const body = new ReadableStream({
      start(controller) {
        timer = setInterval(() => controller.enqueue(new TextEncoder().encode("data: tick\\n\\n")), 20);
      },
      cancel() {
        clearInterval(timer);
        cancelledStreams++;
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }
  if (url.pathname === "/echo/cancelled") return Response.json({ cancelledStreams });
  if (url.pathname === "/echo/exit") {
    setTimeout(() => Deno.exit(3), 20);
    return new Response("exiting");
  }
  if (url.pathname === "/echo/throw") throw new Error("fixture: thrown on purpose");
  if (url.pathname === "/echo/stream") {
    const chunks = ["one\\n", "two\\n", "three\\n"];
    const body = new ReadableStream({
      async pull(controller) {
        const next = chunks.shift();
        if (next === undefined) return controller.close();
        controller.enqueue(new TextEncoder().encode(next));
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  }
  const body = new Uint8Array(await req.arrayBuffer());
  const status = Number(url.searchParams.get("status") ?? 200);
  return Response.json(
    {
      method: req.method,
      url: req.url,
      path: url.pathname,
      search: url.search,
      headers: Object.fromEntries(req.headers),
      bodyLength: body.length,
      bodySha256: await sha256(body),
      bodyText: body.length < 2000 ? new TextDecoder().decode(body) : null,
      env: Object.fromEntries(names.map((n) => [n, Deno.env.get(n) ?? null])),
      pid: Deno.pid,
      main: import.meta.main,
    },
    { status, headers: { "x-fixture": "echo", "set-cookie": "a=1" } },
  );
});
`;

const OPEN = `Deno.serve((req) => Response.json({ open: true, authorization: req.headers.get("authorization") }));
`;

const BROKEN = `throw new Error("fixture: this function fails while loading");
`;

const DISABLED = `Deno.serve(() => new Response("disabled functions must not be served"));
`;

const DOTENV = `# secrets for the fixture functions
FIXTURE_SECRET=from-dotenv
FIXTURE_QUOTED="two words" # a comment
SUPABASE_FIXTURE=refused
`;

/** Writes the fixture project into a fresh temp folder and returns its path. */
export function writeFixtureProject(): string {
  return writeProject(CONFIG);
}

/**
 * The fixture project with `[auth] signing_keys_path` and one generated key per algorithm (the first signs
 * access tokens); returns the folder and the keys as written.
 */
export function writeFixtureProjectWithSigningKeys(algorithms: Array<"ES256" | "RS256">): {
  root: string;
  keys: SigningJwk[];
} {
  const root = writeProject(withSigningKeysPath(CONFIG));
  return { root, keys: generateSigningKeys(root, algorithms) };
}

function writeProject(config: string): string {
  const root = mkdtempSync(join(tmpdir(), "parley-fixture-"));
  // mkdtemp makes the folder private; Postgres runs as its own user and must reach <root>/.parley.
  chmodSync(root, 0o755);
  const files: Record<string, string> = {
    "supabase/config.toml": config,
    "supabase/migrations/20260101000000_create_notes.sql": MIGRATION,
    "supabase/functions/echo/index.ts": ECHO,
    "supabase/functions/open/index.ts": OPEN,
    "supabase/functions/broken/index.ts": BROKEN,
    "supabase/functions/disabled/index.ts": DISABLED,
    "supabase/functions/_shared/not-a-function.ts": "export const x = 1;\n",
    "supabase/functions/.env": DOTENV,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
