// `[auth] signing_keys_path` read as the Supabase CLI reads it, driven in-process: the keys file made by
// `supabase gen signing-key`, its path relative to supabase/, refusals of files GoTrue would not start with,
// and the JWKS Auth publishes (empty, as before, for a project without signing keys).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, type StackConfig } from "../../src/config.ts";
import { createAuthService } from "../../src/gateway/auth/index.ts";
import { stackEnv } from "../support/env.ts";
import { generateSigningKeys, SIGNING_KEYS_FILE, withSigningKeysPath } from "../support/signing-keys.ts";

/** A pool that fails the test if the service touches the database. */
const noDb = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error("database touched");
    },
  },
) as unknown as pg.Pool;

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** A project folder whose config.toml has `[auth] signing_keys_path`; `keysFile` is written as given. */
function project(keysFile?: string, toml = withSigningKeysPath('project_id = "keys"\n')): string {
  const root = mkdtempSync(join(tmpdir(), "parley-keys-"));
  folders.push(root);
  mkdirSync(join(root, "supabase"));
  writeFileSync(join(root, "supabase", "config.toml"), toml);
  if (keysFile !== undefined) writeFileSync(join(root, "supabase", SIGNING_KEYS_FILE), keysFile);
  return root;
}

const jwksOf = async (config: StackConfig) => {
  const res = await createAuthService({ config, db: noDb, log: () => {} }).fetch(
    new Request("http://local/auth/v1/.well-known/jwks.json"),
    "/.well-known/jwks.json",
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: Array<Record<string, unknown>> };
};

describe("auth: signing keys from [auth] signing_keys_path", () => {
  it("reads the keys supabase gen signing-key writes, resolving the path against supabase/ as the CLI does", async () => {
    const root = project();
    const written = generateSigningKeys(root, ["RS256", "ES256"]);
    const config = loadConfig({ workdir: root });
    expect(config.signingKeysPath).toBe(join(root, "supabase", SIGNING_KEYS_FILE));
    expect(config.signingKeys).toEqual(written);
    const { keys } = await jwksOf(config);
    expect(keys.map((k) => [k.kid, k.alg])).toEqual(written.map((k) => [k.kid, k.alg]));
    expect(keys[0]).toEqual({
      kty: "RSA",
      kid: written[0]!.kid,
      alg: "RS256",
      use: "sig",
      key_ops: ["verify"],
      n: written[0]!.n,
      e: written[0]!.e,
    });
    expect(keys[1]).toEqual({
      kty: "EC",
      kid: written[1]!.kid,
      alg: "ES256",
      use: "sig",
      key_ops: ["verify"],
      crv: "P-256",
      x: written[1]!.x,
      y: written[1]!.y,
    });
  });

  it("refuses to start with a keys file GoTrue would refuse, naming what is wrong", () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /failed to read signing keys: .*no such file or directory/],
      ["{not json", /failed to decode signing keys .*JSON/],
      ['{"keys": []}', /expected a JSON array of JWKs/],
      ["[]", /no signing key detected/],
      ['[{"kty":"oct","k":"c2VjcmV0","kid":"a"}]', /kty "oct" is not supported/],
      [
        '[{"kty":"EC","kid":"a","alg":"ES256","crv":"P-256","x":"eA","y":"eQ"}]',
        /missing d — the file must hold private keys/,
      ],
      ['[{"kty":"EC","alg":"ES256","crv":"P-256","x":"eA","y":"eQ","d":"ZA"}]', /kid is missing/],
      ['[{"kty":"RSA","kid":"a","alg":"ES256","n":"bg","e":"AQAB","d":"ZA"}]', /a RSA key must have alg "RS256"/],
      [
        '[{"kty":"EC","kid":"a","alg":"ES256","crv":"P-256","x":"eA","y":"eQ","d":"ZA","key_ops":["verify"]}]',
        /no signing key detected/,
      ],
    ];
    for (const [file, message] of cases)
      expect(() => loadConfig({ workdir: project(file) }), String(file)).toThrow(message);
  });

  it("leaves a project without signing_keys_path on HS256 alone: no keys and an empty JWKS, as before", async () => {
    const config = loadConfig({ workdir: project(undefined, 'project_id = "plain"\n') });
    expect(config.signingKeysPath).toBeUndefined();
    expect(config.signingKeys).toEqual([]);
    expect(await jwksOf(config)).toEqual({ keys: [] });
  });

  it("serves the empty JWKS on the test stack, whose project has no signing keys", async () => {
    const res = await fetch(`${stackEnv.url}/auth/v1/.well-known/jwks.json`, { headers: { apikey: stackEnv.anonKey } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"keys":[]}');
  });
});
