// `npm run docs:schema`: regenerates docs/schema.md, the map of supabase/schemas/ and supabase/migrations/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PARLEY_ROOT } from "./paths.ts";
import { formatSchemaMap, SCHEMA_MAP_FILE } from "./docs/schema-map.ts";

writeFileSync(join(PARLEY_ROOT, SCHEMA_MAP_FILE), formatSchemaMap(PARLEY_ROOT));
console.log(`wrote ${SCHEMA_MAP_FILE}`);
