// One conversation: history paged back by seq, live events, catch-up after a reconnect, the composer
// (text, files with progress, reply, edit), typing, online dots and read ticks.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import type { ConversationChannel, MemberProfile, Message } from "../../../client/index.ts";
import { parley } from "./parley.ts";
import { onReconnect } from "./reconnect.ts";
import type { InboxRow } from "./inbox-state.ts";
import { sendFile } from "./upload.ts";
import { ClipIcon, PhoneIcon, VideoIcon } from "./icons.tsx";
import { Avatar, Empty, ErrorNote, Loading, nameOf, seenRecently, timeOf } from "./ui.tsx";

const PAGE = 30;
/** A typing hint is shown this long after the last one (senders repeat it every few seconds while typing). */
const TYPING_SHOWN_MS = 6000;

interface Upload {
  id: string;
  name: string;
  progress: number;
  preview: string | undefined;
  error?: unknown;
}

const bySeq = (a: Message, b: Message) => a.seq - b.seq;

/** Adds or replaces messages by id, kept in seq order. */
function merge(current: Message[], incoming: Message[]): Message[] {
  const map = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) map.set(m.id, m);
  return [...map.values()].sort(bySeq);
}

export function Conversation({
  row,
  me,
  onManageGroup,
  onCall,
}: {
  row: InboxRow;
  me: string;
  onManageGroup: () => void;
  onCall: (media: "audio" | "video") => void;
}) {
  const id = row.id;
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [older, setOlder] = useState<{ next: number | undefined; loading: boolean; error?: unknown }>({
    next: undefined,
    loading: false,
  });
  const [members, setMembers] = useState<MemberProfile[]>([]);
  const [typing, setTyping] = useState<Record<string, number>>({});
  const [online, setOnline] = useState<string[]>([]);
  const [replyTo, setReplyTo] = useState<Message | undefined>(undefined);
  const [editing, setEditing] = useState<{ id: string; body: string } | undefined>(undefined);
  const [draft, setDraft] = useState("");
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [sending, setSending] = useState(false);
  const channel = useRef<ConversationChannel | undefined>(undefined);
  const list = useRef<HTMLDivElement>(null);
  const keepFromBottom = useRef<number | undefined>(undefined);
  const stickToBottom = useRef(true);
  const lastSeq = useRef(0);

  const reloadMembers = useCallback(() => {
    parley.conversations.members(id).then(setMembers, setActionError);
  }, [id]);

  const markRead = useCallback(
    (seq: number) => {
      if (document.visibilityState === "visible") parley.messages.markRead(id, seq).catch(() => undefined);
    },
    [id],
  );

  const take = useCallback(
    (incoming: Message[]) => {
      if (!incoming.length) return;
      setMessages((current) => merge(current, incoming));
      const top = Math.max(...incoming.map((m) => m.seq));
      if (top > lastSeq.current) {
        lastSeq.current = top;
        markRead(top);
      }
    },
    [markRead],
  );

  // History, members and the live channel of this conversation.
  useEffect(() => {
    let closed = false;
    setMessages([]);
    setLoading(true);
    setError(undefined);
    setTyping({});
    setOnline([]);
    setReplyTo(undefined);
    setEditing(undefined);
    lastSeq.current = 0;
    stickToBottom.current = true;
    const typingOf = (userId: string, isTyping: boolean) =>
      setTyping((t) => {
        const next = { ...t };
        if (isTyping && userId !== me) next[userId] = Date.now() + TYPING_SHOWN_MS;
        else delete next[userId];
        return next;
      });
    (async () => {
      try {
        const [page, people] = await Promise.all([
          parley.messages.list(id, { limit: PAGE }),
          parley.conversations.members(id),
        ]);
        if (closed) return;
        setMembers(people);
        setOlder({ next: page.next, loading: false });
        take(page.items);
        setLoading(false);
        const live = await parley.live.conversation(id, {
          message_created: (e) => {
            take([e.message]);
            if (e.message.sender_id) typingOf(e.message.sender_id, false);
          },
          message_edited: (e) => take([e.message]),
          message_deleted: (e) => take([e.message]),
          member_read: (e) =>
            setMembers((ms) =>
              ms.map((m) =>
                m.user_id === e.user_id ? { ...m, last_read_seq: Math.max(m.last_read_seq, e.last_read_seq) } : m,
              ),
            ),
          members_added: reloadMembers,
          members_removed: reloadMembers,
          member_role_changed: reloadMembers,
          typing: (t) => typingOf(t.user_id, t.typing),
          presence: setOnline,
        });
        if (closed) return void live.close();
        channel.current = live;
        setOnline(live.online());
        // Anything sent between the first page and the channel being joined.
        take(await parley.messages.catchUp(id, lastSeq.current));
      } catch (e) {
        if (!closed) (setError(e), setLoading(false));
      }
    })();
    return () => {
      closed = true;
      const live = channel.current;
      channel.current = undefined;
      void live?.close();
    };
  }, [id, me, take, reloadMembers]);

  // After a reconnect (network back, Realtime socket reopened) or coming back to the tab: catch up by seq.
  useEffect(
    () =>
      onReconnect(() => {
        parley.messages.catchUp(id, lastSeq.current).then(take, setActionError);
        reloadMembers();
      }),
    [id, take, reloadMembers],
  );

  // Typing hints expire on their own.
  useEffect(() => {
    const names = Object.keys(typing);
    if (!names.length) return;
    const timer = setTimeout(() => {
      const now = Date.now();
      setTyping((t) => Object.fromEntries(Object.entries(t).filter(([, until]) => until > now)));
    }, 1000);
    return () => clearTimeout(timer);
  }, [typing]);

  // Keep the view at the bottom for new messages, and in place when older ones are prepended.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (keepFromBottom.current !== undefined) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = undefined;
    } else if (stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, uploads]);

  const loadOlder = useCallback(async () => {
    if (older.loading || older.next === undefined) return;
    const el = list.current;
    setOlder((o) => ({ ...o, loading: true, error: undefined }));
    try {
      const page = await parley.messages.list(id, { limit: PAGE, beforeSeq: older.next });
      if (el) keepFromBottom.current = el.scrollHeight - el.scrollTop;
      setMessages((current) => merge(current, page.items));
      setOlder({ next: page.next, loading: false });
    } catch (e) {
      setOlder((o) => ({ ...o, loading: false, error: e }));
    }
  }, [id, older]);

  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < 80) void loadOlder();
  };

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const body = draft.trim();
    if (!body) return;
    setSending(true);
    setActionError(undefined);
    try {
      stickToBottom.current = true;
      take([await parley.messages.send(id, { body, ...(replyTo ? { replyToId: replyTo.id } : {}) })]);
      setDraft("");
      setReplyTo(undefined);
      void channel.current?.typing(false);
    } catch (err) {
      setActionError(err);
    } finally {
      setSending(false);
    }
  };

  const onDraft = (e: ChangeEvent<HTMLTextAreaElement>) => {
    setDraft(e.target.value);
    if (e.target.value) void channel.current?.typing(true);
    else void channel.current?.typing(false);
  };

  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = "";
    const reply = replyTo;
    setReplyTo(undefined);
    stickToBottom.current = true;
    for (const file of files) {
      const upload: Upload = {
        id: crypto.randomUUID(),
        name: file.name,
        progress: 0,
        preview: file.type.startsWith("image/") ? URL.createObjectURL(file) : undefined,
      };
      const patch = (p: Partial<Upload>) =>
        setUploads((us) => us.map((u) => (u.id === upload.id ? { ...u, ...p } : u)));
      setUploads((us) => [...us, upload]);
      sendFile(id, file, (progress) => patch({ progress }), reply ? { replyToId: reply.id } : {}).then(
        (message) => {
          take([message]);
          setUploads((us) => us.filter((u) => u.id !== upload.id));
          if (upload.preview) URL.revokeObjectURL(upload.preview);
        },
        (error: unknown) => patch({ error }),
      );
    }
  };

  const saveEdit = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    try {
      take([await parley.messages.edit(editing.id, editing.body)]);
      setEditing(undefined);
    } catch (err) {
      setActionError(err);
    }
  };

  const remove = async (m: Message) => {
    if (!confirm("Delete this message for everyone?")) return;
    try {
      take([await parley.messages.remove(m.id)]);
    } catch (err) {
      setActionError(err);
    }
  };

  const people = new Map(members.map((m) => [m.user_id, m]));
  const myRole = people.get(me)?.role;
  const others = members.filter((m) => m.user_id !== me);
  const typingNames = Object.keys(typing).map((u) => nameOf(people.get(u)));
  // Here now (presence on this conversation, a hint) or recently active anywhere (last_seen_at).
  const isOnline = (m: MemberProfile) => online.includes(m.user_id) || seenRecently(m.last_seen_at);
  const onlineCount = others.filter(isOnline).length;
  const title = row.title;
  const byId = new Map(messages.map((m) => [m.id, m]));

  return (
    <section className="conversation" aria-label={`Conversation ${title}`}>
      <header className="conv-header">
        <Avatar name={title} online={row.kind === "direct" && onlineCount > 0} />
        <div className="grow">
          <h2>{title}</h2>
          <div className="sub">
            {row.kind === "group"
              ? `${members.length} members · ${onlineCount} online`
              : others.some((o) => online.includes(o.user_id))
                ? "online, here now"
                : onlineCount > 0
                  ? "online"
                  : "offline"}
          </div>
        </div>
        <button type="button" onClick={() => onCall("audio")} aria-label="Audio call" title="Audio call">
          <PhoneIcon />
        </button>
        <button type="button" onClick={() => onCall("video")} aria-label="Video call" title="Video call">
          <VideoIcon />
        </button>
        {row.kind === "group" ? (
          <button type="button" onClick={onManageGroup}>
            Group info
          </button>
        ) : null}
      </header>

      <div className="messages" ref={list} onScroll={onScroll} data-testid="messages">
        {older.loading ? <Loading label="Loading earlier messages…" /> : null}
        {older.error ? <ErrorNote error={older.error} onRetry={() => void loadOlder()} /> : null}
        {!loading && older.next === undefined && messages.length > 0 ? (
          <div className="state">This is the beginning of the conversation.</div>
        ) : null}
        {loading ? <Loading label="Loading messages…" /> : null}
        {error ? <ErrorNote error={error} /> : null}
        {!loading && !error && messages.length === 0 && uploads.length === 0 ? (
          <Empty>No messages yet. Say hello!</Empty>
        ) : null}
        {messages.map((m) => {
          const mine = m.sender_id === me;
          const sender = m.sender_id ? people.get(m.sender_id) : undefined;
          const readBy = others.filter((o) => o.last_read_seq >= m.seq);
          const replied = m.reply_to_id ? byId.get(m.reply_to_id) : undefined;
          const canDelete =
            !m.deleted_at &&
            m.kind !== "system" &&
            (mine || (row.kind === "group" && (myRole === "owner" || myRole === "admin")));
          if (m.kind === "system") {
            return (
              <div key={m.id} className="system-line">
                {systemText(m, people)}
              </div>
            );
          }
          return (
            <article key={m.id} className={`bubble ${mine ? "mine" : ""}`} data-testid="message" data-seq={m.seq}>
              {row.kind === "group" && !mine ? <div className="sender">{nameOf(sender)}</div> : null}
              {m.reply_to_id ? (
                <blockquote className="reply-quote">
                  {replied
                    ? `${nameOf(replied.sender_id ? people.get(replied.sender_id) : undefined)}: ${snippet(replied)}`
                    : "Reply to an earlier message"}
                </blockquote>
              ) : null}
              {m.deleted_at ? (
                <em className="deleted">This message was deleted</em>
              ) : editing?.id === m.id ? (
                <form onSubmit={saveEdit} className="edit-form">
                  <input
                    aria-label="Edit message"
                    value={editing.body}
                    onChange={(e) => setEditing({ id: m.id, body: e.target.value })}
                    autoFocus
                  />
                  <button type="submit">Save</button>
                  <button type="button" onClick={() => setEditing(undefined)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <>
                  {m.attachment ? <AttachmentView message={m} /> : null}
                  {m.body ? <div className="body">{m.body}</div> : null}
                </>
              )}
              <div className="meta">
                {m.edited_at && !m.deleted_at ? <span>edited · </span> : null}
                <time dateTime={m.created_at}>{timeOf(m.created_at)}</time>
                {mine && !m.deleted_at ? (
                  <span
                    className={`tick ${readBy.length ? "read" : ""}`}
                    data-testid="tick"
                    aria-label={readBy.length ? "Read" : "Sent"}
                    title={readBy.length ? `Read by ${readBy.map(nameOf).join(", ")}` : "Sent"}
                  >
                    {readBy.length ? (row.kind === "group" ? ` ✓✓ ${readBy.length}` : " ✓✓") : " ✓"}
                  </span>
                ) : null}
              </div>
              {!m.deleted_at ? (
                <div className="actions">
                  <button type="button" className="link" onClick={() => setReplyTo(m)}>
                    Reply
                  </button>
                  {mine && m.kind === "text" ? (
                    <button type="button" className="link" onClick={() => setEditing({ id: m.id, body: m.body ?? "" })}>
                      Edit
                    </button>
                  ) : null}
                  {canDelete ? (
                    <button type="button" className="link" onClick={() => void remove(m)}>
                      Delete
                    </button>
                  ) : null}
                </div>
              ) : null}
            </article>
          );
        })}
        {uploads.map((u) => (
          <article key={u.id} className="bubble mine uploading" data-testid="upload">
            {u.preview ? <img src={u.preview} alt="" className="thumb" /> : <div className="file-name">{u.name}</div>}
            {u.error ? (
              <div className="upload-error">
                <ErrorNote error={u.error} />
                <button
                  type="button"
                  className="link"
                  onClick={() => setUploads((us) => us.filter((x) => x.id !== u.id))}
                >
                  Dismiss
                </button>
              </div>
            ) : (
              <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
            )}
          </article>
        ))}
      </div>

      <div className="typing" aria-live="polite" data-testid="typing">
        {typingNames.length ? `${typingNames.join(", ")} ${typingNames.length > 1 ? "are" : "is"} typing…` : " "}
      </div>
      <ErrorNote error={actionError} />
      {replyTo ? (
        <div className="replying">
          Replying to {nameOf(replyTo.sender_id ? people.get(replyTo.sender_id) : undefined)}: {snippet(replyTo)}
          <button type="button" className="link" onClick={() => setReplyTo(undefined)}>
            Cancel
          </button>
        </div>
      ) : null}
      <form className="composer" onSubmit={send}>
        <label className="attach" title="Send a photo, video, audio or file">
          <ClipIcon />
          <span className="sr-only">Attach a file</span>
          <input type="file" multiple onChange={onFiles} aria-label="Attach a file" />
        </label>
        <textarea
          aria-label="Message"
          placeholder="Write a message"
          rows={1}
          value={draft}
          onChange={onDraft}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              e.currentTarget.form?.requestSubmit();
            }
          }}
        />
        <button type="submit" className="primary" disabled={sending || !draft.trim()}>
          Send
        </button>
      </form>
    </section>
  );
}

