// history_rls_vs_superuser: the newest-50 page of the 1,000,000-message conversation, read by a
// member (a user with an ordinary inbox) under RLS, divided by the same query as the superuser.
// Both run in the same wrapper (transaction + claims, same statement count); only the role differs.
// Beside it: the same page read by a member in 10,000 conversations (RLS must not grow with that).
// history_api_vs_superuser: the documented history call, list_messages (newest 50) as that member, divided
// by the very page it returns read as the superuser with the same statement list_messages runs (the
// conversation's shown messages, none the reader hid), in the same wrapper.
// catch_up_vs_superuser: the same for the catch-up call after a reconnect, list_messages(after_seq) with a
// page of 200 (oldest first from a seq 1,000 back), divided by that page read as the superuser.
// history_page_with_reactions_vs_without: the newest 50 carry reaction counts (three emoji each) and the
// reader's own reaction; list_messages plus the SDK's one "mine" query over that page, divided by
// list_messages of the 50 before it, which have none. Same conversation, same index, interleaved.
import type pg from "pg";
import type { StageOutput } from "../report.ts";
import { asSuperuser, asUser, closeAll, connect, lit } from "../sql.ts";
import type { StageContext } from "./context.ts";
import { compare, explain, explainFunction } from "./latency.ts";

export async function runHistory(ctx: StageContext): Promise<StageOutput> {
  const { seeded } = ctx;
  const reader = seeded.users.small;
  const page = `select * from parley.messages where conversation_id = ${lit(seeded.conversations.history)} order by seq desc limit 50`;
  const conversation = lit(seeded.conversations.history);
  const rpc = `select * from parley.list_messages(${conversation})`;
  // The statement list_messages runs for that page, as the superuser reads it.
  const samePage = (where: string, order: "asc" | "desc", count: number) =>
    `select * from parley.messages m where m.conversation_id = ${conversation} and ${where} and m.shown_in_conversation
        and not exists (select 1 from parley.message_hides h where h.user_id = (select auth.uid()) and h.message_id = m.id)
      order by m.seq ${order} limit ${count}`;
  const [client] = await connect(ctx.target.dbUrl, 1);
  try {
    const { count } = (
      await ctx.admin.query<{ count: string }>(`select count(*) from parley.messages where conversation_id = $1`, [
        seeded.conversations.history,
      ])
    ).rows[0]!;
    const total = (await ctx.admin.query<{ n: string }>(`select count(*) as n from parley.messages`)).rows[0]!.n;
    const table = await compare(ctx, client!, asUser(reader, page), asSuperuser(reader, page));
    const viaRpc = await compare(
      ctx,
      client!,
      asUser(reader, rpc),
      asSuperuser(reader, samePage("m.seq < 9223372036854775807", "desc", 50)),
    );
    const { last_seq: lastSeq } = (
      await ctx.admin.query<{ last_seq: string }>(`select last_seq from parley.conversations where id = $1`, [
        seeded.conversations.history,
      ])
    ).rows[0]!;
    const afterSeq = Math.max(0, Number(lastSeq) - 1000);
    const catchUpRpc = `select * from parley.list_messages(${conversation}, after_seq => ${afterSeq}, max_count => 200)`;
    const catchUp = await compare(
      ctx,
      client!,
      asUser(reader, catchUpRpc),
      asSuperuser(reader, samePage(`m.seq > ${afterSeq}`, "asc", 200)),
    );
    const large = await compare(ctx, client!, asUser(seeded.users.large, page), asSuperuser(reader, page));
    const reactions = await compareReactions(ctx, client!, reader);
    // The conversation row itself (get_group, from('conversations')…eq('id', …)), read by the large-inbox member.
    const row = `select * from parley.conversations where id = ${lit(seeded.conversations.history)}`;
    const convRow = await compare(ctx, client!, asUser(seeded.users.large, row), asSuperuser(seeded.users.large, row));
    if (ctx.opts.explain) {
      await explain(ctx, client!, "history page as a member (RLS)", asUser(reader, page), page);
      await explain(ctx, client!, "history page as superuser", asSuperuser(reader, page), page);
      await explain(
        ctx,
        client!,
        "history page as a member in the large inbox (RLS)",
        asUser(seeded.users.large, page),
        page,
      );
      await explainFunction(ctx, client!, "list_messages (newest 50) as a member", asUser(reader, rpc));
      await explainFunction(
        ctx,
        client!,
        "list_messages catch-up (200 after a seq) as a member",
        asUser(reader, catchUpRpc),
      );
    }
    return {
      metrics: [
        {
          key: "history_page_with_reactions_vs_without",
          value: reactions.page.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.2 },
          detail: `p50 list_messages of 50 messages with reaction counts ${reactions.page.a.p50} ms / 50 without ${reactions.page.b.p50} ms; plus the reader's own reactions (one more query) ${reactions.withMine.a.p50} ms (× ${reactions.withMine.ratio})`,
        },
        {
          key: "history_api_vs_superuser",
          value: viaRpc.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.1 },
          detail: `p50 list_messages as a member ${viaRpc.a.p50} ms / the same page as superuser ${viaRpc.b.p50} ms (newest 50)`,
        },
        {
          key: "catch_up_vs_superuser",
          value: catchUp.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.1 },
          detail: `p50 list_messages(after_seq, 200) as a member ${catchUp.a.p50} ms / the same page as superuser ${catchUp.b.p50} ms`,
        },
        {
          key: "history_rls_vs_superuser",
          value: table.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.3 },
          detail: `p50 member ${table.a.p50} ms / superuser ${table.b.p50} ms (newest 50 of ${Number(count).toLocaleString("en-US")} messages; ${Number(total).toLocaleString("en-US")} in the table); member in the large inbox ${large.a.p50} ms (× ${large.ratio})`,
        },
      ],
      figures: {
        history_reactions_page_p50_ms: reactions.page.a.p50,
        history_reactions_page_and_mine_p50_ms: reactions.withMine.a.p50,
        history_reactions_page_and_mine_vs_page: reactions.withMine.ratio,
        history_rls_p50_ms: table.a.p50,
        history_rls_p99_ms: table.a.p99,
        history_superuser_p50_ms: table.b.p50,
        history_superuser_p99_ms: table.b.p99,
        history_rls_large_inbox_p50_ms: large.a.p50,
        history_rls_large_inbox_vs_superuser: large.ratio,
        conversation_row_large_inbox_p50_ms: convRow.a.p50,
        conversation_row_superuser_p50_ms: convRow.b.p50,
        conversation_row_large_inbox_vs_superuser: convRow.ratio,
        history_list_messages_p50_ms: viaRpc.a.p50,
        history_list_messages_p99_ms: viaRpc.a.p99,
        history_same_page_superuser_p50_ms: viaRpc.b.p50,
        catch_up_list_messages_p50_ms: catchUp.a.p50,
        catch_up_list_messages_p99_ms: catchUp.a.p99,
        catch_up_superuser_p50_ms: catchUp.b.p50,
        history_conversation_messages: Number(count),
        history_table_messages: Number(total),
      },
    };
  } finally {
    await closeAll([client!]);
  }
}

