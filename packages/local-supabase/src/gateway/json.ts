// JSON helpers shared by the REST and Realtime services, for values that came from a client's body.
//
// V8's JSON.parse is iterative and takes any depth, but JSON.stringify recurses and throws RangeError
// ("Maximum call stack size exceeded") a few thousand levels down. The real services have no such limit:
// PostgREST parses with aeson (no depth limit) and hands the body to PostgreSQL, which decides (5,000 levels
// parse; past its max_stack_depth, ~12k levels with 2 MB, PostgreSQL raises 54001 and PostgREST answers
// 500); Realtime parses and re-encodes with Jason (no depth limit) and answers 202. So the gateway must carry
// deep values through rather than crash on them: stringifyJson falls back to an iterative encoder.

/** JSON.stringify for JSON-shaped data, at any depth (same text as JSON.stringify gives). */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    // A cycle or a BigInt is a TypeError, as from JSON.stringify; only the depth is handled here.
    if (!(e instanceof RangeError)) throw e;
    return stringifyIteratively(value);
  }
}

type Frame =
  | { kind: "array"; items: unknown[]; next: number }
  | { kind: "object"; source: Record<string, unknown>; keys: string[]; next: number; wrote: boolean };

/** What JSON.stringify would write for `value` under `key`, or undefined when it skips it (undefined, functions, symbols). */
function prepare(value: unknown, key: string): unknown {
  let v = value;
  if (
    v !== null &&
    (typeof v === "object" || typeof v === "bigint") &&
    typeof (v as { toJSON?: unknown }).toJSON === "function"
  ) {
    v = (v as { toJSON(k: string): unknown }).toJSON(key);
  }
  if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
  return v;
}

/** Scalar text, or undefined for a container. */
function scalar(v: unknown): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
    case "boolean":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "bigint":
      throw new TypeError("Do not know how to serialize a BigInt");
    default:
      return undefined;
  }
}

const skipped = (v: unknown) => v === undefined || typeof v === "function" || typeof v === "symbol";

function stringifyIteratively(root: unknown): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  /** Writes a scalar, or opens a container whose members the loop writes. */
  const emit = (v: unknown): void => {
    const s = scalar(v);
    if (s !== undefined) {
      out.push(s);
    } else if (Array.isArray(v)) {
      out.push("[");
      stack.push({ kind: "array", items: v, next: 0 });
    } else {
      out.push("{");
      const source = v as Record<string, unknown>;
      stack.push({ kind: "object", source, keys: Object.keys(source), next: 0, wrote: false });
    }
  };
  const top = prepare(root, "");
  if (skipped(top)) return undefined as unknown as string; // as JSON.stringify(undefined)
  emit(top);
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.kind === "array") {
      if (f.next >= f.items.length) {
        out.push("]");
        stack.pop();
        continue;
      }
      const i = f.next++;
      if (i > 0) out.push(",");
      const v = prepare(f.items[i], String(i));
      if (skipped(v)) out.push("null");
      else emit(v);
    } else {
      if (f.next >= f.keys.length) {
        out.push("}");
        stack.pop();
        continue;
      }
      const k = f.keys[f.next++]!;
      const v = prepare(f.source[k], k);
      if (skipped(v)) continue;
      if (f.wrote) out.push(",");
      f.wrote = true;
      out.push(JSON.stringify(k), ":");
      emit(v);
    }
  }
  return out.join("");
}

// Escaped surrogates (`\uD800`–`\uDFFF`); a decoded body holds none of its own, so only escapes can make one.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
// With the u flag a paired surrogate is one code point, so this matches only a lone half.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * True when a string in `value` (a key or a value) holds a lone UTF-16 surrogate, which JSON.parse accepts
 * from `"\ud800"` but no UTF-8 text can hold (aeson refuses such a body; node-postgres would send U+FFFD).
 * `raw` is the text it was parsed from: without a surrogate escape in it there is nothing to look for.
 */
export function hasLoneSurrogate(value: unknown, raw: string): boolean {
  if (!SURROGATE_ESCAPE.test(raw)) return false;
  const pending: unknown[] = [value];
  while (pending.length) {
    const v = pending.pop();
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) pending.push(item);
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as UTF-8 text, or undefined when its bytes are not UTF-8 (a raw surrogate ED A0 80 included). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
