// docs/schema.md is generated from the tree (scripts/docs/schema-map.ts): a schema file, table, RPC or migration
// added without `npm run docs:schema` fails here, so the map never drifts from what it maps.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSchemaMap, SCHEMA_MAP_FILE } from "../../scripts/docs/schema-map.ts";
import { PARLEY_ROOT } from "../../scripts/paths.ts";

describe("the schema map", () => {
  const fresh = formatSchemaMap(PARLEY_ROOT);

  it("is what `npm run docs:schema` writes from supabase/schemas and supabase/migrations now", () => {
    expect(readFileSync(join(PARLEY_ROOT, SCHEMA_MAP_FILE), "utf8")).toBe(fresh);
  });

  it("maps what is there (a broken scan must not pass by mapping nothing)", () => {
    expect(fresh).toContain("| `supabase/schemas/messages.sql` |");
    expect(fresh).toMatch(/\| `supabase\/schemas\/messages\.sql` \| [^|]+ \| `messages` \| [^|]*`send_message`/);
    expect(fresh).toMatch(/\| `supabase\/migrations\/\d{14}_install_parley\.sql` \| [^|]*`messages\.sql`/);
  });
});
