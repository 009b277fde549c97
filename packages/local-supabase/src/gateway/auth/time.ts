// Timestamps rendered as GoTrue's Go encoder renders them (RFC 3339, trailing fractional zeros trimmed).

/** SQL expression turning a timestamptz column into `YYYY-MM-DDTHH:MM:SS.ffffffZ` text (or null). */
export const ts = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Trims the microseconds as Go's RFC3339Nano does: `.120000Z` → `.12Z`, `.000000Z` → `Z`. */
export function goTime(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  return text.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : "Z"));
}
