// The conversation list (by activity, last message, unread badges, online dots) and the dialogs that add to it.
import { useState, type FormEvent } from "react";
import type { PendingInvitation, ProfileMatch } from "../../../client/index.ts";
import type { InboxRow } from "./inbox-state.ts";
import { parley } from "./parley.ts";
import { PeoplePicker } from "./People.tsx";
import { Avatar, Empty, ErrorNote, Loading, nameOf, seenRecently, timeOf } from "./ui.tsx";

export function Inbox({
  rows,
  loading,
  error,
  openId,
  onOpen,
  onRetry,
}: {
  rows: InboxRow[];
  loading: boolean;
  error: unknown;
  openId: string | undefined;
  onOpen: (id: string) => void;
  onRetry: () => void;
}) {
  if (loading && !rows.length) return <Loading label="Loading conversations…" />;
  if (error) return <ErrorNote error={error} onRetry={onRetry} />;
  if (!rows.length) return <Empty>No conversations yet. Start one with “New chat”.</Empty>;
  return (
    <ul className="inbox" aria-label="Conversations">
      {rows.map((r) => {
        const online = seenRecently(r.otherLastSeen);
        return (
          <li key={r.id}>
            <button
              type="button"
              className={`inbox-row ${r.id === openId ? "open" : ""}`}
              onClick={() => onOpen(r.id)}
              data-testid="inbox-row"
              data-conversation={r.id}
            >
              <Avatar name={r.title} online={r.kind === "direct" && online} />
              <span className="grow">
                <span className="row-top">
                  <strong className="title">{r.title}</strong>
                  <time className="muted">{timeOf(r.lastAt)}</time>
                </span>
                <span className="row-bottom">
                  <span className="preview">{r.preview}</span>
                  {r.unread > 0 ? (
                    <span className="badge" data-testid="unread" aria-label={`${r.unread} unread`}>
                      {r.unread}
                    </span>
                  ) : null}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** Group invitations from people I share no conversation with (consent for group adds): join or decline. */
export function Invitations({
  invitations,
  onAnswer,
}: {
  invitations: PendingInvitation[];
  onAnswer: (invitation: PendingInvitation, accept: boolean) => void;
}) {
  if (!invitations.length) return null;
  return (
    <section className="invitations" aria-label="Invitations">
      <h2 className="muted">Invitations</h2>
      <ul>
        {invitations.map((i) => (
          <li key={i.id} className="invitation" data-testid="invitation">
            <Avatar name={i.title ?? "Group"} />
            <span className="grow">
              <strong className="title">{i.title}</strong>
              <span className="muted">
                {i.inviter ? `${nameOf(i.inviter)} invited you` : "You are invited"} · {i.member_count} members
              </span>
            </span>
            <button type="button" className="primary" onClick={() => onAnswer(i, true)} aria-label={`Join ${i.title}`}>
              Join
            </button>
            <button type="button" className="link" onClick={() => onAnswer(i, false)} aria-label={`Decline ${i.title}`}>
              Decline
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function NewChat({
  me,
  onOpened,
  onClose,
}: {
  me: string;
  onOpened: (conversationId: string) => void;
  onClose: () => void;
}) {
  const [error, setError] = useState<unknown>(undefined);
  const start = async (p: ProfileMatch) => {
    try {
      const conversation = await parley.conversations.direct(p.id);
      onOpened(conversation.id);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog title="New chat" onClose={onClose}>
      <PeoplePicker me={me} onPick={(p) => void start(p)} actionLabel="Message" />
      <ErrorNote error={error} />
    </Dialog>
  );
}

export function NewGroup({
  me,
  onOpened,
  onClose,
}: {
  me: string;
  onOpened: (conversationId: string) => void;
  onClose: () => void;
}) {
  const [title, setTitle] = useState("");
  const [picked, setPicked] = useState<ProfileMatch[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const group = await parley.groups.create({ title, memberIds: picked.map((p) => p.id) });
      onOpened(group.id);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={create} className="stack">
        <label>
          Group name
          <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} />
        </label>
        <div className="chips" aria-label="Members to add">
          {picked.map((p) => (
            <span key={p.id} className="chip">
              {nameOf(p)}
              <button
                type="button"
                className="link"
                aria-label={`Remove ${p.username}`}
                onClick={() => setPicked((ps) => ps.filter((x) => x.id !== p.id))}
              >
                ×
              </button>
            </span>
          ))}
        </div>
        <PeoplePicker
          me={me}
          exclude={picked.map((p) => p.id)}
          onPick={(p) => setPicked((ps) => [...ps, p])}
          actionLabel="Add"
        />
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create group"}
        </button>
      </form>
    </Dialog>
  );
}

export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: React.ReactNode;
}) {
  return (
    <div className="overlay" onClick={onClose}>
      <div className="dialog card" role="dialog" aria-label={title} onClick={(e) => e.stopPropagation()}>
        <header className="dialog-header">
          <h2>{title}</h2>
          <button type="button" className="link" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}
