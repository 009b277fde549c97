// /functions/v1 as the edge runtime serves it, driven through a fixture project served by
// `npm run dev -- --workdir <fixture> --json` (its own Postgres and Deno processes, on free ports).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient, FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../src/gateway/jwt.ts";
import { freePort } from "../../src/postgres/port.ts";
import { START_TIMEOUT_MS, startDev, type DevProcess } from "../support/dev-process.ts";
import { writeFixtureProject } from "../stack/fixture-project.ts";

interface Echo {
  method: string;
  url: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  bodyLength: number;
  bodySha256: string;
  bodyText: string | null;
  env: Record<string, string | null>;
  pid: number;
  main: boolean;
}

let dev: DevProcess;
let project: string;
let fn: (path: string) => string;

beforeAll(async () => {
  project = writeFixtureProject();
  dev = await startDev(
    ["--workdir", project, "--json", "--api-port", String(await freePort()), "--db-port", String(await freePort())],
    {
      PARLEY_FIXTURE_SHELL_VALUE: "from the shell via env()",
    },
  );
  fn = (path) => `${dev.status.API_URL}/functions/v1/${path}`;
}, START_TIMEOUT_MS);

afterAll(async () => {
  await dev?.interrupt();
  if (project) rmSync(project, { recursive: true, force: true });
}, START_TIMEOUT_MS);

const userToken = (claims: Record<string, unknown> = {}, secret?: string) =>
  signJwt(
    {
      sub: randomUUID(),
      role: "authenticated",
      aud: "authenticated",
      exp: Math.floor(Date.now() / 1000) + 600,
      ...claims,
    },
    secret ?? dev.status.JWT_SECRET!,
  );

/** The official client on the fixture stack (Node 20 has no global WebSocket: realtime-js gets `ws`). */
const clientWith = (key: string): SupabaseClient =>
  createClient(dev.status.API_URL!, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });

const post = (path: string, headers: Record<string, string> = {}) =>
  fetch(fn(path), { method: "POST", headers, body: "{}" });

