// @parley/local-supabase: what a project, its scripts and its tests use of the local stack.
export { loadConfig, type LoadOptions, type StackConfig } from "./config.ts";
export { startStack, statusOf, type RunningStack, type StartStackOptions } from "./stack.ts";
export { startGateway, type Gateway, type GatewayOptions } from "./gateway/server.ts";
export type { RealtimeService } from "./gateway/realtime/index.ts";
export type { Log } from "./gateway/types.ts";
export { logFor } from "./log.ts";
export { freePort, isPortFree } from "./postgres/port.ts";
export { startPostgres, type PostgresHandle, type StartPostgresOptions } from "./postgres/runner.ts";
export { applyMigrations, applyPlatform, SUPABASE_CLI } from "./postgres/apply.ts";
export { seedFiles } from "./postgres/seed.ts";
export { embeddedExtensionDir } from "./postgres/extensions.ts";
export { signAccessToken, signJwt, type Claims } from "./gateway/jwt.ts";
export { privateKeyMaterial, type SigningJwk } from "./signing-keys.ts";
export { PACKAGE_ROOT } from "./paths.ts";
