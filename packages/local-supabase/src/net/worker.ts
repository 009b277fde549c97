// The stack's pg_net worker: woken by NOTIFY pg_net_wake (sent by net.wake() and so delivered only
// when the requesting transaction commits), it takes queued requests in id order, sends them and
// records each response in net._http_response, deleting responses older than pg_net.ttl first.
import type pg from "pg";
import { ListeningConnection } from "../postgres/listener.ts";
import { sendRequest, type QueuedRequest, type RecordedResponse } from "./send.ts";

/** Options of the worker. */
export interface NetWorkerOptions {
  /** Superuser URL of the database whose queue the worker serves (pg_net's pg_net.database_name). */
  url: string;
  log: (line: string) => void;
}

export interface NetWorker {
  /** Stops taking requests, lets a batch in flight finish (its requests' own timeouts bound it), disconnects. */
  close(): Promise<void>;
}

/** pg_net's settings as the server has them (postgresql.conf / ALTER SYSTEM), with pg_net's defaults. */
const SETTINGS_SQL = `select coalesce(nullif(pg_catalog.current_setting('pg_net.ttl', true), ''), '6 hours') as ttl,
  coalesce(nullif(pg_catalog.current_setting('pg_net.batch_size', true), ''), '200')::int as batch_size`;

/**
 * One pass as pg_net's worker makes it, in one transaction: delete expired responses, take up to
 * batch_size queued requests, send them all at once, record every outcome. A crash before the
 * commit leaves the requests queued (sent again later), as in pg_net. Returns how many it took and
 * the batch size.
 */
async function processBatch(client: pg.Client): Promise<{ taken: number; batchSize: number }> {
  await client.query("begin");
  try {
    const settings = (await client.query<{ ttl: string; batch_size: number }>(SETTINGS_SQL)).rows[0]!;
    await client.query(
      `with expired as (select ctid from net._http_response where created < now() - $1::interval order by created limit $2)
       delete from net._http_response r using expired where r.ctid = expired.ctid`,
      [settings.ttl, settings.batch_size],
    );
    const taken = await client.query<Omit<QueuedRequest, "id"> & { id: string }>(
      `with next as (select id from net.http_request_queue order by id limit $1)
       delete from net.http_request_queue q using next where q.id = next.id
       returning q.id, q.method, q.url, q.timeout_milliseconds, q.headers, q.body`,
      [settings.batch_size],
    );
    const requests = taken.rows.map((r) => ({ ...r, id: Number(r.id) }));
    const responses = await Promise.all(requests.map(async (r) => ({ id: r.id, ...(await sendRequest(r)) })));
    if (responses.length) {
      await client.query(
        `insert into net._http_response (id, status_code, content, headers, content_type, timed_out, error_msg)
         select id, status_code, content, headers, content_type, timed_out, error_msg
           from jsonb_to_recordset($1::jsonb) as x(id bigint, status_code int, content text, headers jsonb, content_type text, timed_out bool, error_msg text)`,
        [JSON.stringify(responses.map(textSafe))],
      );
    }
    await client.query("commit");
    return { taken: requests.length, batchSize: settings.batch_size };
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  }
}

/** A body is stored as text up to its first NUL byte, as pg_net stores curl's buffer. */
function textSafe(r: RecordedResponse & { id: number }): RecordedResponse & { id: number } {
  const nul = r.content?.indexOf("\u0000") ?? -1;
  return nul >= 0 ? { ...r, content: r.content!.slice(0, nul) || null } : r;
}

/** Starts the worker; it drains whatever is queued at once, and again after every reconnect. */
export async function startNetWorker(opts: NetWorkerOptions): Promise<NetWorker> {
  let draining: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const drain = (): void => {
    if (closed) return;
    if (draining) {
      again = true;
      return;
    }
    draining = (async () => {
      do {
        again = false;
        const client = conn.current;
        if (!client) return;
        try {
          const present = await client.query<{ present: boolean }>(
            `select to_regclass('net.http_request_queue') is not null as present`,
          );
          if (!present.rows[0]?.present) return;
          const { taken, batchSize } = await processBatch(client);
          if (taken >= batchSize && taken > 0) again = true;
        } catch (e) {
          opts.log(`pg_net: ${e instanceof Error ? e.message : String(e)}`);
          return;
        }
      } while (again && !closed);
    })().finally(() => {
      draining = undefined;
      if (again) drain();
    });
  };

  const conn = new ListeningConnection({
    url: opts.url,
    // pg_net's worker shows in pg_stat_activity as "pg_net <version> worker"; net.check_worker_is_up() looks for it.
    applicationName: "pg_net 0.20.4 worker",
    channels: ["pg_net_wake"],
    log: opts.log,
    onConnect: () => drain(),
    onNotify: () => drain(),
  });
  await conn.start();
  return {
    async close() {
      closed = true;
      await draining;
      await conn.close();
    },
  };
}
