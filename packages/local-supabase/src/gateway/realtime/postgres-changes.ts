// Postgres Changes: subscriptions per channel, matched against replicated changes, RLS-checked per subscriber, delivered in commit order.
import type pg from "pg";
import type { Log } from "../types.ts";
import type { PgChanges, PgSubscriber } from "./core.ts";
import { matches } from "./filters.ts";
import { selectableColumns, tableInfo, visible, type TableInfo } from "./pg-catalog.ts";
import { prepareSubscription, type Subscription } from "./pg-subscribe.ts";
import type { Change, CommitInfo, ReplicationPoller, Row } from "./replication.ts";
import { toJsonValue } from "./values.ts";

export class PostgresChanges implements PgChanges {
  private readonly subs = new Map<PgSubscriber, Subscription[]>();

  constructor(
    private readonly db: pg.Pool,
    private readonly poller: ReplicationPoller,
    private readonly log: Log,
  ) {
    poller.onChange((change, tx) => this.dispatch(change, tx));
    poller.setWantChanges(() => this.subs.size > 0 || this.pending > 0);
  }

  /** Subscribes being set up: the poller must already read `supabase_realtime` for them. */
  private pending = 0;

  async subscribe(
    s: PgSubscriber,
    opts: { quiet?: boolean } = {},
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    const created: Subscription[] = [];
    try {
      for (const b of s.bindings) created.push(await prepareSubscription(this.db, s, b));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!s.closed && !opts.quiet) s.system("postgres_changes", "error", message);
      return { ok: false, message };
    }
    // `pending` keeps the poller reading `supabase_realtime` from before the WAL position is taken
    // until the subscription is in place, so no commit after that position is read without it.
    this.pending++;
    try {
      await this.poller.changesCovered();
      const fromLsn = await this.poller.currentLsn(this.db);
      if (s.closed) return { ok: false, message: "channel closed" };
      for (const c of created) c.fromLsn = fromLsn;
      this.subs.set(s, created);
    } finally {
      this.pending--;
    }
    if (!opts.quiet) s.system("postgres_changes", "ok", "Subscribed to PostgreSQL");
    return { ok: true };
  }

  unsubscribe(s: PgSubscriber): void {
    this.subs.delete(s);
  }

  /** Catalog facts per table and role, read once per transaction. */
  private cache:
    | { commitLsn: bigint; infos: Map<string, TableInfo | undefined>; columns: Map<string, Map<string, Set<string>>> }
    | undefined;

  private async dispatch(change: Change, tx: CommitInfo): Promise<void> {
    if (this.subs.size === 0) return;
    const { schema, table } = change.relation;
    if (schema === "realtime" && table === "messages") return;
    const key = `${schema}.${table}`;
    const hits = new Map<PgSubscriber, Subscription[]>();
    for (const [subscriber, list] of this.subs) {
      for (const sub of list) {
        if (tx.commitLsn <= sub.fromLsn || !sub.tables.has(key)) continue;
        if (sub.binding.event !== "*" && sub.binding.event !== change.type) continue;
        if (!this.passes(sub, change)) continue;
        hits.set(subscriber, [...(hits.get(subscriber) ?? []), sub]);
      }
    }
    if (hits.size === 0) return;
    if (this.cache?.commitLsn !== tx.commitLsn)
      this.cache = { commitLsn: tx.commitLsn, infos: new Map(), columns: new Map() };
    const { infos, columns: columnsByTable } = this.cache;
    let info = infos.get(key);
    if (!infos.has(key)) infos.set(key, (info = await tableInfo(this.db, schema, table)));
    if (!info) return;
    const columnsByRole = columnsByTable.get(key) ?? new Map<string, Set<string>>();
    columnsByTable.set(key, columnsByRole);
    for (const [subscriber, subs] of hits) {
      if (subscriber.closed) continue;
      const role = subscriber.caller.role;
      let selectable = columnsByRole.get(role);
      if (!selectable) columnsByRole.set(role, (selectable = await selectableColumns(this.db, role, schema, table)));
      const errors = this.errorsFor(change, info, selectable);
      if (
        !errors &&
        info.rls &&
        change.type !== "DELETE" &&
        !(await visible(this.db, subscriber.caller, schema, table, info.pk, change.record ?? {}))
      )
        continue;
      // Bindings with different `select` lists get their own payloads, as Realtime fans out per selected columns.
      const bySelect = new Map<string, Subscription[]>();
      for (const s of subs) {
        const k = JSON.stringify(s.binding.select ?? null);
        bySelect.set(k, [...(bySelect.get(k) ?? []), s]);
      }
      for (const group of bySelect.values()) {
        const data = errors
          ? { schema, table, type: change.type, errors }
          : this.payload(tx, change, info, selectable, group[0]!.binding.select);
        subscriber.deliverChange(
          group.map((s) => s.binding.id),
          data,
        );
      }
    }
  }

  /** Realtime's per-role errors: a table without primary key, or a key the role may not select. */
  private errorsFor(change: Change, info: TableInfo, selectable: Set<string>): string[] | undefined {
    if (change.type === "DELETE") return undefined;
    if (info.pk.length === 0) return ["Error 400: Bad Request, no primary key"];
    if (!info.pk.every((c) => selectable.has(c))) return ["Error 401: Unauthorized"];
    return undefined;
  }

  private passes(sub: Subscription, change: Change): boolean {
    if (sub.conditions.length === 0) return true;
    const typeOf = (col: string) =>
      change.typeNames[change.relation.columns.findIndex((c) => c.name === col)] ?? "text";
    const test = (row: Row | undefined) => {
      if (!row) return false;
      try {
        return sub.conditions.every((c) => matches(c, typeOf(c.column), row[c.column]));
      } catch (e) {
        this.log(`filter on ${change.relation.table} failed: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
    };
    return test(change.record) || (change.type === "DELETE" && test(change.old));
  }

  private payload(
    tx: CommitInfo,
    change: Change,
    info: TableInfo,
    selectable: Set<string>,
    select: string[] | undefined,
  ): Record<string, unknown> {
    const cols = change.relation.columns.map((c, i) => ({ name: c.name, type: change.typeNames[i] ?? "text" }));
    const shown = (name: string) =>
      selectable.has(name) && (!select || select.includes(name) || info.pk.includes(name));
    const typeOf = new Map(cols.map((c) => [c.name, c.type]));
    const convert = (row: Row, keep: (name: string) => boolean): Record<string, unknown> | null => {
      const out: Record<string, unknown> = {};
      let any = false;
      for (const [k, v] of Object.entries(row)) {
        if (v === undefined || !keep(k)) continue;
        out[k] = toJsonValue(typeOf.get(k) ?? "text", v);
        any = true;
      }
      return any ? out : null;
    };
    const data: Record<string, unknown> = {
      schema: change.relation.schema,
      table: change.relation.table,
      commit_timestamp: tx.commitTime.toISOString(),
      type: change.type,
      columns: cols.filter((c) => shown(c.name)),
      errors: null,
    };
    if (change.type === "INSERT" || change.type === "UPDATE") {
      const row: Row = { ...change.record };
      // Unchanged TOAST values come from the old image when it has them.
      for (const [k, v] of Object.entries(row))
        if (v === undefined && change.old?.[k] !== undefined) row[k] = change.old[k];
      data.record = convert(row, shown) ?? {};
    }
    if (change.type === "UPDATE") {
      const old: Row = change.old ?? Object.fromEntries(info.pk.map((k) => [k, change.record?.[k]]));
      data.old_record = convert(old, shown);
    }
    if (change.type === "DELETE") {
      data.old_record = convert(change.old ?? {}, (k) => shown(k) && (!info.rls || info.pk.includes(k)));
    }
    return data;
  }
}
