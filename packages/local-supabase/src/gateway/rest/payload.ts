// Request bodies PostgREST accepts besides JSON: text/csv (header row = columns) and x-www-form-urlencoded; both become JSON text.
// JSON bodies are refused as PostgREST's aeson refuses them: bytes that are not UTF-8, lone surrogates.
import { decodeUtf8, hasLoneSurrogate } from "../json.ts";
import { errors } from "./errors.ts";

/** Parses CSV with RFC 4180 quoting; an unquoted `NULL` is SQL null, as PostgREST reads it. */
function parseCsv(text: string): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = [];
  let row: Array<string | null> = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  const endField = () => {
    row.push(!wasQuoted && field === "NULL" ? null : field);
    field = "";
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === ",") endField();
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endField();
      rows.push(row);
      row = [];
    } else field += ch;
  }
  if (quoted) throw errors.invalidBody("Error in $: unterminated quoted CSV field");
  if (field !== "" || wasQuoted || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

const lenientUtf8 = new TextDecoder("utf-8");

const isJsonType = (type: string) => type === "application/json" || type === "" || type.endsWith("+json");

/**
 * JSON text for the body, converting CSV and form bodies; other media types are a PGRST102 like PostgREST's.
 * A JSON body must be UTF-8: aeson refuses other bytes (a CESU-8 surrogate ED A0 80 among them) with
 * "Empty or invalid json", where decoding leniently would turn them into U+FFFD.
 */
export function bodyAsJson(contentType: string | null, bytes: Uint8Array): string {
  const type = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (isJsonType(type)) {
    const text = decodeUtf8(bytes);
    if (text === undefined) throw errors.invalidBody("Empty or invalid json");
    return text;
  }
  const raw = lenientUtf8.decode(bytes); // as Request.text() decodes
  if (type === "text/csv") {
    const [header, ...rest] = parseCsv(raw);
    if (!header) return "[]";
    const objects = rest.map((r) => {
      if (r.length !== header.length) throw errors.invalidBody("All lines must have same number of fields");
      return Object.fromEntries(header.map((h, i) => [h ?? "", r[i] ?? null]));
    });
    return JSON.stringify(objects);
  }
  if (type === "application/x-www-form-urlencoded") return JSON.stringify(Object.fromEntries(new URLSearchParams(raw)));
  throw errors.invalidBody(`Content-Type not acceptable: ${contentType}`);
}

/**
 * Parses a JSON body as PostgREST's aeson does: invalid JSON, and a string (key or value) with a lone UTF-16
 * surrogate (`"\ud800"`, which JSON.parse accepts but no UTF-8 text can hold), are PGRST102
 * "Empty or invalid json" — never a U+FFFD written in their place.
 */
export function parseJsonBody(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw errors.invalidBody("Empty or invalid json");
  }
  if (hasLoneSurrogate(value, raw)) throw errors.invalidBody("Empty or invalid json");
  return value;
}

/** For RPC: the parameter type a raw body is passed as (text/plain → text, text/xml → xml, octet-stream → bytea), else undefined. */
export function rawRpcBody(contentType: string | null): "text" | "xml" | "bytea" | undefined {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/plain") return "text";
  if (type === "text/xml") return "xml";
  if (type === "application/octet-stream") return "bytea";
  return undefined;
}
