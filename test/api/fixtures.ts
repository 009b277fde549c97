// Fixtures for the attachment suites: the local stack's storage users (inserted into auth.users, signed in with a
// token signed like GoTrue's) and Parley conversations made as the superuser for them.
import { db, type StorageUser } from "@parley/local-supabase/testing/storage";

export { db, newStorageUser, objectRow, pngBytes, type StorageUser } from "@parley/local-supabase/testing/storage";

/** A group conversation with these members (first is owner); returns its id, the folder of its attachments. */
export async function newConversation(members: StorageUser[]): Promise<string> {
  const [owner] = members;
  const { rows } = await db().query<{ id: string }>(
    "insert into parley.conversations (kind, title, created_by) values ('group', 'storage test', $1) returning id",
    [owner!.id],
  );
  const id = rows[0]!.id;
  for (const [i, m] of members.entries()) {
    await db().query("insert into parley.conversation_members (conversation_id, user_id, role) values ($1, $2, $3)", [
      id,
      m.id,
      i === 0 ? "owner" : "member",
    ]);
  }
  return id;
}
