// Logical replication of the two Realtime publications through a temporary pgoutput slot, read in commit order.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Log } from "../types.ts";
import type { Replication } from "./core.ts";
import { decodePgOutput, pgTimeToDate, type PgOutputMessage, type Relation, type Tuple } from "./pgoutput.ts";

export type Row = Record<string, string | null | undefined>;

export interface Change {
  relation: Relation;
  /** Type name (pg_type.typname) of each column, in column order. */
  typeNames: string[];
  type: "INSERT" | "UPDATE" | "DELETE";
  /** The new row (INSERT, UPDATE); undefined values are unchanged TOAST columns. */
  record?: Row;
  /** The old row as logged: the key columns, or every column with REPLICA IDENTITY FULL. */
  old?: Row;
  oldKind?: "key" | "full";
}

/** The committed transaction a change belongs to. */
export interface CommitInfo {
  /** LSN of the commit record; changes arrive in increasing order of it (commit order). */
  commitLsn: bigint;
  commitTime: Date;
}

/** Called for each committed change, in commit order (and statement order within a transaction). */
export type ChangeHandler = (change: Change, tx: CommitInfo) => Promise<void> | void;

/** Broadcast from the database: always read. */
export const MESSAGES_PUBLICATION = "supabase_realtime_messages_publication";
/** Postgres Changes: read only while someone subscribes, so bulk writes nobody watches cost nothing here. */
export const CHANGES_PUBLICATION = "supabase_realtime";

