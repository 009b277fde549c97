// The one verifier with each service's rules: algorithms, clock skew, claim checks, signing keys by kid.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { SigningJwk } from "../signing-keys.ts";
import {
  HS_ALGORITHMS,
  signAccessToken,
  signJwt,
  verifyJwt,
  type Claims,
  type JwtKeys,
  type VerifyRules,
} from "./jwt.ts";

const secret = "super-secret-jwt-token-with-at-least-32-characters-long";
const hsOnly: JwtKeys = { jwtSecret: secret };
const now = () => Math.floor(Date.now() / 1000);
const GOTRUE: VerifyRules = { hs: ["HS256"] };
const POSTGREST: VerifyRules = { hs: HS_ALGORITHMS, clockTolerance: 30 };
const REALTIME: VerifyRules = { hs: HS_ALGORITHMS, signatureOnly: true, requireKid: true };

const hs = (alg: string, claims: Record<string, unknown>, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(new TextEncoder().encode(key));

let withKeys: JwtKeys;
let signingKey: SigningJwk;
beforeAll(async () => {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  signingKey = { ...(await exportJWK(privateKey)), kid: "key-1", alg: "ES256" } as SigningJwk;
  withKeys = { jwtSecret: secret, signingKeys: [signingKey] };
});

describe("verifyJwt", () => {
  it("accepts an HS256 token and returns its claims and header", async () => {
    const token = await signJwt({ role: "authenticated", sub: "u1", exp: now() + 60 }, secret);
    expect(await verifyJwt(token, hsOnly, GOTRUE)).toEqual({
      ok: true,
      claims: { role: "authenticated", sub: "u1", exp: expect.any(Number) },
      header: { alg: "HS256", typ: "JWT" },
    });
  });

  it("takes HS384 where the service allows it, and refuses it where it does not", async () => {
    const token = await hs("HS384", { role: "anon" });
    expect((await verifyJwt(token, hsOnly, POSTGREST)).ok).toBe(true);
    expect(await verifyJwt(token, hsOnly, GOTRUE)).toMatchObject({ ok: false, failure: { kind: "algorithm" } });
  });

  it("names why a token is refused: expired, not yet valid, a bad claim, a bad signature, not a JWT", async () => {
    const expired = await signJwt({ role: "anon", exp: now() - 60 }, secret);
    expect(await verifyJwt(expired, hsOnly, GOTRUE)).toMatchObject({
      ok: false,
      failure: { kind: "expired", message: '"exp" claim timestamp check failed', header: { alg: "HS256" } },
    });
    const early = await signJwt({ role: "anon", nbf: now() + 600 }, secret);
    expect(await verifyJwt(early, hsOnly, GOTRUE)).toMatchObject({ ok: false, failure: { kind: "not-before" } });
    const badIat = await signJwt({ role: "anon", iat: "yesterday" } as Record<string, unknown> as Claims, secret);
    expect(await verifyJwt(badIat, hsOnly, GOTRUE)).toMatchObject({
      ok: false,
      failure: { kind: "claim", claim: "iat" },
    });
    const forged = await signJwt({ role: "service_role" }, "another-secret-of-at-least-32-characters!!");
    expect(await verifyJwt(forged, hsOnly, GOTRUE)).toMatchObject({ ok: false, failure: { kind: "signature" } });
    expect(await verifyJwt("not-a-jwt", hsOnly, GOTRUE)).toMatchObject({ ok: false, failure: { kind: "malformed" } });
  });

  it("allows the clock skew a service allows", async () => {
    const justExpired = await signJwt({ role: "anon", exp: now() - 10 }, secret);
    expect((await verifyJwt(justExpired, hsOnly, POSTGREST)).ok).toBe(true);
    expect((await verifyJwt(justExpired, hsOnly, GOTRUE)).ok).toBe(false);
  });

  it("checks only the signature for a service that checks the claims itself", async () => {
    const expired = await signJwt({ role: "anon", exp: now() - 60 }, secret);
    expect(await verifyJwt(expired, hsOnly, REALTIME)).toMatchObject({ ok: true, claims: { role: "anon" } });
    expect(await verifyJwt("a.b", hsOnly, REALTIME)).toMatchObject({ ok: false, failure: { kind: "malformed" } });
  });

  it("verifies an ES256 token with the signing key its kid names, only in a project that has signing keys", async () => {
    const token = await signAccessToken({ role: "authenticated", sub: "u2", exp: now() + 60 }, withKeys);
    expect(await verifyJwt(token, withKeys, GOTRUE)).toMatchObject({
      ok: true,
      header: { alg: "ES256", kid: "key-1", typ: "JWT" },
      claims: { sub: "u2" },
    });
    expect(await verifyJwt(token, hsOnly, GOTRUE)).toMatchObject({ ok: false, failure: { kind: "algorithm" } });
    // HS256 tokens with the secret stay valid next to the signing keys.
    expect((await verifyJwt(await signJwt({ role: "anon" }, secret), withKeys, GOTRUE)).ok).toBe(true);
  });

  it("refuses an unknown kid, and (where the service needs one) a missing kid, as a key problem", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const unknown = await new SignJWT({ role: "anon" })
      .setProtectedHeader({ alg: "ES256", kid: "nope" })
      .sign(privateKey);
    expect(await verifyJwt(unknown, withKeys, GOTRUE)).toMatchObject({
      ok: false,
      failure: { kind: "key", header: { kid: "nope" } },
    });
    const noKid = await new SignJWT({ role: "anon" }).setProtectedHeader({ alg: "ES256" }).sign(privateKey);
    expect(await verifyJwt(noKid, withKeys, REALTIME)).toMatchObject({ ok: false, failure: { kind: "key" } });
  });
});

describe("signAccessToken", () => {
  it("signs HS256 with the secret when the project has no signing keys", async () => {
    const token = await signAccessToken({ role: "anon" }, hsOnly);
    expect(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" });
  });
});