describe("verify_jwt = true (the default)", () => {
  it("refuses a request without Authorization as the edge runtime does", async () => {
    const res = await post("echo");
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "Error: Missing authorization header" });
  });

  it("refuses an Authorization header that is not `Bearer <token>`", async () => {
    const res = await post("echo", { Authorization: `Basic ${Buffer.from("a:b").toString("base64")}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "Error: Auth header is not 'Bearer {token}'" });
  });

  it("refuses a token that is not a JWT", async () => {
    const res = await post("echo", { Authorization: "Bearer not-a-jwt" });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "TypeError: Invalid Token or Protected Header formatting" });
  });

  it("refuses a JWT signed with another secret", async () => {
    const forged = await userToken({}, "a-different-secret-that-is-at-least-32-chars");
    const res = await post("echo", { Authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "Invalid JWT" });
  });

  it("refuses an expired JWT", async () => {
    const expired = await userToken({ exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await post("echo", { Authorization: `Bearer ${expired}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "Invalid JWT" });
  });

  it("refuses an ES256 token in a project without signing keys (its JWKS holds only the secret)", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const { SignJWT } = await import("jose");
    const asymmetric = await new SignJWT({
      sub: randomUUID(),
      role: "authenticated",
      exp: Math.floor(Date.now() / 1000) + 600,
    })
      .setProtectedHeader({ alg: "ES256", kid: randomUUID(), typ: "JWT" })
      .sign(key);
    const res = await post("echo", { Authorization: `Bearer ${asymmetric}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: "Invalid JWT" });
  });

  it("passes a valid user JWT through, unchanged", async () => {
    const token = await userToken();
    const res = await post("echo", { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).headers.authorization).toBe(`Bearer ${token}`);
  });

  it("accepts the anon key, and a publishable apikey alone (the gateway turns it into the anon JWT)", async () => {
    const anon = await post("echo", { Authorization: `Bearer ${dev.status.ANON_KEY}` });
    expect(anon.status).toBe(200);
    const publishable = await post("echo", { apikey: dev.status.PUBLISHABLE_KEY! });
    expect(publishable.status).toBe(200);
    expect(((await publishable.json()) as Echo).headers.authorization).toBe(`Bearer ${dev.status.ANON_KEY}`);
  });
});

describe("verify_jwt = false", () => {
  it("passes a request without any key to the function", async () => {
    const res = await fetch(fn("open"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ open: true, authorization: null });
  });

  it("does not check a forged JWT either (the function decides)", async () => {
    const res = await fetch(fn("open"), { headers: { Authorization: "Bearer forged" } });
    expect(res.status).toBe(200);
  });
});

describe("environment", () => {
  it("gives the function the variables Supabase gives, [edge_runtime.secrets], the .env secrets, LiveKit's dev values and PARLEY_LOCAL=1", async () => {
    const res = await post("echo", { Authorization: `Bearer ${dev.status.ANON_KEY}` });
    const { env } = (await res.json()) as Echo;
    expect(env).toMatchObject({
      SUPABASE_URL: dev.status.API_URL,
      SUPABASE_ANON_KEY: dev.status.ANON_KEY,
      SUPABASE_SERVICE_ROLE_KEY: dev.status.SERVICE_ROLE_KEY,
      SUPABASE_DB_URL: dev.status.DB_URL,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: dev.status.PUBLISHABLE_KEY }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: dev.status.SECRET_KEY }),
      // No signing keys: the CLI's JWKS is the JWT secret as an oct key.
      SUPABASE_JWKS: JSON.stringify({
        keys: [{ kty: "oct", k: Buffer.from(dev.status.JWT_SECRET!).toString("base64url") }],
      }),
      FIXTURE_SECRET: "from-dotenv",
      FIXTURE_QUOTED: "two words",
      FIXTURE_FROM_CONFIG: "from the shell via env()",
      FIXTURE_LITERAL: "literal from config",
      LIVEKIT_URL: process.env.LIVEKIT_URL ?? "ws://127.0.0.1:7880",
      LIVEKIT_API_KEY: process.env.LIVEKIT_API_KEY ?? "devkey",
      LIVEKIT_API_SECRET: process.env.LIVEKIT_API_SECRET ?? "secret",
      // The stack's own mark: a function can tell it runs locally (e.g. to fall back to LiveKit's dev key).
      PARLEY_LOCAL: "1",
    });
  });

  it("refuses SUPABASE_ names from .env and hides the runtime's own variables", async () => {
    const res = await post("echo", { Authorization: `Bearer ${dev.status.ANON_KEY}` });
    const { env } = (await res.json()) as Echo;
    expect(env).toMatchObject({
      SUPABASE_FIXTURE: null,
      HOME: null,
      PATH: null,
      DENO_DIR: null,
      PARLEY_WORKER_TOKEN: null,
    });
  });
});

describe("pass-through", () => {
  it("keeps method, path below the function, query, headers and a binary body byte for byte", async () => {
    const body = randomBytes(300_000);
    const res = await fetch(fn("echo/deep/path?x=1&y=two%20words"), {
      method: "PUT",
      headers: {
        Authorization: `Bearer ${dev.status.ANON_KEY}`,
        "content-type": "application/octet-stream",
        "x-custom": "kept as is",
      },
      body,
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({
      method: "PUT",
      path: "/echo/deep/path",
      search: "?x=1&y=two%20words",
      bodyLength: body.length,
      main: true,
    });
    expect(echo.bodySha256).toBe(createHash("sha256").update(body).digest("hex"));
    expect(echo.headers).toMatchObject({ "x-custom": "kept as is", "content-type": "application/octet-stream" });
  });

  it("returns the function's status and headers as they are", async () => {
    const res = await fetch(fn("echo?status=418"), {
      method: "DELETE",
      headers: { Authorization: `Bearer ${dev.status.ANON_KEY}` },
    });
    expect(res.status).toBe(418);
    expect(res.headers.get("x-fixture")).toBe("echo");
    expect(res.headers.getSetCookie()).toEqual(["a=1"]);
    expect(((await res.json()) as Echo).method).toBe("DELETE");
  });

  it("streams a response body", async () => {
    const res = await fetch(fn("echo/stream"), { headers: { Authorization: `Bearer ${dev.status.ANON_KEY}` } });
    expect(res.status).toBe(200);
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) chunks.push(decoder.decode(chunk, { stream: true }));
    expect(chunks.join("")).toBe("one\ntwo\nthree\n");
  });

  it("cancels the function's stream when the caller goes away", async () => {
    const auth = { Authorization: `Bearer ${dev.status.ANON_KEY}` };
    const cancelled = async () =>
      ((await (await post("echo/cancelled", auth)).json()) as { cancelledStreams: number }).cancelledStreams;
    const before = await cancelled();
    const caller = new AbortController();
    const res = await fetch(fn("echo/forever"), { headers: auth, signal: caller.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("data: tick");
    caller.abort();
    let after = before;
    for (let i = 0; i < 200 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await cancelled();
    }
    expect(after).toBe(before + 1);
  });

  it("answers a CORS preflight at the gateway and forwards a plain OPTIONS unchecked", async () => {
    const preflight = await fetch(fn("echo"), {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,x-client-info,apikey,content-type",
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const plain = await fetch(fn("echo"), { method: "OPTIONS" });
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as Echo).method).toBe("OPTIONS");
  });
});

describe("function discovery and failures", () => {
  it("answers an unknown, a disabled and a non-function folder with the runtime's 404", async () => {
    for (const name of ["no-such-function", "disabled", "_shared"]) {
      const res = await fetch(fn(name), { headers: { Authorization: `Bearer ${dev.status.ANON_KEY}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe("Function not found");
    }
  });

  it("answers 503 BOOT_ERROR for a function that fails while loading", async () => {
    const res = await post("broken", { Authorization: `Bearer ${dev.status.ANON_KEY}` });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" });
  });

  it("answers 500 WORKER_ERROR when the handler throws", async () => {
    const res = await post("echo/throw", { Authorization: `Bearer ${dev.status.ANON_KEY}` });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      code: "WORKER_ERROR",
      message: "Function exited due to an error (please check logs)",
    });
  });

  it("restarts a function whose process died, on the next request", async () => {
    const auth = { Authorization: `Bearer ${dev.status.ANON_KEY}` };
    const before = ((await (await post("echo", auth)).json()) as Echo).pid;
    expect((await post("echo/exit", auth)).status).toBe(200);
    // The process exits just after answering: a request that still reaches it gets WORKER_ERROR, a later one a new process.
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      const res = await post("echo", auth);
      if (res.status === 200) after = ((await res.json()) as Echo).pid;
      else expect(res.status).toBe(500);
    }
    expect(after).not.toBe(before);
  });
});

