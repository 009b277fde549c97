// Parley's own folder: the project the scripts and tests work on (supabase/, functions/, docs/, …).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PARLEY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
