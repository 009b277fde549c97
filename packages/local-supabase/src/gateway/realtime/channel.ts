// One joined channel on one socket: broadcast, presence, access_token refresh, leave, and server-side stops.
import { stringifyJson } from "../json.ts";
import { readPermissions, sqlError, writePermission, type AuthContext, type Extension } from "./authorize.ts";
import type { Core, PgSubscriber } from "./core.ts";
import type { Binding } from "./filters.ts";
import type { PresenceDiff } from "./presence.ts";
import { roomKey, type Room, type RoomMember } from "./rooms.ts";
import { encodeBroadcast, type Broadcast, type Message, type Vsn } from "./serializer.ts";
import { verifyToken, type RealtimeCaller } from "./token.ts";

/** What a channel needs from the socket it lives on. */
export interface ChannelSocket {
  readonly vsn: Vsn;
  /** The connection's `x-*` headers, for `request.headers` in policies. */
  readonly headers: Record<string, string>;
  send(frame: string | Buffer): void;
  sendMessage(m: Message): void;
  /** Forgets the channel (it closed itself). */
  detach(ch: Channel): void;
}

export interface ChannelSettings {
  topic: string;
  subTopic: string;
  joinRef: string;
  isPrivate: boolean;
  self: boolean;
  ack: boolean;
  presenceKey: string;
  presenceEnabled: boolean;
  caller: RealtimeCaller;
  bindings: Binding[];
  read: Record<Extension, boolean | undefined>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

export class Channel implements RoomMember, PgSubscriber {
  readonly topic: string;
  readonly subTopic: string;
  readonly joinRef: string;
  readonly isPrivate: boolean;
  readonly self: boolean;
  readonly ack: boolean;
  readonly presenceKey: string;
  presenceEnabled: boolean;
  caller: RealtimeCaller;
  bindings: Binding[];
  closed = false;
  private read: Record<Extension, boolean | undefined>;
  private write: Partial<Record<Extension, Promise<boolean>>> = {};
  private readonly room: Room;
  private readonly key: string;
  private expiryTimer: NodeJS.Timeout | undefined;
  private presencePushes: number[] = [];
  private readonly replayedIds = new Set<string>();

  constructor(
    private readonly core: Core,
    private readonly socket: ChannelSocket,
    s: ChannelSettings,
  ) {
    this.topic = s.topic;
    this.subTopic = s.subTopic;
    this.joinRef = s.joinRef;
    this.isPrivate = s.isPrivate;
    this.self = s.self;
    this.ack = s.ack;
    this.presenceKey = s.presenceKey;
    this.presenceEnabled = s.presenceEnabled;
    this.caller = s.caller;
    this.bindings = s.bindings;
    this.read = s.read;
    this.key = roomKey(s.subTopic, s.isPrivate);
    this.room = core.rooms.join(this.key, this);
    this.armExpiry();
  }

  /** Logs a permission check that could not run (no partition, no database) and answers `denied` instead. */
  private refused<T>(what: string, e: unknown, denied: T): T {
    this.core.log(`${what} on private topic ${JSON.stringify(this.subTopic)} failed, refused: ${sqlError(e)}`);
    return denied;
  }

  private authContext(): AuthContext {
    return { caller: this.caller, topic: this.subTopic, headers: this.socket.headers, log: this.core.log };
  }

  /** Pushes that follow the join reply: presence state, Postgres Changes status, replication readiness. */
  afterJoin(replicationReady: boolean, pgSubscribed: boolean): void {
    if (this.presenceEnabled && this.mayReadPresence()) this.pushPresenceState();
    if (pgSubscribed) this.system("postgres_changes", "ok", "Subscribed to PostgreSQL");
    else if (this.bindings.length) {
      this.core.pgChanges
        .subscribe(this)
        .catch((e: unknown) =>
          this.core.log(`postgres_changes subscribe failed: ${e instanceof Error ? e.message : String(e)}`),
        );
    }
    if (replicationReady)
      this.core.replication.onReady(() => this.system("system", "ok", "Replication connection established"));
  }

  private mayReadPresence(): boolean {
    return !this.isPrivate || this.read.presence === true;
  }

  push(event: string, payload: unknown, ref: string | null = null): void {
    if (this.closed) return;
    this.socket.sendMessage({ join_ref: this.joinRef, ref, topic: this.topic, event, payload });
  }

  reply(ref: string | null, status: "ok" | "error", response: unknown): void {
    this.push("phx_reply", { status, response }, ref);
  }

  system(extension: string, status: "ok" | "error", message: string): void {
    this.push("system", { extension, status, message, channel: this.subTopic });
  }

  private pushPresenceState(): void {
    this.push("presence_state", this.room.presence.state());
  }

  deliverBroadcast(b: Broadcast, fromSelf: boolean): void {
    if (this.closed || (fromSelf && !this.self)) return;
    if (this.isPrivate && this.read.broadcast !== true) return;
    if (this.replayedIds.size && b.kind === "user" && typeof b.meta?.id === "string" && this.replayedIds.has(b.meta.id))
      return;
    const frame = encodeBroadcast(this.socket.vsn, this.topic, b);
    if (frame !== undefined) this.socket.send(frame);
  }

  /** Replayed database broadcasts, right after the join reply; their live copies are then skipped. */
  deliverReplay(list: Extract<Broadcast, { kind: "user" }>[]): void {
    for (const b of list) {
      const id = b.meta?.id;
      if (typeof id === "string") this.replayedIds.add(id);
      if (b.binary) {
        const frame = encodeBroadcast(this.socket.vsn, this.topic, b);
        if (frame !== undefined) this.socket.send(frame);
      } else this.push("broadcast", { payload: b.json, event: b.event, type: "broadcast", meta: b.meta });
    }
  }

