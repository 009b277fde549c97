// unread_counts: p50 of list_conversations for a user whose conversations all have many unread
// messages, divided by the same for a user with none unread in the very same conversations.
import type { StageOutput } from "../report.ts";
import { asUser, closeAll, connect } from "../sql.ts";
import type { StageContext } from "./context.ts";
import { INBOX_PAGE } from "./inbox.ts";
import { compare } from "./latency.ts";

export async function runUnread(
  ctx: StageContext,
  sizes: { conversations: number; unreadEach: number },
): Promise<StageOutput> {
  const { seeded } = ctx;
  const [client] = await connect(ctx.target.dbUrl, 1);
  try {
    const c = await compare(
      ctx,
      client!,
      asUser(seeded.users.unread, INBOX_PAGE),
      asUser(seeded.users.read, INBOX_PAGE),
    );
    return {
      metrics: [
        {
          key: "unread_counts",
          value: c.ratio,
          unit: "ratio",
          detail: `p50 list_conversations ${c.a.p50} ms (${sizes.conversations} conversations × ${sizes.unreadEach} unread) / ${c.b.p50} ms (none unread)`,
        },
      ],
      figures: {
        unread_many_p50_ms: c.a.p50,
        unread_many_p99_ms: c.a.p99,
        unread_none_p50_ms: c.b.p50,
        unread_none_p99_ms: c.b.p99,
        unread_conversations: sizes.conversations,
        unread_messages_each: sizes.unreadEach,
      },
    };
  } finally {
    await closeAll([client!]);
  }
}
