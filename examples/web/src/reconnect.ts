// "We may have missed something": the network came back, the Realtime socket reopened, or the tab became
// visible again. Realtime keeps no queue, so screens catch up by seq (DESIGN.md § Realtime).
import { supabase } from "./parley.ts";

const listeners = new Set<() => void>();
const fire = () => listeners.forEach((l) => l());

let wasDown = false;
supabase.realtime.onHeartbeat((status) => {
  if (status === "disconnected" || status === "timeout" || status === "error") wasDown = true;
  else if (status === "ok" && wasDown) {
    wasDown = false;
    fire();
  }
});
window.addEventListener("online", fire);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && fire());

/** Calls `listener` after each reconnect; returns the function that stops it. */
export function onReconnect(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
