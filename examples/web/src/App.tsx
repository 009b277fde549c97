// The signed-in app: inbox (live), the open conversation, group info, calls and call history.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { MessageEvent, PendingInvitation } from "../../../client/index.ts";
import type { Session } from "@supabase/supabase-js";
import { Auth } from "./Auth.tsx";
import { CallHistory, CallOverlay, useCalls } from "./Calls.tsx";
import { Conversation } from "./Conversation.tsx";
import { GroupPanel } from "./Group.tsx";
import { Inbox, Invitations, NewChat, NewGroup } from "./Inbox.tsx";
import { byActivity, rowOf, withMessage, type InboxRow } from "./inbox-state.ts";
import { configProblem, parley, supabase } from "./parley.ts";
import { onReconnect } from "./reconnect.ts";
import { Empty, ErrorNote, Loading, nameOf, useAsync } from "./ui.tsx";

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    void supabase.auth.getSession().then(({ data }) => setSession(data.session));
    const { data } = supabase.auth.onAuthStateChange((_event, s) => setSession(s));
    return () => data.subscription.unsubscribe();
  }, []);
  if (configProblem)
    return (
      <main className="auth">
        <div className="card state error">{configProblem}</div>
      </main>
    );
  if (session === undefined) return <Loading label="Starting…" />;
  if (!session) return <Auth />;
  return <Shell key={session.user.id} me={session.user.id} />;
}

