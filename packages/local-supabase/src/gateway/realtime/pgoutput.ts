// Decoder for PostgreSQL's logical replication protocol (pgoutput, proto_version 1), text-format tuples.

export interface Column {
  name: string;
  typeOid: number;
  /** Part of the replica identity key. */
  key: boolean;
}

export interface Relation {
  oid: number;
  schema: string;
  table: string;
  /** d = default (primary key), f = full, i = index, n = nothing. */
  replicaIdentity: string;
  columns: Column[];
}

/** A tuple's values as text; null = SQL NULL; undefined = unchanged TOAST value (not sent). */
export type Tuple = Array<string | null | undefined>;

export type PgOutputMessage =
  | { tag: "begin"; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: "commit"; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: "relation"; relation: Relation }
  | { tag: "insert"; relationOid: number; tuple: Tuple }
  | { tag: "update"; relationOid: number; old?: { kind: "key" | "full"; tuple: Tuple }; tuple: Tuple }
  | { tag: "delete"; relationOid: number; old: { kind: "key" | "full"; tuple: Tuple } }
  | { tag: "other"; code: string };

class Reader {
  at = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf.readUInt8(this.at++);
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.at);
    this.at += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.at);
    const s = this.buf.toString("utf8", this.at, end);
    this.at = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  tuple(): Tuple {
    const n = this.i16();
    const out: Tuple = [];
    for (let i = 0; i < n; i++) {
      const kind = String.fromCharCode(this.u8());
      if (kind === "n") out.push(null);
      else if (kind === "u") out.push(undefined);
      else out.push(this.bytes(this.i32()).toString("utf8")); // 't' (and 'b', unused: text mode)
    }
    return out;
  }
}

/** Decodes one pgoutput message. */
export function decodePgOutput(buf: Buffer): PgOutputMessage {
  const r = new Reader(buf);
  const code = String.fromCharCode(r.u8());
  switch (code) {
    case "B":
      return { tag: "begin", finalLsn: r.i64(), commitTime: r.i64(), xid: r.i32() };
    case "C": {
      r.u8(); // flags
      return { tag: "commit", commitLsn: r.i64(), endLsn: r.i64(), commitTime: r.i64() };
    }
    case "R": {
      const oid = r.u32();
      const schema = r.cstring();
      const table = r.cstring();
      const replicaIdentity = String.fromCharCode(r.u8());
      const n = r.i16();
      const columns: Column[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        const name = r.cstring();
        const typeOid = r.u32();
        r.i32(); // typmod
        columns.push({ name, typeOid, key: (flags & 1) === 1 });
      }
      return { tag: "relation", relation: { oid, schema, table, replicaIdentity, columns } };
    }
    case "I": {
      const relationOid = r.u32();
      r.u8(); // 'N'
      return { tag: "insert", relationOid, tuple: r.tuple() };
    }
    case "U": {
      const relationOid = r.u32();
      let kind = String.fromCharCode(r.u8());
      let old: { kind: "key" | "full"; tuple: Tuple } | undefined;
      if (kind === "K" || kind === "O") {
        old = { kind: kind === "K" ? "key" : "full", tuple: r.tuple() };
        kind = String.fromCharCode(r.u8()); // 'N'
      }
      return { tag: "update", relationOid, old, tuple: r.tuple() };
    }
    case "D": {
      const relationOid = r.u32();
      const kind = String.fromCharCode(r.u8());
      return { tag: "delete", relationOid, old: { kind: kind === "K" ? "key" : "full", tuple: r.tuple() } };
    }
    default:
      return { tag: "other", code };
  }
}

/** pgoutput timestamps are microseconds since 2000-01-01 UTC. */
export function pgTimeToDate(us: bigint): Date {
  return new Date(Number(us / 1000n) + 946_684_800_000);
}
