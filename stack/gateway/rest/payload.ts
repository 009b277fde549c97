// Request bodies PostgREST accepts besides JSON: text/csv (header row = columns) and x-www-form-urlencoded; both become JSON text.
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

/** JSON text for the body, converting CSV and form bodies; other media types are a PGRST102 like PostgREST's. */
export function bodyAsJson(contentType: string | null, raw: string): string {
  const type = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type === "" || type.endsWith("+json")) return raw;
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

/** For RPC: the parameter type a raw body is passed as (text/plain → text, text/xml → xml, octet-stream → bytea), else undefined. */
export function rawRpcBody(contentType: string | null): "text" | "xml" | "bytea" | undefined {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/plain") return "text";
  if (type === "text/xml") return "xml";
  if (type === "application/octet-stream") return "bytea";
  return undefined;
}