/** Parses an LSN such as `16/B374D848`. */
export const parseLsn = (s: string): bigint => {
  const [hi, lo] = s.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PollerOptions {
  dbUrl: string;
  log: Log;
  /** Idle poll interval (the real server polls its slot every 100 ms). */
  intervalMs?: number;
  /** Wait between reconnection attempts while the database is unreachable (default 250 ms). */
  retryMs?: number;
}

/**
 * Reads committed changes from a temporary logical slot with `pg_logical_slot_get_binary_changes`.
 * The slot keeps every change committed after its creation until it is read, so nothing committed
 * while the stack runs is lost, and decoding yields transactions in commit order, each once.
 */
export class ReplicationPoller implements Replication {
  ready = false;
  private readonly handlers: ChangeHandler[] = [];
  private readyWaiters: Array<() => void> = [];
  private closed = false;
  private client: pg.Client | undefined;
  private readonly relations = new Map<number, Relation>();
  private readonly typeNames = new Map<number, string>();
  private current: CommitInfo | undefined;
  private loop: Promise<void> | undefined;
  private wantChanges: () => boolean = () => false;
  private changesWaiters: Array<() => void> = [];
  private readonly resumedHandlers: Array<() => void> = [];
  private broken = false;

  constructor(private readonly opts: PollerOptions) {}

  onChange(h: ChangeHandler): void {
    this.handlers.push(h);
  }

  /**
   * Runs `fn` each time the stream is up again after it broke (the database restarted, the connection
   * dropped). The slot is temporary, so what committed while it was down was never decoded: whoever
   * listens must be told to catch up.
   */
  onResumed(fn: () => void): void {
    this.resumedHandlers.push(fn);
  }

  onReady(fn: () => void): void {
    if (this.ready) fn();
    else this.readyWaiters.push(fn);
  }

  /** Tells the poller when Postgres Changes are wanted (the `supabase_realtime` publication is read). */
  setWantChanges(fn: () => boolean): void {
    this.wantChanges = fn;
  }

  /**
   * Resolves once a poll that reads the `supabase_realtime` publication has started. Every
   * transaction committing after that moment is decoded with it, so a subscription that records the
   * WAL position after this resolves misses nothing committed after that position.
   */
  changesCovered(): Promise<void> {
    return new Promise((resolve) => this.changesWaiters.push(resolve));
  }

  start(): void {
    this.loop = this.run();
  }

  /** The current WAL position: transactions committing after this call have a larger commit LSN. */
  async currentLsn(db: pg.Pool): Promise<bigint> {
    const { rows } = await db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
    return parseLsn(rows[0]!.lsn);
  }

  private async connect(): Promise<{ client: pg.Client; slot: string }> {
    const client = new pg.Client({
      connectionString: this.opts.dbUrl,
      application_name: "parley-realtime-replication",
    });
    client.on("error", (e) => this.opts.log(`replication connection error: ${e.message}`));
    await client.connect();
    // Text output of timestamps and numbers as the real server's decoding session sees them.
    await client.query(
      "set timezone = 'UTC'; set datestyle = 'ISO, MDY'; set statement_timeout = 0; set extra_float_digits = 1",
    );
    const slot = `parley_realtime_${process.pid}_${randomBytes(4).toString("hex")}`;
    await client.query("select pg_create_logical_replication_slot($1, 'pgoutput', true)", [slot]);
    return { client, slot };
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      let conn: { client: pg.Client; slot: string } | undefined;
      try {
        conn = await this.connect();
        this.client = conn.client;
        this.relations.clear();
        this.current = undefined;
        this.ready = true;
        for (const fn of this.readyWaiters.splice(0)) fn();
        if (this.broken) {
          this.broken = false;
          this.opts.log("replication resumed");
          for (const fn of this.resumedHandlers) fn();
        }
        while (!this.closed) {
          const n = await this.pollOnce(conn.client, conn.slot);
          if (n === 0) await sleep(this.opts.intervalMs ?? 50);
        }
      } catch (e) {
        this.ready = false;
        if (!this.closed) {
          if (!this.broken)
            this.opts.log(`replication stopped (${e instanceof Error ? e.message : String(e)}); reconnecting`);
          this.broken = true;
          await sleep(this.opts.retryMs ?? 250);
        }
      } finally {
        await conn?.client.end().catch(() => undefined);
      }
    }
  }

  private canFlush = true;

  /**
   * One cheap round trip per idle poll: is there WAL the slot has not read yet? Decoding only reads
   * WAL flushed to disk; on a server with `synchronous_commit = off` (DATABASE_URL may name one) a
   * commit waits up to `wal_writer_delay` (200 ms) for that, so pending WAL is pushed out at once with a
   * flushed logical message (PostgreSQL 17+; pgoutput does not send it on).
   */
  private async walPending(client: pg.Client, slot: string): Promise<boolean> {
    const pending = `(select confirmed_flush_lsn is null or confirmed_flush_lsn < pg_current_wal_insert_lsn() from pg_replication_slots where slot_name = $1) as pending`;
    if (this.canFlush) {
      try {
        const { rows } = await client.query<{ pending: boolean }>(
          `select case when pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn() then pg_logical_emit_message(false, 'parley_realtime', '', true) end, ${pending}`,
          [slot],
        );
        return rows[0]?.pending !== false;
      } catch (e) {
        if ((e as { code?: string }).code !== "42883") throw e;
        this.canFlush = false; // before PostgreSQL 17: no flush argument; the WAL writer sets the pace
      }
    }
    const { rows } = await client.query<{ pending: boolean }>(`select ${pending}`, [slot]);
    return rows[0]?.pending !== false;
  }

  private async pollOnce(client: pg.Client, slot: string): Promise<number> {
    const withChanges = this.wantChanges();
    const covered = withChanges ? this.changesWaiters.splice(0) : [];
    if (!(await this.walPending(client, slot))) {
      // Nothing unread now: whatever commits next is read by later polls, which include Postgres Changes.
      covered.forEach((fn) => fn());
      return 0;
    }
    // A cursor keeps a huge transaction (a bulk load) from arriving as one result in memory;
    // changes are handed on as they are decoded (pgoutput only sends committed transactions).
    await client.query("begin");
    let total = 0;
    try {
      const declared = client.query(
        "declare parley_changes no scroll cursor for select data from pg_logical_slot_get_binary_changes($1, null, 10000, 'proto_version', '1', 'publication_names', $2)",
        [slot, withChanges ? `${MESSAGES_PUBLICATION},${CHANGES_PUBLICATION}` : MESSAGES_PUBLICATION],
      );
      await declared;
      for (;;) {
        const { rows } = await client.query<{ data: Buffer }>("fetch 2000 from parley_changes");
        // The function fixed its end of WAL when the first fetch ran it; now later subscribers are covered.
        if (total === 0) covered.forEach((fn) => fn());
        total += rows.length;
        for (const row of rows) await this.handle(client, decodePgOutput(row.data));
        if (rows.length < 2000) break;
      }
      await client.query("commit");
    } catch (e) {
      await client.query("rollback").catch(() => undefined);
      throw e;
    }
    return total;
  }

  private async handle(client: pg.Client, m: PgOutputMessage): Promise<void> {
    switch (m.tag) {
      case "begin":
        // final_lsn is the commit record's LSN, so each change knows its commit position at once.
        this.current = { commitLsn: m.finalLsn, commitTime: pgTimeToDate(m.commitTime) };
        return;
      case "commit":
        this.current = undefined;
        return;
      case "relation":
        this.relations.set(m.relation.oid, m.relation);
        await this.resolveTypes(client, m.relation);
        return;
      case "insert":
        return this.emit(m.relationOid, { type: "INSERT", record: m.tuple });
      case "update":
        return this.emit(m.relationOid, { type: "UPDATE", record: m.tuple, old: m.old?.tuple, oldKind: m.old?.kind });
      case "delete":
        return this.emit(m.relationOid, { type: "DELETE", old: m.old.tuple, oldKind: m.old.kind });
      default:
        return;
    }
  }

  private async emit(
    relationOid: number,
    c: { type: Change["type"]; record?: Tuple; old?: Tuple; oldKind?: "key" | "full" },
  ): Promise<void> {
    const relation = this.relations.get(relationOid);
    const tx = this.current;
    if (!relation || !tx) return;
    const toRow = (t: Tuple | undefined): Row | undefined => {
      if (!t) return undefined;
      const row: Row = {};
      relation.columns.forEach((col, i) => {
        // A key-only old tuple sends NULL for non-key columns: those are simply not known.
        if (c.oldKind === "key" && t === c.old && !col.key) return;
        row[col.name] = t[i];
      });
      return row;
    };
    const typeNames = relation.columns.map((col) => this.typeNames.get(col.typeOid) ?? "text");
    const change: Change = {
      relation,
      typeNames,
      type: c.type,
      record: toRow(c.record),
      old: toRow(c.old),
      oldKind: c.oldKind,
    };
    for (const h of this.handlers) {
      try {
        await h(change, tx);
      } catch (e) {
        this.opts.log(`a replication handler failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  }

  private async resolveTypes(client: pg.Client, relation: Relation): Promise<void> {
    const missing = relation.columns.map((c) => c.typeOid).filter((oid) => !this.typeNames.has(oid));
    if (!missing.length) return;
    const { rows } = await client.query<{ oid: string; typname: string }>(
      "select oid::int8 as oid, typname from pg_type where oid = any($1::oid[])",
      [missing],
    );
    for (const r of rows) this.typeNames.set(Number(r.oid), r.typname);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }
}