function Shell({ me }: { me: string }) {
  const profile = useAsync(() => parley.profiles.me(), [me]);
  const [rows, setRows] = useState<InboxRow[]>([]);
  const [inboxState, setInboxState] = useState<{ loading: boolean; error: unknown }>({
    loading: true,
    error: undefined,
  });
  const [openId, setOpenId] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<"chats" | "calls">("chats");
  const [dialog, setDialog] = useState<"chat" | "group" | "group-info" | undefined>(undefined);
  const [callsVersion, setCallsVersion] = useState(0);
  const [liveError, setLiveError] = useState<unknown>(undefined);
  const [invitations, setInvitations] = useState<PendingInvitation[]>([]);
  const [invitationError, setInvitationError] = useState<unknown>(undefined);
  // The inbox handlers read the open conversation here, so opening one does not resubscribe.
  const openRef = useRef(openId);
  openRef.current = openId;

  const loadInbox = useCallback(async () => {
    setInboxState((s) => ({ ...s, loading: true }));
    try {
      const page = await parley.conversations.inbox({ limit: 100 });
      setRows(byActivity(page.items.map(rowOf)));
      setInboxState({ loading: false, error: undefined });
    } catch (error) {
      setInboxState({ loading: false, error });
    }
  }, []);

  const loadInvitations = useCallback(async () => {
    try {
      setInvitations(await parley.safety.invitations());
    } catch (error) {
      setInvitationError(error);
    }
  }, []);

  // The inbox: one load, then live events; a reload after each reconnect (events may have been missed).
  useEffect(() => {
    void loadInbox();
    void loadInvitations();
    let closed = false;
    let channel: { close(): Promise<void> } | undefined;
    const onMessage = (e: MessageEvent) =>
      setRows((rs) => {
        if (!rs.some((r) => r.id === e.conversation_id)) {
          void loadInbox(); // a conversation this list has not seen yet
          return rs;
        }
        return byActivity(
          rs.map((r) => (r.id === e.conversation_id ? withMessage(r, e.message, e.inbox, openRef.current) : r)),
        );
      });
    void parley.live
      .inbox({
        message_created: onMessage,
        message_edited: onMessage,
        message_deleted: onMessage,
        membership_updated: (e) =>
          setRows((rs) =>
            rs.map((r) => (r.id === e.conversation_id ? { ...r, unread: e.unread_count, role: e.role } : r)),
          ),
        conversation_added: () => void loadInbox(),
        conversation_updated: (e) =>
          setRows((rs) =>
            rs.map((r) =>
              r.id === e.conversation_id && r.kind === "group" ? { ...r, title: e.conversation.title ?? r.title } : r,
            ),
          ),
        conversation_removed: (e) => {
          setRows((rs) => rs.filter((r) => r.id !== e.conversation_id));
          setOpenId((id) => (id === e.conversation_id ? undefined : id));
        },
        member_role_changed: (e) =>
          e.user_id === me && setRows((rs) => rs.map((r) => (r.id === e.conversation_id ? { ...r, role: e.role } : r))),
        invitation_received: () => void loadInvitations(),
        block_changed: () => void loadInvitations(),
      })
      .then((c) => (closed ? void c.close() : (channel = c)), setLiveError);
    const stopReconnect = onReconnect(() => {
      void loadInbox();
      void loadInvitations();
    });
    const stopHeartbeat = parley.profiles.heartbeat({ everyMs: 30_000 });
    return () => {
      closed = true;
      void channel?.close();
      stopReconnect();
      stopHeartbeat();
    };
  }, [me, loadInbox, loadInvitations]);

  useEffect(() => {
    if (openId) setRows((rs) => rs.map((r) => (r.id === openId ? { ...r, unread: 0 } : r)));
  }, [openId]);

  const calls = useCalls(
    me,
    rows,
    useCallback(() => setCallsVersion((v) => v + 1), []),
  );
  const open = rows.find((r) => r.id === openId);
  const titles = useMemo(() => new Map(rows.map((r) => [r.id, r.title])), [rows]);
  const opened = (id: string) => {
    setDialog(undefined);
    setTab("chats");
    setOpenId(id);
    if (!rows.some((r) => r.id === id)) void loadInbox();
  };

  const answer = async (invitation: PendingInvitation, accept: boolean) => {
    try {
      setInvitationError(undefined);
      if (accept) await parley.safety.accept(invitation.id);
      else await parley.safety.decline(invitation.id);
      setInvitations((is) => is.filter((i) => i.id !== invitation.id));
      if (accept) opened(invitation.conversation_id);
    } catch (error) {
      setInvitationError(error);
    }
  };

  return (
    <div className="shell">
      <aside className="sidebar">
        <header className="me">
          <span className="grow">
            <strong>{profile.data ? nameOf(profile.data) : "…"}</strong>
            <span className="muted handle">{profile.data ? `@${profile.data.username}` : ""}</span>
          </span>
          <button type="button" className="link" onClick={() => void supabase.auth.signOut()}>
            Sign out
          </button>
        </header>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === "chats"} onClick={() => setTab("chats")}>
            Chats
          </button>
          <button type="button" role="tab" aria-selected={tab === "calls"} onClick={() => setTab("calls")}>
            Calls
          </button>
        </div>
        {tab === "chats" ? (
          <>
            <div className="row actions-row">
              <button type="button" onClick={() => setDialog("chat")}>
                New chat
              </button>
              <button type="button" onClick={() => setDialog("group")}>
                New group
              </button>
            </div>
            <ErrorNote error={liveError} />
            <Invitations invitations={invitations} onAnswer={(i, accept) => void answer(i, accept)} />
            <ErrorNote error={invitationError} />
            <Inbox
              rows={rows}
              loading={inboxState.loading}
              error={inboxState.error}
              openId={openId}
              onOpen={setOpenId}
              onRetry={() => void loadInbox()}
            />
          </>
        ) : (
          <CallHistory me={me} version={callsVersion} titles={titles} />
        )}
      </aside>
      <main className="main">
        {open ? (
          <Conversation
            key={open.id}
            row={open}
            me={me}
            onManageGroup={() => setDialog("group-info")}
            onCall={(media) => void calls.start(open, media)}
          />
        ) : openId && inboxState.loading ? (
          <Loading />
        ) : (
          <Empty>Pick a conversation, or start one with “New chat”.</Empty>
        )}
      </main>
      {dialog === "chat" ? <NewChat me={me} onOpened={opened} onClose={() => setDialog(undefined)} /> : null}
      {dialog === "group" ? <NewGroup me={me} onOpened={opened} onClose={() => setDialog(undefined)} /> : null}
      {dialog === "group-info" && open ? (
        <GroupPanel
          row={open}
          me={me}
          onClose={() => setDialog(undefined)}
          onLeft={() => {
            setDialog(undefined);
            setOpenId(undefined);
          }}
        />
      ) : null}
      <CallOverlay controls={calls} />
    </div>
  );
}
