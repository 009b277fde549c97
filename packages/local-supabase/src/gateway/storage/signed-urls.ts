// Signed URLs: JWTs signed with the stack's JWT secret carrying {url, scope, iat, exp} (download) or
// {owner, url, upsert, scope, iat, exp} (upload), verified on use as Storage's verifyObjectSignature.
import { SignJWT, type JWTPayload } from "jose";
import { HS_ALGORITHMS, verifyJwt } from "../jwt.ts";
import { ERRORS } from "./errors.ts";
import { json, requireString, type RequestContext } from "./http.ts";
import { assertValidKey } from "./mime.ts";
import { findObject, findObjectNames, tryUploadWrite } from "./queries.ts";
import { serveObject, uploadFromRequest, type StorageDeps } from "./service.ts";
import { parseTransform, transformSegments } from "./transform.ts";

/** Lifetime of signed upload URLs: the CLI sets SIGNED_UPLOAD_URL_EXPIRATION_TIME=7200. */
export const SIGNED_UPLOAD_URL_EXPIRATION = 7200;
/** Storage caps numeric expirations so exp stays a safe timestamp (MAX_ABSOLUTE_JWT_EXPIRATION_SECONDS). */
const MAX_ABSOLUTE_EXP = 2 ** 31 - 1;

type Scope = "download" | "upload";
interface SignedPayload extends JWTPayload {
  url?: string;
  scope?: Scope;
  upsert?: boolean;
  owner?: string;
  /** Render URLs: the transformations signed with the URL (Storage's `height:…,width:…,resize:…` string). */
  transformations?: string;
  format?: string;
}

const key = (secret: string) => new TextEncoder().encode(secret);

/** Storage's assertValidNumericJWTExpiration: a finite number of seconds, at least 1. */
function assertExpiresIn(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw ERRORS.invalidParameter("expiresIn");
  const s = Math.floor(value);
  if (!Number.isSafeInteger(s) || s < 1 || s > MAX_ABSOLUTE_EXP - Math.floor(Date.now() / 1000))
    throw ERRORS.invalidParameter("expiresIn");
  return s;
}

async function sign(payload: SignedPayload, secret: string, expiresIn: number): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(`${expiresIn}s`)
    .sign(key(secret));
}

/** Verifies a signed-URL token for `bucket/name` and `scope`: InvalidJWT, InvalidSignature or ExpiredToken. */
export async function verify(
  secret: string,
  token: string | undefined,
  bucketId: string,
  name: string,
  scope: Scope,
): Promise<SignedPayload> {
  if (!token) throw ERRORS.invalidRequest("querystring must have required property 'token'");
  // Signed with the secret alone, never with the project's signing keys.
  const verified = await verifyJwt(token, { jwtSecret: secret }, { hs: HS_ALGORITHMS });
  if (!verified.ok) throw ERRORS.invalidJwt(verified.failure.message || "Invalid JWT");
  const payload: SignedPayload = verified.claims;
  // Legacy tokens have no scope: upload tokens are the ones with an `upsert` claim.
  const ok =
    scope === "upload"
      ? payload.scope === "upload" || (payload.scope === undefined && "upsert" in payload)
      : payload.scope === "download" || (payload.scope === undefined && !("upsert" in payload));
  if (!ok) throw ERRORS.invalidSignature(`Token is not scoped for ${scope}`);
  if (payload.url !== `${bucketId}/${name}`) throw ERRORS.invalidSignature();
  if (typeof payload.exp === "number" && payload.exp * 1000 < Date.now()) throw ERRORS.expiredSignature();
  return payload;
}

/** POST /object/sign/:bucket/* {expiresIn} → {signedURL} when the caller can SELECT the object. */
export async function createSignedUrl(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const expiresIn = assertExpiresIn(body.expiresIn);
  assertValidKey(name);
  // With image transformations enabled, a `transform` is signed into the token and the URL renders (/render/image/sign).
  const transform =
    deps.config.storage.imageTransformation && body.transform && typeof body.transform === "object"
      ? parseTransform(body.transform as Record<string, unknown>, "body/transform")
      : undefined;
  await deps.db.asUser(ctx.scope("storage.object.sign"), (q) => findObject(q, bucketId, name));
  const url = `${bucketId}/${name}`;
  const transformations = transform ? transformSegments(transform, true).join(",") : "";
  const extra: SignedPayload = transformations
    ? { transformations, ...(transform?.format ? { format: transform.format } : {}) }
    : {};
  const token = await sign({ ...extra, url, scope: "download" }, deps.config.jwtSecret, expiresIn);
  return json({ signedURL: `/${transformations ? "render/image" : "object"}/sign/${url}?token=${token}` });
}

