// Calls: start (audio/video), ring with accept/decline, the in-call view over LiveKit, and call history.
// The call's state lives in Postgres (start_call, accept_call, …); LiveKit only carries the media.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Call, CallChannel, CallHistoryEntry, CallMedia, CallStatus } from "../../../client/index.ts";
import { humanMessage } from "./errors.ts";
import type { InboxRow } from "./inbox-state.ts";
import { parley } from "./parley.ts";
import { Empty, ErrorNote, Loading, timeOf, useAsync } from "./ui.tsx";

export interface CallView {
  call: Call;
  direction: "outgoing" | "incoming";
  phase: "ringing" | "in-call" | "ended";
  title: string;
  /** Final status once over. */
  outcome?: CallStatus;
  error?: unknown;
}

const OUTCOME: Record<CallStatus, string> = {
  ringing: "Ringing",
  active: "In call",
  ended: "Call ended",
  missed: "No answer — missed",
  declined: "Call declined",
  cancelled: "Call cancelled",
  busy: "Busy in another call",
};

/** The one call this device shows, driven by my user channel (call_incoming / call_state / call_ended) and the call's room channel. */
export function useCalls(me: string, rows: InboxRow[], onCallOver: () => void) {
  const [view, setView] = useState<CallView | undefined>(undefined);
  const [startError, setStartError] = useState<unknown>(undefined);
  const room = useRef<CallChannel | undefined>(undefined);
  const titles = useRef(new Map<string, string>());
  titles.current = new Map(rows.map((r) => [r.id, r.title]));
  const current = useRef<CallView | undefined>(undefined);
  current.current = view;

  const leaveRoom = () => {
    const r = room.current;
    room.current = undefined;
    void r?.close();
  };
  const ended = useCallback(
    (call: Call) => {
      if (current.current?.call.id !== call.id) return;
      leaveRoom();
      setView((v) => (v && v.call.id === call.id ? { ...v, call, phase: "ended", outcome: call.status } : v));
      onCallOver();
    },
    [onCallOver],
  );
  const joinRoom = useCallback(
    async (call: Call) => {
      leaveRoom();
      room.current = await parley.live.call(call.id, {
        participant_joined: (e) => {
          if (e.participant?.user_id !== me)
            setView((v) =>
              v && v.call.id === call.id && v.phase === "ringing" ? { ...v, call: e.call, phase: "in-call" } : v,
            );
        },
        call_ended: (e) => ended(e.call),
      });
    },
    [me, ended],
  );

  useEffect(() => {
    let inbox: { close(): Promise<void> } | undefined;
    let closed = false;
    void parley.live
      .inbox({
        call_incoming: (e) => {
          if (current.current && current.current.phase !== "ended") return; // busy here: the database decides who rings
          setView({
            call: e.call,
            direction: "incoming",
            phase: "ringing",
            title: titles.current.get(e.call.conversation_id) ?? "Someone",
          });
        },
        call_state: (e) => {
          // Answered or declined on another of my devices: stop ringing here.
          const v = current.current;
          if (
            v &&
            v.call.id === e.call.id &&
            v.direction === "incoming" &&
            v.phase === "ringing" &&
            e.participant?.state !== "ringing"
          )
            setView(undefined);
        },
        call_ended: (e) => ended(e.call),
      })
      .then((c) => (closed ? void c.close() : (inbox = c)));
    return () => {
      closed = true;
      void inbox?.close();
      leaveRoom();
    };
  }, [ended]);

  // A ring stops on its own when nobody answers (the database turns it missed at the same time).
  useEffect(() => {
    if (view?.phase !== "ringing" || view.direction !== "incoming") return;
    const timer = setTimeout(
      () =>
        setView((v) =>
          v?.call.id === view.call.id && v.phase === "ringing" ? { ...v, phase: "ended", outcome: "missed" } : v,
        ),
      45_000,
    );
    return () => clearTimeout(timer);
  }, [view]);

  const fail = (error: unknown) => setView((v) => (v ? { ...v, error } : v));
  return {
    view,
    startError,
    clearStartError: () => setStartError(undefined),
    start: async (row: InboxRow, media: CallMedia) => {
      setStartError(undefined);
      try {
        const call = await parley.calls.start(row.id, media);
        setView({
          call,
          direction: "outgoing",
          phase: call.status === "active" ? "in-call" : "ringing",
          title: row.title,
        });
        await joinRoom(call);
      } catch (error) {
        setStartError(error);
      }
    },
    accept: async () => {
      if (!view) return;
      try {
        const call = await parley.calls.accept(view.call.id);
        setView({ ...view, call, phase: "in-call" });
        await joinRoom(call);
      } catch (error) {
        fail(error);
      }
    },
    decline: async () => {
      if (!view) return;
      try {
        await parley.calls.decline(view.call.id);
        setView(undefined);
        onCallOver();
      } catch (error) {
        fail(error);
      }
    },
    hangUp: async () => {
      if (!view) return;
      try {
        const { call } = await parley.calls.leave(view.call.id);
        ended(call as Call);
      } catch (error) {
        fail(error);
      }
    },
    dismiss: () => {
      leaveRoom();
      setView(undefined);
    },
  };
}

