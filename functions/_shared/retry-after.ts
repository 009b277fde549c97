// When to retry a rate-limited request, read from a PT429 refusal. Shared by the functions and the client
// SDK (client/errors.ts), so it imports nothing: Node and Deno both load it as it is.

/** `retry_after` (whole seconds) from a PT429 refusal's details, `{"retry_after": 3, …}`; undefined when absent. */
export function retryAfterOf(details: string | null | undefined): number | undefined {
  if (!details) return undefined;
  try {
    const parsed: unknown = JSON.parse(details);
    if (parsed && typeof parsed === "object" && "retry_after" in parsed) {
      const value = (parsed as { retry_after: unknown }).retry_after;
      if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.ceil(value);
    }
  } catch {
    // not JSON: no retry time
  }
  return undefined;
}