/** POST /object/sign/:bucket {expiresIn, paths} → one entry per path, with an error for those not visible. */
export async function createSignedUrls(deps: StorageDeps, ctx: RequestContext, bucketId: string): Promise<Response> {
  await ctx.authenticate();
  const body = await ctx.json();
  const expiresIn = assertExpiresIn(body.expiresIn);
  const paths = body.paths;
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string")) {
    throw ERRORS.invalidRequest("body/paths must NOT have fewer than 1 items");
  }
  const visible = await deps.db.asUser(ctx.scope("storage.object.sign_many"), (q) =>
    findObjectNames(q, bucketId, paths as string[]),
  );
  const out = await Promise.all(
    (paths as string[]).map(async (path) => {
      if (!visible.has(path))
        return { error: "Either the object does not exist or you do not have access to it", path, signedURL: null };
      const url = `${bucketId}/${path}`;
      const token = await sign({ url, scope: "download" }, deps.config.jwtSecret, expiresIn);
      return { error: null, path, signedURL: `/object/sign/${url}?token=${token}` };
    }),
  );
  return json(out);
}

/** GET|HEAD /object/sign/:bucket/*?token= — no JWT; the token decides; Expires = the token's exp. */
export async function getSignedObject(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  const payload = await verify(deps.config.jwtSecret, ctx.query("token"), bucketId, name, "download");
  const row = (await deps.db.superRead((q) => findObject(q, bucketId, name)))!;
  return serveObject(deps, ctx, row, {
    download: ctx.query("download"),
    expires: typeof payload.exp === "number" ? new Date(payload.exp * 1000) : undefined,
  });
}

/** POST /object/upload/sign/:bucket/* (x-upsert) → {url, token} when the caller could upload there now. */
export async function createSignedUploadUrl(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  await ctx.authenticate();
  await ctx.req.text(); // the client sends `{}`
  assertValidKey(name);
  const upsert = ctx.header("x-upsert") === "true";
  const owner = ctx.caller.sub;
  const contentLength = ctx.header("content-length");
  let userMetadata: Record<string, unknown> | undefined;
  try {
    const header = ctx.header("x-metadata");
    userMetadata = header
      ? (JSON.parse(Buffer.from(header, "base64").toString("utf8")) as Record<string, unknown>)
      : undefined;
  } catch {
    userMetadata = undefined;
  }
  await deps.db.testPermission(ctx.scope("storage.object.sign_upload_url"), (q) =>
    tryUploadWrite(
      q,
      {
        bucketId,
        name,
        owner,
        version: "1",
        userMetadata,
        metadata: {
          mimetype: ctx.header("content-type"),
          contentLength: contentLength ? Number(contentLength) : undefined,
        },
      },
      upsert,
    ),
  );
  const url = `${bucketId}/${name}`;
  const token = await sign(
    { owner, url, upsert, scope: "upload" },
    deps.config.jwtSecret,
    SIGNED_UPLOAD_URL_EXPIRATION,
  );
  return json({ url: `/object/upload/sign/${url}?token=${token}`, token });
}

/** PUT /object/upload/sign/:bucket/*?token= — no JWT; uploads as the superuser with the token's owner and upsert. */
export async function uploadToSignedUrl(
  deps: StorageDeps,
  ctx: RequestContext,
  bucketId: string,
  name: string,
): Promise<Response> {
  const payload = await verify(deps.config.jwtSecret, ctx.query("token"), bucketId, name, "upload");
  ctx.anonymous();
  const row = await uploadFromRequest(deps, ctx, {
    bucketId,
    name,
    upsert: payload.upsert === true,
    owner: typeof payload.owner === "string" ? payload.owner : undefined,
    operation: "storage.object.upload_signed",
    asSuperUser: true,
  });
  return json({ Key: `${row.bucket_id}/${row.name}` });
}