/**
 * Puts reactions on the history's newest page (counts on the rows, the reader's own in message_reactions),
 * then compares the page with reactions to the page before it (none), and the page plus the SDK's "mine"
 * query (reactions.mine: user_id = me and message_id in the page's ids) to the page alone.
 */
async function compareReactions(ctx: StageContext, client: pg.Client, reader: string) {
  const conversation = ctx.seeded.conversations.history;
  const { last_seq: lastSeq } = (
    await ctx.admin.query<{ last_seq: string }>(`select last_seq from parley.conversations where id = $1`, [
      conversation,
    ])
  ).rows[0]!;
  const ids = (
    await ctx.admin.query<{ id: string }>(
      `with page as (select id from parley.messages where conversation_id = $1 and seq > $2 - 50)
     , counted as (update parley.messages m set reactions = '{"👍": 12, "❤️": 3, "😂": 1}' from page where m.id = page.id returning m.id)
     insert into parley.message_reactions (message_id, user_id, emoji, conversation_id)
     select id, $3, '👍', $1 from counted on conflict do nothing returning message_id as id`,
      [conversation, lastSeq, reader],
    )
  ).rows.map((r) => r.id);
  await ctx.admin.query(`analyze parley.message_reactions`);
  const newest = `select * from parley.list_messages(${lit(conversation)})`;
  const mine = `select r.message_id, r.emoji from parley.message_reactions r
     where r.user_id = (select auth.uid()) and r.message_id in (${ids.map(lit).join(", ")}) order by r.created_at`;
  const before = `select * from parley.list_messages(${lit(conversation)}, ${Number(lastSeq) - 49})`;
  const page = await compare(ctx, client, asUser(reader, newest), asUser(reader, before));
  const withMine = await compare(ctx, client, asUser(reader, `${newest}; ${mine}`), asUser(reader, newest));
  return { page, withMine };
}