function snippet(m: Message): string {
  if (m.deleted_at) return "deleted message";
  if (m.body) return m.body.length > 60 ? `${m.body.slice(0, 60)}…` : m.body;
  return m.attachment?.name ?? m.kind;
}

function systemText(m: Message, people: Map<string, MemberProfile>): string {
  const meta = m.metadata as Record<string, unknown> | null;
  const event = typeof meta?.event === "string" ? meta.event.replaceAll("_", " ") : "update";
  return `${nameOf(m.sender_id ? people.get(m.sender_id) : undefined)}: ${event}`;
}

/** Image, video and audio previews and file links, through short signed URLs minted when shown. */
function AttachmentView({ message }: { message: Message }) {
  const a = message.attachment;
  const [url, setUrl] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    if (!a || a.removed_at) return;
    let live = true;
    parley.attachments.signedUrl(a, 3600).then(
      (u) => live && setUrl(u),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [a]);
  if (!a) return null;
  if (a.removed_at) return <em className="deleted">Attachment removed</em>;
  if (error) return <ErrorNote error={error} />;
  if (!url) return <Loading label={a.name ?? "attachment"} />;
  const size = a.size ? ` · ${(a.size / 1024).toFixed(a.size < 10240 ? 1 : 0)} KB` : "";
  switch (message.kind) {
    case "image":
      return (
        <a href={url} target="_blank" rel="noreferrer">
          <img
            className="photo"
            src={url}
            alt={a.name ?? "photo"}
            width={a.width}
            height={a.height}
            data-testid="photo"
          />
        </a>
      );
    case "video":
      return <video className="photo" src={url} controls preload="metadata" />;
    case "audio":
      return <audio src={url} controls preload="metadata" />;
    default:
      return (
        <a className="file-name" href={url} download={a.name} target="_blank" rel="noreferrer">
          <ClipIcon /> {a.name}
          {size}
        </a>
      );
  }
}
