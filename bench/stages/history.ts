// history_rls_vs_superuser: the newest-50 page of the 1,000,000-message conversation, read by a
// member (a user with an ordinary inbox) under RLS, divided by the same query as the superuser.
// Both run in the same wrapper (transaction + claims, same statement count); only the role differs.
// Beside it: the same page read by a member in 10,000 conversations (RLS must not grow with that).
import type { StageOutput } from "../report.ts";
import { asSuperuser, asUser, closeAll, connect, lit } from "../sql.ts";
import type { StageContext } from "./context.ts";
import { compare, explain } from "./latency.ts";

export async function runHistory(ctx: StageContext): Promise<StageOutput> {
  const { seeded } = ctx;
  const reader = seeded.users.small;
  const page = `select * from parley.messages where conversation_id = ${lit(seeded.conversations.history)} order by seq desc limit 50`;
  const rpc = `select * from parley.list_messages(${lit(seeded.conversations.history)})`;
  const [client] = await connect(ctx.target.dbUrl, 1);
  try {
    const { count } = (await ctx.admin.query<{ count: string }>(`select count(*) from parley.messages where conversation_id = $1`, [seeded.conversations.history])).rows[0]!;
    const total = (await ctx.admin.query<{ n: string }>(`select count(*) as n from parley.messages`)).rows[0]!.n;
    const table = await compare(ctx, client!, asUser(reader, page), asSuperuser(reader, page));
    const viaRpc = await compare(ctx, client!, asUser(reader, rpc), asSuperuser(reader, page));
    const large = await compare(ctx, client!, asUser(seeded.users.large, page), asSuperuser(reader, page));
    // The conversation row itself (get_group, from('conversations')…eq('id', …)), read by the large-inbox member.
    const row = `select * from parley.conversations where id = ${lit(seeded.conversations.history)}`;
    const convRow = await compare(ctx, client!, asUser(seeded.users.large, row), asSuperuser(seeded.users.large, row));
    if (ctx.opts.explain) {
      await explain(ctx, client!, "history page as a member (RLS)", asUser(reader, page), page);
      await explain(ctx, client!, "history page as superuser", asSuperuser(reader, page), page);
      await explain(ctx, client!, "history page as a member in the large inbox (RLS)", asUser(seeded.users.large, page), page);
    }
    return {
      metrics: [
        {
          key: "history_rls_vs_superuser",
          value: table.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.3 },
          detail: `p50 member ${table.a.p50} ms / superuser ${table.b.p50} ms (newest 50 of ${Number(count).toLocaleString("en-US")} messages; ${Number(total).toLocaleString("en-US")} in the table); member in the large inbox ${large.a.p50} ms (× ${large.ratio})`,
        },
      ],
      figures: {
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
        history_list_messages_vs_superuser: viaRpc.ratio,
        history_conversation_messages: Number(count),
        history_table_messages: Number(total),
      },
    };
  } finally {
    await closeAll([client!]);
  }
}
