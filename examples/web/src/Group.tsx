// Group info: members with roles (owner/admin/member), add and remove members, rename, leave.
import { useEffect, useState, type FormEvent } from "react";
import type { MemberRole, ProfileMatch } from "../../../client/index.ts";
import { Dialog } from "./Inbox.tsx";
import type { InboxRow } from "./inbox-state.ts";
import { parley } from "./parley.ts";
import { PeoplePicker } from "./People.tsx";
import { Avatar, ErrorNote, Loading, nameOf, useAsync } from "./ui.tsx";

export function GroupPanel({
  row,
  me,
  onClose,
  onLeft,
}: {
  row: InboxRow;
  me: string;
  onClose: () => void;
  onLeft: () => void;
}) {
  const members = useAsync(() => parley.conversations.members(row.id), [row.id]);
  const [error, setError] = useState<unknown>(undefined);
  const [adding, setAdding] = useState(false);
  const [title, setTitle] = useState(row.title);
  const reload = members.reload;

  // Roles and membership change live (another admin, or the owner handing over).
  useEffect(() => {
    let channel: { close(): Promise<void> } | undefined;
    let closed = false;
    void parley.live
      .conversation(row.id, { members_added: reload, members_removed: reload, member_role_changed: reload })
      .then((c) => (closed ? void c.close() : (channel = c)), setError);
    return () => {
      closed = true;
      void channel?.close();
    };
  }, [row.id, reload]);

  const act = async (what: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await what();
      reload();
    } catch (e) {
      setError(e);
    }
  };
  // Someone who shares no conversation with me is invited, not added: say so, they join when they accept.
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const add = (p: ProfileMatch) =>
    void act(async () => {
      setNotice(undefined);
      const added = await parley.groups.addMembers(row.id, [p.id]);
      if (!added.length) setNotice(`Invited ${nameOf(p)}: they join once they accept.`);
    });
  const list = members.data ?? [];
  const myRole = list.find((m) => m.user_id === me)?.role;
  const manager = myRole === "owner" || myRole === "admin";

  const rename = (e: FormEvent) => {
    e.preventDefault();
    void act(() => parley.groups.update(row.id, { title }));
  };
  const leave = async () => {
    if (
      !confirm(
        myRole === "owner" ? "Leave the group? Ownership passes to the longest-standing admin." : "Leave the group?",
      )
    )
      return;
    try {
      await parley.groups.leave(row.id);
      onLeft();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Dialog title="Group info" onClose={onClose}>
      {manager ? (
        <form className="row" onSubmit={rename}>
          <input aria-label="Group name" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} />
          <button type="submit">Rename</button>
        </form>
      ) : (
        <h3>{row.title}</h3>
      )}
      <ErrorNote error={error} />
      {members.loading && !members.data ? <Loading label="Loading members…" /> : null}
      <ErrorNote error={members.error} onRetry={reload} />
      <ul className="people" aria-label="Members">
        {list.map((m) => (
          <li key={m.user_id} data-testid="member" data-user={m.username}>
            <Avatar name={nameOf(m)} />
            <span className="grow">
              {nameOf(m)} {m.user_id === me ? <span className="muted">(you)</span> : null}
            </span>
            {myRole === "owner" && m.user_id !== me ? (
              <select
                aria-label={`Role of ${m.username}`}
                value={m.role}
                onChange={(e) => void act(() => parley.groups.setRole(row.id, m.user_id, e.target.value as MemberRole))}
              >
                <option value="member">member</option>
                <option value="admin">admin</option>
                <option value="owner">owner</option>
              </select>
            ) : (
              <span className={`role role-${m.role}`} data-testid="role">
                {m.role}
              </span>
            )}
            {manager && m.user_id !== me && m.role !== "owner" ? (
              <button
                type="button"
                className="link"
                onClick={() => void act(() => parley.groups.removeMember(row.id, m.user_id))}
                aria-label={`Remove ${m.username}`}
              >
                Remove
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {manager ? (
        adding ? (
          <>
            <PeoplePicker me={me} exclude={list.map((m) => m.user_id)} onPick={add} actionLabel="Add" />
            {notice ? (
              <p className="muted" role="status">
                {notice}
              </p>
            ) : null}
          </>
        ) : (
          <button type="button" onClick={() => setAdding(true)}>
            Add members
          </button>
        )
      ) : null}
      <button type="button" className="danger" onClick={() => void leave()}>
        Leave group
      </button>
    </Dialog>
  );
}
