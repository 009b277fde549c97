// pgoutput (logical replication protocol version 1) decoded from bytes laid out as PostgreSQL sends them.
import { describe, expect, it } from "vitest";
import { decodePgOutput, pgTimeToDate } from "./pgoutput.ts";

/** Builds a message byte by byte, in the protocol's big-endian layout. */
class Bytes {
  private parts: Buffer[] = [];
  char(c: string) {
    this.parts.push(Buffer.from(c, "latin1"));
    return this;
  }
  u8(n: number) {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  i16(n: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  i32(n: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  u32(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }
  i64(n: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    this.parts.push(b);
    return this;
  }
  cstring(s: string) {
    this.parts.push(Buffer.from(s, "utf8"), Buffer.from([0]));
    return this;
  }
  /** TupleData: 'n' null, 'u' unchanged TOAST, else 't' with the text value. */
  tuple(values: Array<string | null | undefined>) {
    this.i16(values.length);
    for (const v of values) {
      if (v === null) this.char("n");
      else if (v === undefined) this.char("u");
      else {
        const text = Buffer.from(v, "utf8");
        this.char("t").i32(text.length);
        this.parts.push(text);
      }
    }
    return this;
  }
  get buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const OID = 16_384;

describe("decodePgOutput", () => {
  it("decodes Begin and Commit with their LSNs, times and xid", () => {
    expect(decodePgOutput(new Bytes().char("B").i64(0x16b3748n).i64(789_000_000n).i32(742).buffer)).toEqual({
      tag: "begin",
      finalLsn: 0x16b3748n,
      commitTime: 789_000_000n,
      xid: 742,
    });
    expect(decodePgOutput(new Bytes().char("C").u8(0).i64(10n).i64(20n).i64(30n).buffer)).toEqual({
      tag: "commit",
      commitLsn: 10n,
      endLsn: 20n,
      commitTime: 30n,
    });
  });

  it("decodes a Relation: schema, table, replica identity and columns with their key flag", () => {
    const bytes = new Bytes()
      .char("R")
      .u32(OID)
      .cstring("public")
      .cstring("notes")
      .char("d")
      .i16(2)
      .u8(1)
      .cstring("id")
      .u32(20)
      .i32(-1)
      .u8(0)
      .cstring("body")
      .u32(25)
      .i32(-1);
    expect(decodePgOutput(bytes.buffer)).toEqual({
      tag: "relation",
      relation: {
        oid: OID,
        schema: "public",
        table: "notes",
        replicaIdentity: "d",
        columns: [
          { name: "id", typeOid: 20, key: true },
          { name: "body", typeOid: 25, key: false },
        ],
      },
    });
  });

  it("decodes Insert tuples: text values (UTF-8), SQL NULL, unchanged TOAST", () => {
    const bytes = new Bytes().char("I").u32(OID).char("N").tuple(["1", "héllo 👋", null, undefined]);
    expect(decodePgOutput(bytes.buffer)).toEqual({
      tag: "insert",
      relationOid: OID,
      tuple: ["1", "héllo 👋", null, undefined],
    });
  });

  it("decodes Update with and without the old row (key or full replica identity)", () => {
    expect(decodePgOutput(new Bytes().char("U").u32(OID).char("N").tuple(["1", "new"]).buffer)).toEqual({
      tag: "update",
      relationOid: OID,
      old: undefined,
      tuple: ["1", "new"],
    });
    const withKey = new Bytes().char("U").u32(OID).char("K").tuple(["1", null]).char("N").tuple(["2", "x"]);
    expect(decodePgOutput(withKey.buffer)).toEqual({
      tag: "update",
      relationOid: OID,
      old: { kind: "key", tuple: ["1", null] },
      tuple: ["2", "x"],
    });
    const full = new Bytes().char("U").u32(OID).char("O").tuple(["1", "old"]).char("N").tuple(["1", "new"]);
    expect(decodePgOutput(full.buffer)).toMatchObject({ old: { kind: "full", tuple: ["1", "old"] } });
  });

  it("decodes Delete with the old key or the full old row", () => {
    expect(decodePgOutput(new Bytes().char("D").u32(OID).char("K").tuple(["7"]).buffer)).toEqual({
      tag: "delete",
      relationOid: OID,
      old: { kind: "key", tuple: ["7"] },
    });
    expect(decodePgOutput(new Bytes().char("D").u32(OID).char("O").tuple(["7", "gone"]).buffer)).toMatchObject({
      old: { kind: "full", tuple: ["7", "gone"] },
    });
  });

  it("names messages it does not decode (Truncate, Type, Origin) by their code", () => {
    expect(decodePgOutput(new Bytes().char("T").i32(1).u8(0).u32(OID).buffer)).toEqual({ tag: "other", code: "T" });
    expect(decodePgOutput(new Bytes().char("Y").u32(1).buffer)).toEqual({ tag: "other", code: "Y" });
  });
});

describe("pgTimeToDate", () => {
  it("reads microseconds since 2000-01-01 UTC", () => {
    expect(pgTimeToDate(0n).toISOString()).toBe("2000-01-01T00:00:00.000Z");
    expect(pgTimeToDate(86_400_000_000n + 1_500n).toISOString()).toBe("2000-01-02T00:00:00.001Z");
  });
});
