// The db:diff styler changes how generated SQL is spelled, never what it means.
import { describe, expect, it } from "vitest";
import { styleSql } from "../../scripts/schema/sql-style.ts";

const keywords = new Set(["user", "order", "select", "table"]);

describe("styleSql", () => {
  it("lower-cases keywords and drops quotes around plain lower-case identifiers", () => {
    expect(styleSql(`CREATE TABLE "parley"."messages" ("id" uuid NOT NULL);`, keywords)).toBe(
      `create table parley.messages (id uuid not null);`,
    );
  });

  it("keeps quotes an identifier needs: upper case, odd characters, keywords", () => {
    expect(styleSql(`SELECT "Mixed", "has space", "user", "order" FROM "t";`, keywords)).toBe(
      `select "Mixed", "has space", "user", "order" from t;`,
    );
  });

  it("copies string literals, dollar-quoted bodies and comments byte for byte", () => {
    const sql =
      `COMMENT ON TABLE "t" IS 'Say ''HELLO'' -- NOT A COMMENT';\n` +
      `CREATE FUNCTION "f"() RETURNS int AS $function$ BEGIN RETURN 1; END $function$;\n-- KEEP THIS\n/* AND THIS */`;
    expect(styleSql(sql, keywords)).toBe(
      `comment on table t is 'Say ''HELLO'' -- NOT A COMMENT';\n` +
        `create function f() returns int as $function$ BEGIN RETURN 1; END $function$;\n-- KEEP THIS\n/* AND THIS */`,
    );
  });

  it("reads E'' strings with backslash escapes to their real end", () => {
    expect(styleSql(`SELECT E'IT\\'S' AS "X", 'A' AS "b";`, keywords)).toBe(`select e'IT\\'S' as "X", 'A' as b;`);
  });

  it("writes a grant of every table privilege as grant all", () => {
    expect(
      styleSql(
        `GRANT DELETE, INSERT, MAINTAIN, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLE "parley"."calls" TO "service_role";`,
        keywords,
      ),
    ).toBe(`grant all on table parley.calls to service_role;`);
  });
});
