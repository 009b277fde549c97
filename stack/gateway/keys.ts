// Key translation exactly as the CLI's Kong does it: sb_ keys become the legacy role JWTs.
import type { StackConfig } from "../config.ts";

/**
 * Computes the upstream Authorization header from the request's `apikey` and `Authorization`
 * (rules 1–5 of the CLI gateway). Returns undefined when no Authorization should be sent.
 */
export function upstreamAuthorization(
  apikey: string | null | undefined,
  authorization: string | null | undefined,
  config: Pick<StackConfig, "secretKey" | "publishableKey" | "serviceRoleKey" | "anonKey">,
): string | undefined {
  if (authorization && !/^Bearer sb_/i.test(authorization)) return authorization;
  if (apikey === config.secretKey) return `Bearer ${config.serviceRoleKey}`;
  if (apikey === config.publishableKey) return `Bearer ${config.anonKey}`;
  if (apikey) return apikey;
  return undefined;
}
