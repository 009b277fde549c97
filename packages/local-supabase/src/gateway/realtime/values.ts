// Text values from logical decoding to the JSON Realtime sends (what `to_jsonb(value::type)` gives).

const INTEGER = new Set(["int2", "int4", "int8", "oid"]);
const FLOAT = new Set(["float4", "float8", "numeric"]);

/**
 * Converts one column value. Numbers, booleans and json become JSON values; timestamps take the
 * ISO `T` separator (timestamptz also a `+00:00` offset); everything else, arrays included, stays
 * text, which realtime-js converts by the column type it is told.
 */
export function toJsonValue(type: string, text: string | null): unknown {
  if (text === null) return null;
  if (INTEGER.has(type) || FLOAT.has(type)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (type === "bool") return text === "t" || text === "true";
  if (type === "json" || type === "jsonb") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type === "timestamp") return text.replace(" ", "T");
  if (type === "timestamptz") return text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  return text;
}
