// Who may run the dispatcher: a bearer equal to PUSH_DISPATCH_SECRET or the service role key, compared in
// constant time (SHA-256 of both, then every byte), so the answer time says nothing about the secret.

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
}

/** Equal strings, in time that depends on neither. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** True when `Authorization: Bearer <value>` carries one of the allowed secrets (all compared, always). */
export async function isAuthorized(authorization: string | null, secrets: string[]): Promise<boolean> {
  const match = /^Bearer (.+)$/.exec(authorization ?? "");
  if (!match || secrets.length === 0) return false;
  const results = await Promise.all(secrets.map((s) => constantTimeEqual(match[1]!, s)));
  return results.includes(true);
}
