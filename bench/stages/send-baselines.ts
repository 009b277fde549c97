// The baselines the send stage measures send_message against, created in the run's bench schema (dropped
// at cleanup) with the rights `authenticated` needs for the run only:
// - floors: plain copies of parley.messages (same columns, defaults, checks and indexes; no RLS, no
//   triggers, no foreign keys) for the raw insert, the insert as the user and the ordered insert (behind
//   the per-conversation seq lock and bump, an invoker function);
// - required writes: exactly the writes DESIGN.md requires of a send, in one plain-SQL statement — the
//   seq bump of the conversation row, the message insert, the update of every member's inbox row, and
//   one realtime.messages row per member (a full-row payload) — into Parley's own tables, so that they
//   maintain the same indexes of the same size (the 1,000,000-message history's btrees and the two search
//   GIN indexes): written into empty copies they cost a third less, which measured the copies, not
//   Parley. Only the superuser may write those tables with no rule in the way, so this one baseline runs
//   in the superuser form of the wrapper (the same transaction and claims, no role switch: a little
//   cheaper than as the user, which can only lower the ratio) with session_replication_role = replica
//   for the transaction (no trigger, no foreign-key check: the writes alone). The realtime rows go on
//   the run's own topics, which no client joins; Realtime decodes them as it decodes Parley's.
// - the Supabase pattern: what Supabase's docs teach for a chat room — a messages table under an RLS
//   membership policy and an AFTER INSERT trigger calling realtime.broadcast_changes on one room topic.
import type pg from "pg";
import { lit } from "../sql.ts";

export async function createBaselines(admin: pg.Client, schema: string, conversations: string[]): Promise<void> {
  const s = schema;
  const ids = `${lit(`{${conversations.join(",")}}`)}::uuid[]`;
  await admin.query(`
    create table ${s}.raw_messages (like parley.messages including all);
    create table ${s}.user_messages (like parley.messages including all);
    create table ${s}.ordered_messages (like parley.messages including all);
    create table ${s}.seq_counters (conversation_id uuid primary key, last_seq bigint not null default 0);
    insert into ${s}.seq_counters (conversation_id) select unnest(${ids});
    create function ${s}.ordered_insert(p_conversation_id uuid, p_body text, p_client_id uuid)
    returns uuid language plpgsql security invoker set search_path = '' as $$
    declare v_seq bigint; v_id uuid;
    begin
      -- The seq lock and bump of an ordered append (commit order = seq order), then the insert.
      update ${s}.seq_counters c set last_seq = c.last_seq + 1
       where c.conversation_id = p_conversation_id returning c.last_seq into v_seq;
      insert into ${s}.ordered_messages (conversation_id, seq, sender_id, kind, body, metadata, client_id)
      values (p_conversation_id, v_seq, auth.uid(), 'text', p_body, '{}', p_client_id) returning id into v_id;
      return v_id;
    end $$;


    create table ${s}.room_members (room_id uuid not null, user_id uuid not null, primary key (room_id, user_id));
    create index on ${s}.room_members (user_id);
    insert into ${s}.room_members select conversation_id, user_id from parley.conversation_members where conversation_id = any (${ids});
    create table ${s}.room_messages (
      id uuid primary key default gen_random_uuid(),
      room_id uuid not null,
      user_id uuid not null default auth.uid(),
      body text not null,
      created_at timestamptz not null default now());
    create index on ${s}.room_messages (room_id, created_at);
    alter table ${s}.room_messages enable row level security;
    alter table ${s}.room_members enable row level security;
    create policy room_members_select on ${s}.room_members for select to authenticated using (user_id = (select auth.uid()));
    create policy room_messages_insert on ${s}.room_messages for insert to authenticated
      with check (user_id = (select auth.uid())
                  and exists (select 1 from ${s}.room_members m where m.room_id = room_messages.room_id and m.user_id = (select auth.uid())));
    create policy room_messages_select on ${s}.room_messages for select to authenticated
      using (exists (select 1 from ${s}.room_members m where m.room_id = room_messages.room_id and m.user_id = (select auth.uid())));
    create function ${s}.room_messages_changes() returns trigger language plpgsql security definer set search_path = '' as $$
    begin
      perform realtime.broadcast_changes('room:' || new.room_id::text, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
      return null;
    end $$;
    create trigger room_messages_broadcast after insert on ${s}.room_messages
      for each row execute function ${s}.room_messages_changes();

    grant usage on schema ${s} to authenticated;
    grant insert on ${s}.user_messages to authenticated;
    grant select, insert on ${s}.ordered_messages to authenticated;
    grant select, update on ${s}.seq_counters to authenticated;
    grant execute on function ${s}.ordered_insert(uuid, text, uuid) to authenticated;
    grant select on ${s}.room_members to authenticated;
    grant select, insert on ${s}.room_messages to authenticated;`);
}

/**
 * The required writes of one text message into Parley's tables, triggers off, as one statement (the
 * cheapest plain SQL for them): the conversation's seq bump, the message, every member's inbox row
 * (activity, unhide, the sender's read cursor and last send), and one realtime row per member carrying
 * what DESIGN.md puts on user:<id> — the row and the inbox summary with that member's unread count — on
 * the run's own topics. For the superuser form of the wrapper (asSuperuser).
 */
export function requiredWrites(
  schema: string,
  conversation: string,
  sender: string,
  body: string,
  clientId: string,
): string {
  const s = schema;
  return `set local session_replication_role = replica;
    with c as (
      update parley.conversations c set last_seq = c.last_seq + 1, last_message_at = clock_timestamp()
       where c.id = ${lit(conversation)} returning c.id, c.last_seq, c.kind, c.title, c.avatar_url),
    msg as (
      insert into parley.messages (conversation_id, seq, sender_id, kind, body, metadata, client_id)
      select c.id, c.last_seq, ${lit(sender)}, 'text', ${lit(body)}, '{}', ${lit(clientId)} from c returning *),
    members as (
      update parley.conversation_members m
         set last_activity_at = clock_timestamp(), hidden_at = null,
             last_read_seq = case when m.user_id = ${lit(sender)} then c.last_seq else m.last_read_seq end,
             last_sent_at = case when m.user_id = ${lit(sender)} then clock_timestamp() else m.last_sent_at end
        from c where m.conversation_id = c.id returning m.user_id, m.last_read_seq)
    insert into realtime.messages (topic, extension, event, payload, private, inserted_at)
    select '${s}:' || members.user_id, 'broadcast', 'message_created',
           jsonb_build_object('conversation_id', msg.conversation_id, 'message', to_jsonb(msg),
             'inbox', jsonb_build_object('kind', c.kind, 'title', c.title, 'avatar_url', c.avatar_url, 'last_seq', c.last_seq,
               'unread_count', c.last_seq - members.last_read_seq,
               'last_message', jsonb_build_object('id', msg.id, 'seq', msg.seq, 'sender_id', msg.sender_id, 'kind', msg.kind,
                 'preview', left(msg.body, 140), 'created_at', msg.created_at)),
             'id', gen_random_uuid()),
           true, now() at time zone 'utc'
      from members, msg, c`;
}

/** The Supabase pattern's send: an insert into the room's messages table as the user (RLS checks membership). */
export function patternInsert(schema: string, room: string, body: string): string {
  return `insert into ${schema}.room_messages (room_id, body) values (${lit(room)}, ${lit(body)})`;
}
