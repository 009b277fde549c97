// Request headers PostgREST interprets: Prefer, Accept (media type), Range, and the profile headers.
import { errors } from "./errors.ts";

export interface Preferences {
  return?: "minimal" | "representation" | "headers-only";
  count?: "exact" | "planned" | "estimated";
  resolution?: "merge-duplicates" | "ignore-duplicates";
  missing?: "default" | "null";
  handling?: "strict" | "lenient";
  maxAffected?: number;
  tx?: "commit" | "rollback";
  timezone?: string;
  /** Preferences as given, for Preference-Applied. */
  applied: string[];
}

const KNOWN: Record<string, string[] | null> = {
  return: ["minimal", "representation", "headers-only"],
  count: ["exact", "planned", "estimated"],
  resolution: ["merge-duplicates", "ignore-duplicates"],
  missing: ["default", "null"],
  handling: ["strict", "lenient"],
  tx: ["commit", "rollback"],
  "max-affected": null,
  timezone: null,
};

/** Parses every `Prefer` header (`a=b, c=d`); with `handling=strict` unknown ones are a PGRST122. */
export function parsePrefer(header: string | null): Preferences {
  const prefs: Preferences = { applied: [] };
  const invalid: string[] = [];
  for (const raw of (header ?? "").split(",")) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq).trim();
    const value = eq < 0 ? "" : item.slice(eq + 1).trim();
    const allowed = KNOWN[key];
    if (allowed === undefined || (allowed && !allowed.includes(value))) {
      invalid.push(item);
      continue;
    }
    switch (key) {
      case "return":
        prefs.return = value as Preferences["return"];
        break;
      case "count":
        prefs.count = value as Preferences["count"];
        break;
      case "resolution":
        prefs.resolution = value as Preferences["resolution"];
        break;
      case "missing":
        prefs.missing = value as Preferences["missing"];
        break;
      case "handling":
        prefs.handling = value as Preferences["handling"];
        break;
      case "tx":
        prefs.tx = value as Preferences["tx"];
        break;
      case "max-affected":
        if (/^\d+$/.test(value)) prefs.maxAffected = Number(value);
        else invalid.push(item);
        break;
      case "timezone":
        prefs.timezone = value;
        break;
    }
  }
  if (prefs.handling === "strict" && invalid.length) throw errors.strictPrefs(invalid);
  return prefs;
}

export type Media = "json" | "object" | "csv";

/** First acceptable media type of `Accept`, or PGRST107. */
export function negotiate(accept: string | null): { media: Media; stripNulls: boolean } {
  if (!accept || !accept.trim()) return { media: "json", stripNulls: false };
  const items = accept
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    const [typeRaw, ...paramList] = item.split(";").map((s) => s.trim());
    const type = (typeRaw ?? "").toLowerCase();
    const stripNulls = paramList.some((p) => p.replaceAll(" ", "") === "nulls=stripped");
    switch (type) {
      case "*/*":
      case "application/*":
      case "application/json":
      case "application/vnd.pgrst.array+json":
        return { media: "json", stripNulls };
      case "application/vnd.pgrst.object+json":
      case "application/vnd.pgrst.object":
        return { media: "object", stripNulls };
      case "text/csv":
      case "text/*":
        return { media: "csv", stripNulls: false };
    }
  }
  throw errors.notAcceptable(accept);
}

/** `Range: a-b` / `a-` → offset and limit (GET only); invalid ranges are a 416. */
export function parseRange(header: string | null): { offset: number; limit?: number } | undefined {
  if (!header) return undefined;
  const m = /^\s*(?:items=)?(\d+)-(\d*)\s*$/.exec(header);
  if (!m) return undefined;
  const from = Number(m[1]);
  if (m[2] === "") return { offset: from };
  const to = Number(m[2]);
  if (to < from) throw errors.range(null);
  return { offset: from, limit: to - from + 1 };
}

/** The schema named by Accept-Profile (reads) or Content-Profile (writes), validated against the exposed list. */
export function pickSchema(method: string, headers: Headers, exposed: string[]): string {
  const h = method === "GET" || method === "HEAD" ? headers.get("accept-profile") : headers.get("content-profile");
  if (!h) return exposed[0]!;
  if (!exposed.includes(h)) throw errors.invalidSchema(h, exposed);
  return h;
}
