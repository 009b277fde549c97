// Go's time.ParseDuration for `ban_duration` ("300ms", "1.5h", "2h45m"), in seconds.

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Parses a Go duration string into seconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length) {
    const m = part.exec(s);
    if (!m?.[1] || !m[2]) return undefined;
    total += Number(m[1]) * (UNITS[m[2]] ?? 0);
    s = s.slice(m[0].length);
  }
  return sign * total;
}
