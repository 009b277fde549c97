// A WebSocket transport for realtime-js that can hold the frames the server sends and then hand them
// over back to back in one task: what a client sees when several frames arrive in one network read.
import WebSocket from "ws";

type Handler = (event: WebSocket.MessageEvent) => void;

export interface HeldFrames {
  /** The constructor to pass as `realtime.transport`. */
  transport: typeof WebSocket;
  /** From now on, keep incoming frames (only those `matching`, when given) instead of handing them over. */
  hold(matching?: (frame: string) => boolean): void;
  /** The text of each frame held so far. */
  held(): string[];
  /** Hands every held frame over, in order, in the current task, and stops holding. */
  release(): void;
}

const textOf = (data: WebSocket.Data): string =>
  typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8");

export function heldFrames(): HeldFrames {
  let holding = false;
  let matches: (frame: string) => boolean = () => true;
  const frames: Array<{ handler: Handler; event: WebSocket.MessageEvent }> = [];
  class HoldingWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols);
      // realtime-js (phoenix) listens with `conn.onmessage = …`: keep its handler and call it from here.
      let handler: Handler | null = null;
      Object.defineProperty(this, "onmessage", { get: () => handler, set: (h: Handler | null) => (handler = h) });
      this.addEventListener("message", (event) => {
        if (holding && matches(textOf(event.data))) frames.push({ handler: (e) => handler?.(e), event });
        else handler?.(event);
      });
    }
  }
  return {
    // Only the (url, protocols) form realtime-js calls is provided.
    transport: HoldingWebSocket as unknown as typeof WebSocket,
    hold: (matching) => {
      holding = true;
      matches = matching ?? (() => true);
    },
    held: () => frames.map((f) => textOf(f.event.data)),
    release: () => {
      holding = false;
      for (const { handler, event } of frames.splice(0)) handler(event);
    },
  };
}
