// `npm run advisors`: the Supabase CLI's advisors against the running local database (`npm run dev`),
// or DATABASE_URL; exits non-zero on any finding at warning level.
import { PARLEY_ROOT } from "./paths.ts";
import { runAdvisors } from "./test/advisors-run.ts";

const dbUrl =
  process.env.DATABASE_URL ??
  `postgresql://postgres:postgres@127.0.0.1:${process.env.PARLEY_DB_PORT ?? "54322"}/postgres`;
const result = await runAdvisors({ root: PARLEY_ROOT, dbUrl, print: (l) => process.stdout.write(`${l}\n`) });
process.exit(result.failed ? 1 : 0);
