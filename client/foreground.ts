// Runs a beat while the app is in the foreground: now, every period, and when a page becomes visible again
// (in a browser only while the page is visible). Shared by the presence and push heartbeats.

type Doc = {
  visibilityState?: string;
  addEventListener?: (t: string, l: () => void) => void;
  removeEventListener?: (t: string, l: () => void) => void;
};

export interface ForegroundLoop {
  /** Milliseconds between beats. */
  everyMs: number;
  /** What to do on each beat while in the foreground. */
  beat: () => void;
  /** A page that became hidden (default: nothing; the next visible beat resumes). */
  onHidden?: () => void;
}

/** Starts the loop; returns the function that stops it. */
export function whileForeground(loop: ForegroundLoop): () => void {
  const doc = (globalThis as { document?: Doc }).document;
  const visible = () => !doc || doc.visibilityState === undefined || doc.visibilityState === "visible";
  let stopped = false;
  const beat = () => {
    if (!stopped && visible()) loop.beat();
  };
  const onVisibility = () => {
    if (stopped) return;
    if (visible()) loop.beat();
    else loop.onHidden?.();
  };
  const timer = setInterval(beat, loop.everyMs);
  (timer as { unref?: () => void }).unref?.();
  doc?.addEventListener?.("visibilitychange", onVisibility);
  beat();
  return () => {
    stopped = true;
    clearInterval(timer);
    doc?.removeEventListener?.("visibilitychange", onVisibility);
  };
}
