// The gateway's one routing helper: an ordered table of (methods, path pattern, handler). The first route whose
// pattern and method match wins, so static routes are listed before the parameter routes they would shadow.
//
// Patterns: `/bucket/:id` (a parameter: one non-empty segment, still percent-encoded), `/object/:bucket/*` (the
// rest of the path, non-empty, slashes included: params["*"]), and a final `/?` for an optional trailing slash.

export type Params = Record<string, string>;

export interface Match<H> {
  handler: H;
  params: Params;
}

interface Route<H> {
  /** Upper-case methods; null for any. */
  methods: ReadonlySet<string> | null;
  pattern: RegExp;
  names: string[];
  handler: H;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Compiles a pattern to a regular expression and its parameter names. */
export function compilePattern(pattern: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const optionalSlash = pattern.endsWith("/?");
  const body = optionalSlash ? pattern.slice(0, -2) : pattern;
  const source = body
    .split("/")
    .map((segment) => {
      if (segment === "*") {
        names.push("*");
        return "(.+)";
      }
      if (segment.startsWith(":")) {
        names.push(segment.slice(1));
        return "([^/]+)";
      }
      return escape(segment);
    })
    .join("/");
  return { pattern: new RegExp(`^${source}${optionalSlash ? "/?" : ""}$`), names };
}

export class Routes<H> {
  private readonly routes: Route<H>[] = [];

  /** Adds a route; `methods` is one method, several, or "*" for any. */
  on(methods: string | readonly string[], pattern: string, handler: H): this {
    const list = typeof methods === "string" ? [methods] : methods;
    const { pattern: re, names } = compilePattern(pattern);
    this.routes.push({
      methods: list.includes("*") ? null : new Set(list.map((m) => m.toUpperCase())),
      pattern: re,
      names,
      handler,
    });
    return this;
  }

  /** The first route for this method and path, with its parameters; undefined when none matches. */
  match(method: string, path: string): Match<H> | undefined {
    const m = method.toUpperCase();
    for (const r of this.routes) {
      if (r.methods && !r.methods.has(m)) continue;
      const hit = r.pattern.exec(path);
      if (hit) return { handler: r.handler, params: Object.fromEntries(r.names.map((n, i) => [n, hit[i + 1]!])) };
    }
    return undefined;
  }

  /** The methods routes take at this path (empty when no route has it): for a 405 and its `Allow`. */
  allowed(path: string): string[] {
    const out = new Set<string>();
    for (const r of this.routes) if (r.pattern.test(path)) for (const m of r.methods ?? ["*"]) out.add(m);
    return [...out];
  }
}
