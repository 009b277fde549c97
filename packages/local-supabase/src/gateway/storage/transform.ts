// Image transformation options as Storage reads them (query string, signed-URL `transform`, the token's
// `transformations` string) and as its imgproxy renderer applies them — here with sharp instead of imgproxy.
import sharp from "sharp";
import { ERRORS, StorageError } from "./errors.ts";

// libvips caches operations and keeps input files open; Storage's imgproxy fetches each source afresh, so the stack
// keeps no cache either (nothing holds a removed or replaced object's file open).
sharp.cache(false);

/** Storage's TransformOptions (src/storage/renderer/image.ts). */
export interface TransformOptions {
  width?: number;
  height?: number;
  resize?: "cover" | "contain" | "fill";
  format?: "origin" | "avif" | "webp";
  quality?: number;
  gravity?: Gravity;
  x_offset?: number;
  y_offset?: number;
}

const GRAVITIES = ["no", "so", "ea", "we", "noea", "nowe", "soea", "sowe", "ce", "sm", "fp"] as const;
type Gravity = (typeof GRAVITIES)[number];
const RESIZES = ["cover", "contain", "fill"] as const;
const FORMATS = ["origin", "avif", "webp"] as const;

/** IMG_LIMITS_MIN_SIZE / IMG_LIMITS_MAX_SIZE defaults: requested sizes are clamped into this range. */
const SIZE = { min: 1, max: 2000 };
/** imgproxy's default quality (IMGPROXY_QUALITY). */
const DEFAULT_QUALITY = 80;

const oneOf = <T extends string>(values: readonly T[], v: unknown): v is T =>
  typeof v === "string" && (values as readonly string[]).includes(v);

/**
 * Validates options as Storage's transformationOptionsSchema does (Ajv with type coercion, so query strings count),
 * naming the failing field the way Fastify words it (`querystring/width must be integer`).
 */
export function parseTransform(
  raw: Record<string, unknown>,
  where: "querystring" | "body/transform",
): TransformOptions {
  const out: TransformOptions = {};
  const int = (field: "width" | "height" | "quality", min: number, max?: number) => {
    const v = raw[field];
    if (v === undefined) return;
    const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n)) throw ERRORS.invalidRequest(`${where}/${field} must be integer`);
    if (n < min) throw ERRORS.invalidRequest(`${where}/${field} must be >= ${min}`);
    if (max !== undefined && n > max) throw ERRORS.invalidRequest(`${where}/${field} must be <= ${max}`);
    out[field] = n;
  };
  int("width", 0);
  int("height", 0);
  int("quality", 20, 100);
  const pick = <T extends string>(field: "resize" | "format" | "gravity", values: readonly T[]): T | undefined => {
    const v = raw[field];
    if (v === undefined) return undefined;
    if (!oneOf(values, v)) throw ERRORS.invalidRequest(`${where}/${field} must be equal to one of the allowed values`);
    return v;
  };
  const resize = pick("resize", RESIZES);
  if (resize) out.resize = resize;
  const format = pick("format", FORMATS);
  if (format) out.format = format;
  const gravity = pick("gravity", GRAVITIES);
  if (gravity) out.gravity = gravity;
  for (const field of ["x_offset", "y_offset"] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw ERRORS.invalidRequest(`${where}/${field} must be number`);
    out[field] = n;
  }
  if (out.gravity === "fp") {
    for (const field of ["x_offset", "y_offset"] as const) {
      if (out[field] === undefined) throw ERRORS.invalidRequest(`${where} must have required property '${field}'`);
      if (out[field] < 0 || out[field] > 1) throw ERRORS.invalidRequest(`${where}/${field} must be <= 1`);
    }
  }
  return out;
}

const clamp = (n: number) => Math.min(Math.max(n, SIZE.min), SIZE.max);

/**
 * Storage's ImageRenderer.applyTransformation: the imgproxy segments (sent back as X-Transformations), or with
 * `keepOriginal` the form signed into a token's `transformations` claim (`resize:<option>`).
 */