export function CallOverlay({ controls }: { controls: ReturnType<typeof useCalls> }) {
  const v = controls.view;
  if (!v) {
    if (!controls.startError) return null;
    return (
      <div className="toast" role="alert">
        <ErrorNote error={controls.startError} />
        <button type="button" className="link" onClick={controls.clearStartError}>
          Dismiss
        </button>
      </div>
    );
  }
  const media = v.call.media === "video" ? "Video call" : "Audio call";
  return (
    <div className="call-overlay" role="dialog" aria-label="Call">
      <div className="card call-card">
        <div className="muted">{media}</div>
        <h2>{v.title}</h2>
        {v.phase === "ringing" && v.direction === "incoming" ? (
          <>
            <p className="ringing">Incoming {media.toLowerCase()}…</p>
            <div className="row">
              <button type="button" className="primary" onClick={() => void controls.accept()}>
                Accept
              </button>
              <button type="button" className="danger" onClick={() => void controls.decline()}>
                Decline
              </button>
            </div>
          </>
        ) : null}
        {v.phase === "ringing" && v.direction === "outgoing" ? (
          <>
            <p className="ringing">Ringing…</p>
            <button type="button" className="danger" onClick={() => void controls.hangUp()}>
              Cancel
            </button>
          </>
        ) : null}
        {v.phase === "in-call" ? (
          <>
            <LiveKitRoom call={v.call} />
            <button type="button" className="danger" onClick={() => void controls.hangUp()}>
              Hang up
            </button>
          </>
        ) : null}
        {v.phase === "ended" ? (
          <>
            <p className="outcome" data-testid="call-outcome">
              {v.outcome ? OUTCOME[v.outcome] : "Call could not start"}
            </p>
            <button type="button" onClick={controls.dismiss}>
              Close
            </button>
          </>
        ) : null}
        <ErrorNote error={v.error} />
      </div>
    </div>
  );
}

/** The media: a LiveKit room joined with the token call-token mints; a clear message when no LiveKit server answers. */
function LiveKitRoom({ call }: { call: Call }) {
  const [status, setStatus] = useState<
    | { phase: "token" | "connecting" | "connected" }
    | { phase: "unreachable"; wsUrl: string; detail: string }
    | { phase: "error"; error: unknown }
  >({ phase: "token" });
  const media = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let stopped = false;
    let disconnect: (() => Promise<void>) | undefined;
    (async () => {
      let grant;
      try {
        grant = await parley.calls.token(call.id);
      } catch (error) {
        return void (!stopped && setStatus({ phase: "error", error }));
      }
      if (stopped) return;
      setStatus({ phase: "connecting" });
      const { Room, RoomEvent, Track } = await import("livekit-client");
      const room = new Room({ adaptiveStream: true, dynacast: true });
      disconnect = () => room.disconnect();
      room.on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Video || track.kind === Track.Kind.Audio) media.current?.append(track.attach());
      });
      room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()));
      try {
        await room.connect(grant.wsUrl, grant.token);
      } catch (e) {
        return void (!stopped && setStatus({ phase: "unreachable", wsUrl: grant.wsUrl, detail: humanMessage(e) }));
      }
      if (stopped) return void room.disconnect();
      setStatus({ phase: "connected" });
      await room.localParticipant.setMicrophoneEnabled(true).catch(() => undefined);
      if (call.media === "video") {
        const camera = await room.localParticipant.setCameraEnabled(true).catch(() => undefined);
        const track = camera?.track;
        if (track) media.current?.prepend(track.attach());
      }
    })();
    return () => {
      stopped = true;
      void disconnect?.();
    };
  }, [call.id, call.media]);

  return (
    <div className="livekit">
      {status.phase === "token" ? <Loading label="Getting a call token…" /> : null}
      {status.phase === "connecting" ? <Loading label="Connecting to LiveKit…" /> : null}
      {status.phase === "connected" ? <p className="muted">Connected. Waiting for media…</p> : null}
      {status.phase === "unreachable" ? (
        <div className="state error" role="alert" data-testid="livekit-unreachable">
          <p>
            No LiveKit server answered at <code>{status.wsUrl}</code>, so there is no audio or video. The call itself is
            connected in Parley.
          </p>
          <p>
            To talk locally, install LiveKit and run <code>livekit-server --dev</code> (it listens on
            ws://127.0.0.1:7880 with the dev keys <code>devkey</code> / <code>secret</code> that{" "}
            <code>npm run dev</code> uses), then call again.
          </p>
          <p className="muted">{status.detail}</p>
        </div>
      ) : null}
      {status.phase === "error" ? <ErrorNote error={status.error} /> : null}
      <div className="media" ref={media} />
    </div>
  );
}

export function CallHistory({ me, version, titles }: { me: string; version: number; titles: Map<string, string> }) {
  const history = useAsync(() => parley.calls.history({ limit: 30 }), [version]);
  if (history.loading && !history.data) return <Loading label="Loading calls…" />;
  if (history.error) return <ErrorNote error={history.error} onRetry={history.reload} />;
  const items: CallHistoryEntry[] = history.data?.items ?? [];
  if (!items.length) return <Empty>No calls yet. Start one from a conversation with the phone or camera button.</Empty>;
  return (
    <ul className="inbox" aria-label="Call history">
      {items.map((c) => {
        const others = c.participants.filter((p) => p.user_id !== me).map((p) => p.display_name ?? "Someone");
        const who = c.kind === "group" ? (titles.get(c.conversation_id) ?? "Group") : (others[0] ?? "Someone");
        const minutes = Math.floor(c.duration_seconds / 60);
        return (
          <li key={c.id} className="call-row" data-testid="call-row">
            <span className={`direction ${c.outcome}`}>{c.direction === "outgoing" ? "↗" : "↙"}</span>
            <span className="grow">
              <strong>{who}</strong>
              <span className="muted">
                {" "}
                {c.media} · {c.outcome}
                {c.outcome === "answered" ? ` · ${minutes}:${String(c.duration_seconds % 60).padStart(2, "0")}` : ""}
              </span>
            </span>
            <time className="muted">{timeOf(c.created_at)}</time>
          </li>
        );
      })}
    </ul>
  );
}
