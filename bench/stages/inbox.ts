// inbox_10k_vs_100: p50 of list_conversations (first page of 50) for a user in the large number of
// conversations divided by the same for a user in the small number. A flat inbox is ≈ 1.
// inbox_vs_naive: the inbox a Supabase app would write without Parley's design (naiveInbox: the user's
// memberships joined to their conversations, a lateral lookup of each one's newest message and a
// count(*) of its unread messages, sorted by that message, under RLS as the user) divided by
// list_conversations, both for the user in the large number of conversations. Fewer samples
// (--naive-samples): the naive page reads every one of the user's conversations.
import type { StageOutput } from "../report.ts";
import { asUser, closeAll, connect } from "../sql.ts";
import type { StageContext } from "./context.ts";
import { compare, explain, explainFunction } from "./latency.ts";

export const INBOX_PAGE = "select * from parley.list_conversations(50)";

/**
 * The naive app's own membership rows, with the read cursor: Parley grants members no column of their own
 * state on conversation_members (they read it through list_conversations), so the naive page reads them
 * through this view, created by the stage as the superuser in the run's schema. It filters on the caller
 * and bypasses the table's policy, which only makes the naive page cheaper than the app's own table under
 * RLS would be: the ratio can only come out lower.
 */
export const naiveMembershipsView = (schema: string) => `create view ${schema}.naive_memberships as
  select m.conversation_id, m.user_id, m.role, m.last_read_seq from parley.conversation_members m
   where m.user_id = (select auth.uid());
grant usage on schema ${schema} to authenticated;
grant select on ${schema}.naive_memberships to authenticated;`;

/** The naive inbox page, as an app would write it with supabase-js views or an RPC of its own. */
export const naiveInbox = (schema: string) => `select c.id, c.kind, c.title, c.avatar_url, m.role, m.last_read_seq,
       lm.id as last_message_id, lm.sender_id, lm.body, lm.created_at,
       (select count(*) from parley.messages u where u.conversation_id = c.id and u.seq > m.last_read_seq) as unread_count
  from ${schema}.naive_memberships m
  join parley.conversations c on c.id = m.conversation_id
  left join lateral (select x.id, x.sender_id, x.body, x.created_at from parley.messages x
                      where x.conversation_id = c.id order by x.seq desc limit 1) lm on true
 order by lm.created_at desc nulls last
 limit 50`;

export async function runInbox(ctx: StageContext, sizes: { large: number; small: number }): Promise<StageOutput> {
  const { seeded } = ctx;
  const [client] = await connect(ctx.target.dbUrl, 1);
  const NAIVE_INBOX = naiveInbox(seeded.schema);
  try {
    await ctx.admin.query(naiveMembershipsView(seeded.schema));
    const c = await compare(
      ctx,
      client!,
      asUser(seeded.users.large, INBOX_PAGE),
      asUser(seeded.users.small, INBOX_PAGE),
    );
    const naive = await compare(
      ctx,
      client!,
      asUser(seeded.users.large, NAIVE_INBOX),
      asUser(seeded.users.large, INBOX_PAGE),
      ctx.opts.naiveSamples,
    );
    if (ctx.opts.explain) {
      // The RPC's inner query, as its definer function runs it, for the large user.
      await explainFunction(ctx, client!, "inbox page (large user)", asUser(seeded.users.large, INBOX_PAGE));
      await explain(
        ctx,
        client!,
        "naive inbox page (large user, RLS)",
        asUser(seeded.users.large, NAIVE_INBOX),
        NAIVE_INBOX,
      );
    }
    return {
      metrics: [
        {
          key: "inbox_10k_vs_100",
          value: c.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.1 },
          detail: `p50 list_conversations ${c.a.p50} ms (${sizes.large} conversations) / ${c.b.p50} ms (${sizes.small})`,
        },
        {
          key: "inbox_vs_naive",
          value: naive.ratio,
          unit: "ratio",
          target: { op: ">=", value: 20 },
          detail: `p50 naive inbox (memberships ⋈ conversations, lateral newest message, count(*) unread; RLS) ${naive.a.p50} ms / list_conversations ${naive.b.p50} ms, ${sizes.large} conversations, ${ctx.opts.naiveSamples} samples`,
        },
      ],
      figures: {
        inbox_large_p50_ms: c.a.p50,
        inbox_large_p99_ms: c.a.p99,
        inbox_small_p50_ms: c.b.p50,
        inbox_small_p99_ms: c.b.p99,
        inbox_large_conversations: sizes.large,
        inbox_small_conversations: sizes.small,
        inbox_naive_p50_ms: naive.a.p50,
        inbox_naive_p99_ms: naive.a.p99,
      },
    };
  } finally {
    await closeAll([client!]);
  }
}
