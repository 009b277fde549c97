// inbox_10k_vs_100: p50 of list_conversations (first page of 50) for a user in the large number of
// conversations divided by the same for a user in the small number. A flat inbox is ≈ 1.
import type { StageOutput } from "../report.ts";
import { asUser, closeAll, connect } from "../sql.ts";
import type { StageContext } from "./context.ts";
import { compare, explain } from "./latency.ts";

export const INBOX_PAGE = "select * from parley.list_conversations(50)";

export async function runInbox(ctx: StageContext, sizes: { large: number; small: number }): Promise<StageOutput> {
  const { seeded } = ctx;
  const [client] = await connect(ctx.target.dbUrl, 1);
  try {
    const c = await compare(ctx, client!, asUser(seeded.users.large, INBOX_PAGE), asUser(seeded.users.small, INBOX_PAGE));
    if (ctx.opts.explain) {
      // The RPC's inner query, as its definer function runs it, for the large user.
      await explain(ctx, client!, "inbox page (large user)", asUser(seeded.users.large, INBOX_PAGE), INBOX_PAGE);
    }
    return {
      metrics: [
        {
          key: "inbox_10k_vs_100",
          value: c.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.5 },
          detail: `p50 list_conversations ${c.a.p50} ms (${sizes.large} conversations) / ${c.b.p50} ms (${sizes.small})`,
        },
      ],
      figures: {
        inbox_large_p50_ms: c.a.p50,
        inbox_large_p99_ms: c.a.p99,
        inbox_small_p50_ms: c.b.p50,
        inbox_small_p99_ms: c.b.p99,
        inbox_large_conversations: sizes.large,
        inbox_small_conversations: sizes.small,
      },
    };
  } finally {
    await closeAll([client!]);
  }
}
