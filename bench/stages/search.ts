// search_*: message search on the 1,000,000-message history, read by a member under RLS:
//   search_word_p50_ms     — a word that occurs in a few messages (a message number: every seeded body
//                            also carries "Seeded", "message", … in every row, so the number is the rare word);
//   search_partial_p50_ms  — part of a word (five digits of a number: a substring, through trigrams);
//   search_rls_vs_superuser — the word search as the member ÷ the same call as the superuser (RLS off);
//   search_index_bytes     — the two indexes on messages' bodies;
//   send_with_search_index_vs_without — send_message throughput with the indexes ÷ after dropping them
//                            (measured last: the indexes are gone for the rest of this private run).
import { randomUUID } from "node:crypto";
import type { StageOutput } from "../report.ts";
import { asSuperuser, asUser, closeAll, connect, lit, rowsOfStatement } from "../sql.ts";
import { round } from "../stats.ts";
import type { StageContext } from "./context.ts";
import { compare } from "./latency.ts";
import { phase } from "./send.ts";

export async function runSearch(ctx: StageContext): Promise<StageOutput> {
  const { seeded, admin, opts } = ctx;
  const reader = seeded.users.small;
  const { last_seq: lastSeq } = (
    await admin.query<{ last_seq: string }>(`select last_seq from parley.conversations where id = $1`, [
      seeded.conversations.history,
    ])
  ).rows[0]!;
  const word = String(Math.max(1, Math.floor(Number(lastSeq) * 0.73)));
  const partial = word.slice(1, 6);
  const search = (q: string) => `select id, snippet from parley.search_messages(${lit(q)})`;
  const [client] = await connect(ctx.target.dbUrl, 1);
  try {
    const byWord = await compare(ctx, client!, asUser(reader, search(word)), asSuperuser(reader, search(word)));
    const byPart = await compare(ctx, client!, asUser(reader, search(partial)), asSuperuser(reader, search(partial)));
    const found = async (q: string) =>
      String(
        rowsOfStatement(
          await client!.query(
            asUser(reader, `select count(*) as n from parley.search_messages(${lit(q)}, max_count => 200)`),
          ),
        )[0]?.n ?? 0,
      );
    const [wordHits, partHits] = [await found(word), await found(partial)];
    const sizes = (
      await admin.query<{ name: string; bytes: string }>(
        `select c.relname as name, pg_relation_size(c.oid) as bytes from pg_class c
        where c.relname in ('messages_body_fts_idx', 'messages_body_trgm_idx', 'messages_conversation_id_seq_idx', 'messages')`,
      )
    ).rows;
    const bytes = (name: string) => Number(sizes.find((s) => s.name === name)?.bytes ?? 0);
    const indexBytes = bytes("messages_body_fts_idx") + bytes("messages_body_trgm_idx");

    // Send cost with and without the two indexes, same senders and conversations as the send stage.
    const senders = await connect(ctx.target.dbUrl, opts.sendConnections);
    const send = (i: number) =>
      asUser(
        seeded.users.senders[i]!,
        `select id from parley.send_message(${lit(seeded.conversations.send[i]!)}, 'bench search send with a few words to index', 'text', null, null, null, ${lit(randomUUID())})`,
      );
    let withIndex, without;
    try {
      await phase(senders, Math.min(opts.sendPhaseMs, 2000), send); // warm-up
      withIndex = await phase(senders, opts.sendPhaseMs * 2, send);
      await admin.query(`drop index parley.messages_body_fts_idx, parley.messages_body_trgm_idx`);
      without = await phase(senders, opts.sendPhaseMs * 2, send);
    } finally {
      await closeAll(senders);
    }
    const rate = (p: { count: number; seconds: number }) => p.count / p.seconds;
    const sendRatio = round(rate(withIndex) / rate(without));
    return {
      metrics: [
        {
          key: "search_rls_vs_superuser",
          value: byWord.ratio,
          unit: "ratio",
          target: { op: "<=", value: 1.3 },
          detail: `word "${word}" (${wordHits} hits): member ${byWord.a.p50} ms / superuser ${byWord.b.p50} ms; part of a word "${partial}" (${partHits} hits, first page): member ${byPart.a.p50} ms (× ${byPart.ratio})`,
        },
        {
          key: "send_with_search_index_vs_without",
          value: sendRatio,
          unit: "ratio",
          target: { op: ">=", value: 0.9 },
          detail: `send_message ${Math.round(rate(withIndex))} msg/s with the full-text and trigram indexes, ${Math.round(rate(without))} msg/s without (${opts.sendConnections} connections, ${opts.sendPhaseMs * 2} ms each)`,
        },
      ],
      figures: {
        search_word_p50_ms: byWord.a.p50,
        search_word_p99_ms: byWord.a.p99,
        search_word_superuser_p50_ms: byWord.b.p50,
        search_partial_p50_ms: byPart.a.p50,
        search_partial_p99_ms: byPart.a.p99,
        search_partial_vs_superuser: byPart.ratio,
        search_index_bytes: indexBytes,
        search_fts_index_bytes: bytes("messages_body_fts_idx"),
        search_trgm_index_bytes: bytes("messages_body_trgm_idx"),
        messages_table_bytes: bytes("messages"),
        send_with_search_index_msgs_per_s: round(rate(withIndex), 1),
        send_without_search_index_msgs_per_s: round(rate(without), 1),
      },
    };
  } finally {
    await closeAll([client!]);
  }
}