export function transformSegments(o: TransformOptions, keepOriginal = false): string[] {
  const s: string[] = [];
  if (o.height) s.push(`height:${clamp(o.height)}`);
  if (o.width) s.push(`width:${clamp(o.width)}`);
  if (o.width || o.height) s.push(keepOriginal ? `resize:${o.resize}` : `resizing_type:${resizingType(o.resize)}`);
  if (o.quality) s.push(`quality:${o.quality}`);
  if (o.format && o.format !== "origin") s.push(`format:${o.format}`);
  if (o.gravity === "sm") s.push("gravity:sm");
  else if (o.gravity === "fp") s.push(`gravity:fp:${o.x_offset}:${o.y_offset}`);
  else if (o.gravity)
    s.push(
      o.x_offset === undefined && o.y_offset === undefined
        ? `gravity:${o.gravity}`
        : `gravity:${o.gravity}:${o.x_offset ?? 0}:${o.y_offset ?? 0}`,
    );
  return s;
}

/** cover → imgproxy `fill`, contain → `fit`, fill → `force`; anything else → `fill`. */
function resizingType(resize: string | undefined): "fill" | "fit" | "force" {
  return resize === "contain" ? "fit" : resize === "fill" ? "force" : "fill";
}

/** Storage's setTransformationsFromString: reads a signed token's `transformations` back (unknown values ignored). */
export function transformFromString(text: string): TransformOptions {
  const o: TransformOptions = {};
  for (const param of text.split(",")) {
    const [name, value, x, y] = param.split(":");
    if (value === undefined || value === "") continue;
    if (name === "height" || name === "width" || name === "quality") o[name] = parseInt(value, 10);
    else if (name === "resize" && oneOf(RESIZES, value)) o.resize = value;
    else if (name === "format" && oneOf(FORMATS, value)) o.format = value;
    else if (name === "gravity" && oneOf(GRAVITIES, value)) {
      o.gravity = value;
      if (x !== undefined && x !== "" && Number.isFinite(parseFloat(x))) o.x_offset = parseFloat(x);
      if (y !== undefined && y !== "" && Number.isFinite(parseFloat(y))) o.y_offset = parseFloat(y);
    }
  }
  return o;
}

const SHARP_GRAVITY: Record<Exclude<Gravity, "sm" | "fp">, string> = {
  no: "north",
  so: "south",
  ea: "east",
  we: "west",
  noea: "northeast",
  nowe: "northwest",
  soea: "southeast",
  sowe: "southwest",
  ce: "centre",
};

export interface Rendered {
  body: Buffer;
  mimetype: string;
}

/**
 * Renders the image at `file` as imgproxy would for Storage: never enlarged, auto-rotated, metadata stripped; with
 * no explicit format the result is WebP when `accept` allows it (imgproxy's WebP detection, on in the CLI) and the
 * source format otherwise. A source sharp cannot read is Storage's 400 "invalid or unsupported" error.
 */
export async function renderImage(file: string, o: TransformOptions, accept: string | undefined): Promise<Rendered> {
  try {
    let img = sharp(file, { failOn: "error" }).rotate();
    const meta = await img.metadata();
    if (o.width || o.height) {
      const type = resizingType(o.resize);
      const gravity =
        o.gravity === "sm"
          ? sharp.strategy.attention
          : o.gravity && o.gravity !== "fp"
            ? SHARP_GRAVITY[o.gravity]
            : "centre";
      img = img.resize({
        width: o.width ? clamp(o.width) : undefined,
        height: o.height ? clamp(o.height) : undefined,
        fit: type === "fill" ? "cover" : type === "fit" ? "inside" : "fill",
        position: gravity,
        withoutEnlargement: true,
      });
    }
    const source = meta.format ?? "png";
    const target =
      o.format === "webp" || o.format === "avif"
        ? o.format
        : o.format !== "origin" && accept?.includes("image/webp")
          ? "webp"
          : source;
    const quality = o.quality ?? DEFAULT_QUALITY;
    switch (target) {
      case "webp":
        img = img.webp({ quality });
        break;
      case "avif":
        img = img.avif({ quality });
        break;
      case "jpeg":
        img = img.jpeg({ quality });
        break;
      case "png":
        img = img.png();
        break;
      case "gif":
        img = img.gif();
        break;
      default:
        img = img.png();
    }
    const { data, info } = await img.toBuffer({ resolveWithObject: true });
    return { body: data, mimetype: `image/${info.format === "heif" ? "avif" : info.format}` };
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw ERRORS.invalidRequest("The source image is invalid or unsupported for rendering");
  }
}
