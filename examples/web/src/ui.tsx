// Small building blocks shared by every screen: loading, empty and error states, avatars, async loads.
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { errorCode, humanMessage } from "./errors.ts";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state loading" role="status">
      <span className="spinner" aria-hidden /> {label}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const code = errorCode(error);
  return (
    <div className="state error" role="alert">
      <span>{humanMessage(error)}</span>
      {code ? <code className="code">{code}</code> : null}
      {onRetry ? (
        <button type="button" className="link" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function Avatar({ name, online }: { name: string; online?: boolean }) {
  const initials =
    name
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim()
      .split(/\s+/)
      .map((w) => w[0] ?? "")
      .join("")
      .slice(0, 2)
      .toUpperCase() || "?";
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return (
    <span className="avatar" style={{ background: `hsl(${hue} 55% 45%)` }} aria-hidden>
      {initials}
      {online ? <span className="dot" data-testid="online-dot" title="online" /> : null}
    </span>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (update: (current: T | undefined) => T | undefined) => void;
}

/** Runs `load` now and whenever `deps` change; exposes its result, error and a reload. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    load().then(
      (v) => live && (setData(v), setLoading(false)),
      (e: unknown) => live && (setError(e), setLoading(false)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, set: setData };
}

/** A display name for a profile-ish row. */
export const nameOf = (p: { display_name?: string | null; username?: string | null } | null | undefined): string =>
  p?.display_name || p?.username || "Someone";

export const timeOf = (iso: string): string => {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric" });
};

/** Seen within two heartbeats (the app beats every 30 s): shown as online. `last_seen_at` only its owner can move. */
export const seenRecently = (lastSeenAt: string | null | undefined): boolean =>
  !!lastSeenAt && Date.now() - Date.parse(lastSeenAt) < 75_000;
