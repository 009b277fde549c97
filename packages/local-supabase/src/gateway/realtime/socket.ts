// One client WebSocket: frame decoding, heartbeat, routing pushes to channels by topic, joins and leaves.
import type { WebSocket } from "ws";
import type { Channel } from "./channel.ts";
import type { Core } from "./core.ts";
import { join } from "./join.ts";
import { decode, encode, FrameError, type Message, type Vsn } from "./serializer.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export class Connection {
  private readonly channels = new Map<string, Channel>();
  /** Pushes for one topic run one after another (a join finishes before that topic's next push). */
  private readonly queues = new Map<string, Promise<void>>();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly core: Core,
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The apikey JWT the socket connected with (translated by the gateway); channels fall back to it. */
    readonly connectToken: string,
    readonly headers: Record<string, string>,
  ) {
    ws.on("message", (data, isBinary) =>
      this.onFrame(
        Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]),
        isBinary,
      ),
    );
    ws.on("close", () => this.onClose());
    ws.on("error", () => this.onClose());
    this.touch();
  }

  send(frame: string | Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame);
  }

  sendMessage(m: Message): void {
    this.send(encode(this.vsn, m));
  }

  detach(ch: Channel): void {
    if (this.channels.get(ch.topic) === ch) this.channels.delete(ch.topic);
  }

  /** Closes the socket (e.g. server shutting down). */
  terminate(code = 1001): void {
    this.ws.close(code);
    // Do not wait long for the client's side of the closing handshake.
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.onClose();
  }

  /** Cuts the connection without a closing handshake (as a network failure does). */
  drop(): void {
    this.ws.terminate();
    this.onClose();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.terminate(1000), this.core.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    for (const ch of [...this.channels.values()]) ch.release();
    this.channels.clear();
  }

  private reply(m: Message, status: "ok" | "error", response: unknown, joinRef = m.join_ref): void {
    this.sendMessage({
      join_ref: joinRef,
      ref: m.ref,
      topic: m.topic,
      event: "phx_reply",
      payload: { status, response },
    });
  }

  private enqueue(topic: string, work: () => Promise<void>): void {
    const prev = this.queues.get(topic) ?? Promise.resolve();
    const next = prev
      .then(work)
      .catch((e: unknown) => this.core.log(`${topic}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    this.queues.set(topic, next);
    void next.then(() => {
      if (this.queues.get(topic) === next) this.queues.delete(topic);
    });
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.touch();
    let decoded;
    try {
      decoded = decode(this.vsn, data, isBinary);
    } catch (e) {
      // Malformed frames are logged and dropped; the connection stays open (as Phoenix does).
      return this.core.log(`dropped a malformed frame: ${e instanceof FrameError ? e.message : String(e)}`);
    }
    if (decoded.type === "user_broadcast") {
      const { push } = decoded;
      return this.enqueue(push.topic, async () => {
        const ch = this.channels.get(push.topic);
        if (!ch)
          return this.reply(
            { join_ref: push.join_ref, ref: push.ref, topic: push.topic, event: "broadcast", payload: null },
            "error",
            { reason: "unmatched topic" },
          );
        await ch.handleBroadcast(push.broadcast, push.ref);
      });
    }
    const m = decoded.message;
    if (m.topic === "phoenix" && m.event === "heartbeat") return this.reply(m, "ok", {});
    this.enqueue(m.topic, () => this.handle(m));
  }

  private async handle(m: Message): Promise<void> {
    if (m.event === "phx_join") return this.handleJoin(m);
    const ch = this.channels.get(m.topic);
    if (m.event === "phx_leave") {
      this.reply(m, "ok", {});
      ch?.close();
      return;
    }
    if (!ch) return this.reply(m, "error", { reason: "unmatched topic" });
    switch (m.event) {
      case "broadcast": {
        const map = obj(m.payload);
        return ch.handleBroadcast({ kind: "map", event: typeof map.event === "string" ? map.event : "", map }, m.ref);
      }
      case "presence":
        return ch.handlePresence(m);
      case "access_token":
        return ch.handleAccessToken(m);
      default:
        return; // unknown events are ignored, as the real server does
    }
  }

  private async handleJoin(m: Message): Promise<void> {
    if (!m.topic.startsWith("realtime:")) return this.reply(m, "error", { reason: "unmatched topic" }, null);
    // A second join for a joined topic replaces the old channel (its phx_close carries the old join_ref).
    this.channels.get(m.topic)?.close();
    let result;
    try {
      result = await join(this.core, this, m, this.channels.size);
    } catch (e) {
      this.core.log(`join ${m.topic} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      result = { ok: false as const, reason: `UnknownErrorOnChannel: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (!result.ok) {
      await sleep(this.core.options.channelErrorBackoffMs);
      return this.reply(m, "error", { reason: result.reason });
    }
    const ch = result.channel;
    if (this.closed) return ch.release();
    this.channels.set(m.topic, ch);
    this.reply(m, "ok", result.response);
    if (result.replayed.length) ch.deliverReplay(result.replayed);
    ch.afterJoin(result.replicationReady, result.pgSubscribed);
  }
}