  deliverPresenceDiff(diff: PresenceDiff): void {
    if (this.closed || !this.mayReadPresence()) return;
    this.socket.sendMessage({ join_ref: null, ref: null, topic: this.topic, event: "presence_diff", payload: diff });
  }

  deliverChange(ids: number[], data: Record<string, unknown>): void {
    if (this.closed) return;
    this.socket.sendMessage({
      join_ref: null,
      ref: null,
      topic: this.topic,
      event: "postgres_changes",
      payload: { ids, data },
    });
  }

  /** Write permission for an extension, checked once per token (spec §8.3); public channels always may. */
  private mayWrite(ext: Extension): Promise<boolean> {
    if (!this.isPrivate) return Promise.resolve(true);
    return (this.write[ext] ??= writePermission(this.core.db, this.authContext(), ext));
  }

  /** A client broadcast: dropped silently when the channel may not write; acknowledged when asked. */
  async handleBroadcast(b: Broadcast, ref: string | null): Promise<void> {
    if (!(await this.mayWrite("broadcast")) || this.closed) return;
    const size =
      b.kind === "user" ? (b.binary?.byteLength ?? stringifyJson(b.json ?? null).length) : stringifyJson(b.map).length;
    if (size > this.core.options.maxPayloadBytes) {
      if (this.ack) this.reply(ref, "error", "payload_size_exceeded");
      return;
    }
    this.core.rooms.broadcast(this.key, b, this);
    if (this.ack) this.reply(ref, "ok", {});
  }

  /** `track` / `untrack` pushes (spec §5.1). */
  async handlePresence(m: Message): Promise<void> {
    const now = Date.now();
    const { count, windowMs } = this.core.options.presenceLimit;
    this.presencePushes = this.presencePushes.filter((t) => now - t < windowMs);
    this.presencePushes.push(now);
    if (this.presencePushes.length > count) return this.stop("Client presence rate limit exceeded");
    const p = isObject(m.payload) ? m.payload : {};
    const event = typeof p.event === "string" ? p.event.toLowerCase() : "";
    if (event === "track") {
      if (!isObject(p.payload)) return this.reply(m.ref, "error", { reason: "Presence track payload must be a map" });
      if (this.isPrivate) {
        if (this.read.presence === undefined) {
          const read = await readPermissions(this.core.db, this.authContext(), ["presence"]).catch((e: unknown) =>
            this.refused("presence read check", e, { presence: false }),
          );
          this.read.presence = read.presence === true;
        }
        if (!(await this.mayWrite("presence"))) return this.reply(m.ref, "error", {});
      }
      if (this.closed) return;
      const diff = this.room.presence.track(this, this.presenceKey, p.payload);
      if (diff) this.core.rooms.presenceDiff(this.key, diff);
      this.reply(m.ref, "ok", {});
      if (!this.presenceEnabled) {
        // Newer servers enable presence on the first track and then send the full state.
        this.presenceEnabled = true;
        if (this.mayReadPresence()) this.pushPresenceState();
      }
      return;
    }
    if (event === "untrack") {
      const diff = this.room.presence.untrack(this);
      if (diff) this.core.rooms.presenceDiff(this.key, diff);
      return this.reply(m.ref, "ok", {});
    }
    this.reply(m.ref, "error", {});
  }

  /** A new token on a live channel (spec §3.7): re-verify, re-authorise, re-subscribe. */
  async handleAccessToken(m: Message): Promise<void> {
    const token = isObject(m.payload) ? m.payload.access_token : undefined;
    if (typeof token !== "string" || token.startsWith("sb_") || token === this.caller.token) return;
    const verified = await verifyToken(token, this.core.config);
    if (!verified.ok) return this.stop(verified.message);
    const before = this.read;
    this.caller = verified.caller;
    this.write = {};
    if (this.isPrivate) {
      const exts: Extension[] = before.presence === undefined ? ["broadcast"] : ["broadcast", "presence"];
      const read = await readPermissions(this.core.db, this.authContext(), exts).catch((e: unknown) =>
        this.refused("read check after a new access_token", e, { broadcast: false, presence: false }),
      );
      if (this.closed) return;
      this.read = { broadcast: read.broadcast, presence: read.presence };
      if (!read.broadcast && !read.presence) {
        const had = before.broadcast === true || before.presence === true;
        return this.stop(
          had
            ? `You no longer have permission to read from this Channel topic: ${this.subTopic}`
            : `You do not have permissions to read from this Channel topic: ${this.subTopic}`,
        );
      }
    }
    // Postgres Changes read the caller from the channel at each change, so its subscriptions now run
    // with the new token without a gap.
    this.armExpiry();
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const ms = Math.max(0, this.caller.exp * 1000 - Date.now());
    // Timers cap at ~24.8 days; a longer-lived token is simply re-armed then.
    this.expiryTimer = setTimeout(
      () => {
        const left = this.caller.exp * 1000 - Date.now();
        if (left > 0) return this.armExpiry();
        this.stop(`Token has expired ${Math.max(0, Math.floor(Date.now() / 1000) - this.caller.exp)} seconds ago`);
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    this.expiryTimer.unref();
  }

  /** Server-side stop: a system error, then `phx_close`; the client does not re-join. */
  stop(message: string): void {
    if (this.closed) return;
    this.system("system", "error", message);
    this.close();
  }

  /** Sends `phx_close` and releases everything the channel holds. */
  close(): void {
    if (this.closed) return;
    this.push("phx_close", {}, this.joinRef);
    this.release();
  }

  /** Releases without telling the client (socket gone). */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    this.core.rooms.leave(this.key, this);
    this.core.pgChanges.unsubscribe(this);
    this.socket.detach(this);
  }
}
