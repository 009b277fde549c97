// Fixture: people who have talked before, so that adding them to a group is a membership and not an
// invitation (consent for group adds, docs/safety.md). For suites about something else; consent itself
// is tested with strangers (test/security/safety.test.ts).
import { db } from "@parley/local-supabase/testing/realtime";

/**
 * Puts `user` and `others` in one fixture group of their own, written in the database: from then on
 * they share a conversation, as people who have talked do. Call it before the behaviour under test
 * (its own `conversation_added` events are sent now, not later).
 */
export async function acquaint(user: { id: string }, others: ({ id: string } | string)[]): Promise<void> {
  const ids = others.map((o) => (typeof o === "string" ? o : o.id));
  // Groups of at most 50, far below the inbox fan-out bound: no fixture group gets an events topic of its own.
  for (let i = 0; i < ids.length; i += 50) {
    await db().query(
      `with c as (insert into parley.conversations (kind, title, created_by) values ('group', 'Fixture: contacts', $1) returning id)
       insert into parley.conversation_members (conversation_id, user_id, role)
       select c.id, u, case when u = $1 then 'owner' else 'member' end from c, unnest($2::uuid[]) u`,
      [user.id, [user.id, ...ids.slice(i, i + 50)]],
    );
  }
}