describe("supabase.functions.invoke", () => {
  it("invokes with the anon key and gets the parsed JSON", async () => {
    const client = clientWith(dev.status.ANON_KEY!);
    const { data, error } = await client.functions.invoke<Echo>("echo", { body: { hello: "world" } });
    expect(error).toBeNull();
    expect(data?.method).toBe("POST");
    expect(JSON.parse(data?.bodyText ?? "null")).toEqual({ hello: "world" });
  });

  it("invokes with the publishable key (no Authorization sent) through the gateway's key translation", async () => {
    const client = clientWith(dev.status.PUBLISHABLE_KEY!);
    const { data, error } = await client.functions.invoke<Echo>("echo", { method: "GET" });
    expect(error).toBeNull();
    expect(data?.headers.authorization).toBe(`Bearer ${dev.status.ANON_KEY}`);
  });

  it("reports a refusal as FunctionsHttpError carrying the response", async () => {
    const client = clientWith(dev.status.ANON_KEY!);
    const { error } = await client.functions.invoke("broken");
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(503);
  });
});

describe("editing a function", () => {
  it("serves the new code without restarting the stack", async () => {
    const file = join(project, "supabase", "functions", "open", "index.ts");
    writeFileSync(file, `Deno.serve(() => Response.json({ open: true, edited: true }));\n`);
    // The runtime notices the change and boots a fresh process; until then the old code answers.
    let body: unknown;
    for (let i = 0; i < 200; i++) {
      const res = await fetch(fn("open"));
      body = res.status === 200 ? await res.json() : await res.text();
      if ((body as { edited?: boolean }).edited) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toEqual({ open: true, edited: true });
  });
});
