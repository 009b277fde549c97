// Results: the shapes stages return, the readable table, and the one-line JSON object.

/** A target a headline figure must meet. */
export interface Target {
  op: ">=" | "<=" | "=";
  value: number;
}

/** One headline figure: a ratio, a latency or a count; a string when it could not be measured. */
export interface Metric {
  key: string;
  value: number | string;
  unit: "ratio" | "ms" | "count" | "percent" | "per_second";
  target?: Target;
  /** The raw figures behind it, for the table (e.g. "send 812 msg/s / raw insert 1,204 msg/s"). */
  detail: string;
}

export interface StageOutput {
  metrics: Metric[];
  /** Raw figures, flat, copied into the JSON beside the metrics (numbers, or strings for context). */
  figures: Record<string, number | string>;
}

export const notAvailable = (reason: string): string => `not available: ${reason}`;

/** true / false when the metric has a target and a number, null otherwise. */
export function meets(m: Metric): boolean | null {
  if (!m.target || typeof m.value !== "number") return null;
  const { op, value } = m.target;
  return op === ">=" ? m.value >= value : op === "<=" ? m.value <= value : m.value === value;
}

const fmt = (m: Metric): string => {
  if (typeof m.value === "string") return m.value.startsWith("not available") ? "n/a" : m.value.split(":")[0]!;
  if (m.unit === "percent") return `${m.value.toFixed(1)} %`;
  if (m.unit === "per_second") return `${m.value.toFixed(0)} /s`;
  return m.unit === "ratio" ? m.value.toFixed(2) : m.unit === "ms" ? `${m.value.toFixed(1)} ms` : String(m.value);
};

/** The table printed at the end of a run. */
export function table(metrics: Metric[]): string {
  const rows = metrics.map((m) => {
    const ok = meets(m);
    // A figure that could not be measured shows "n/a" and its reason where the raw figures would be.
    const detail = typeof m.value === "string" ? m.value : m.detail;
    return [
      m.key,
      fmt(m),
      m.target ? `${m.target.op} ${m.target.value}` : "",
      ok === null ? "" : ok ? "yes" : "NO",
      detail,
    ];
  });
  const head = ["metric", "value", "target", "met", "measured"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The one JSON object of --json: every metric by key, every raw figure beside it, targets and context. */
export function json(outputs: StageOutput[], context: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  const targetsMet: Record<string, boolean | null> = {};
  for (const o of outputs) {
    for (const m of o.metrics) {
      out[m.key] = m.value;
      if (m.target) targetsMet[m.key] = meets(m);
    }
    Object.assign(out, o.figures);
  }
  out.targets_met = targetsMet;
  Object.assign(out, context);
  return JSON.stringify(out);
}
