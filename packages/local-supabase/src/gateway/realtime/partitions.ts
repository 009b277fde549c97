// Keeps realtime.messages' daily partitions rolling while the stack runs: yesterday … a week ahead exist, older than 72 h go.
import type pg from "pg";
import type { Log } from "../types.ts";

const HOUR = 3_600_000;

/** Creates missing daily partitions and drops those that ended more than 72 hours ago (as Realtime does). */
export async function maintainPartitions(db: pg.Pool): Promise<void> {
  await db.query(`
    do $partitions$
    declare
      d date;
      p record;
    begin
      for d in select generate_series((now() at time zone 'utc')::date - 1, (now() at time zone 'utc')::date + 7, interval '1 day')::date loop
        if to_regclass(format('realtime.messages_%s', to_char(d, 'YYYY_MM_DD'))) is null then
          execute format('create table if not exists realtime.%I partition of realtime.messages for values from (%L) to (%L)',
            'messages_' || to_char(d, 'YYYY_MM_DD'), d, d + 1);
          execute format('alter table realtime.%I owner to supabase_realtime_admin', 'messages_' || to_char(d, 'YYYY_MM_DD'));
        end if;
      end loop;
      for p in
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'realtime.messages'::regclass
           and c.relname ~ '^messages_\\d{4}_\\d{2}_\\d{2}$'
           and to_date(substr(c.relname, 10), 'YYYY_MM_DD') + 1 < ((now() at time zone 'utc') - interval '72 hours')::date
      loop
        execute format('drop table realtime.%I', p.relname);
      end loop;
    end
    $partitions$`);
}

/** Runs maintainPartitions now and every hour; returns a stop function. */
export function startPartitionUpkeep(db: pg.Pool, log: Log): () => void {
  const run = () =>
    maintainPartitions(db).catch((e: unknown) =>
      log(`partition upkeep failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  void run();
  const timer = setInterval(run, HOUR);
  timer.unref();
  return () => clearInterval(timer);
}
