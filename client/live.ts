// Live updates over Supabase Realtime private channels (each join authorised by RLS on realtime.messages).
//
// Where things travel (docs/realtime-events.md):
//   user:<me>                 receive-only: every database event of my conversations of at most 100
//                             members, once per member, plus my inbox and call events;
//   conversation:<id>:events  receive-only: a content-free notice per database event of a larger group;
//                             the SDK reads the rows through RLS (coalescing bursts) and delivers the
//                             same events as for small conversations;
//   conversation:<id>         client signals only: typing (broadcast) and presence. Hints, never data:
//                             nothing received there is ever taken for a database event;
//   call:<id>                 a call room: participant events (receive-only) and presence.
// One client opens each topic once, whatever number of subscriptions use it: the inbox and every open
// conversation share the one user:<me> channel, so each event reaches the client once.
import type { RealtimeChannel } from "@supabase/supabase-js";
import type { ParleyClient, ParleyRest } from "./client.ts";
import { ParleyError, unwrap } from "./errors.ts";
import { rpc } from "./rpc.ts";
import type {
  CallRoomEvents,
  ConversationLiveEvents,
  Handlers,
  InboxEvents,
  MemberRoleChangedEvent,
  MembersAddedEvent,
  MembersRemovedEvent,
  MessageEvent,
  TypingEvent,
} from "./events.ts";
import type { MemberRole, Message } from "./types.ts";

/** How long the SDK gathers arriving messages before acknowledging them with `mark_delivered`. */
export const DELIVERY_BATCH_MS = 250;

/** Minimum gap between two `typing: true` broadcasts of one client (Realtime rate-limits clients). */
export const TYPING_THROTTLE_MS = 3000;

/** Page size of the reads that follow a large group's notices. */
const READ_PAGE = 200;

/** Anything live the SDK opened: `close()` ends it. */
export interface LiveChannel {
  /** Removes every handler of this subscription and leaves the channels nothing else of this client uses. */
  close(): Promise<void>;
}

/** A live subscription delivering the events `E`, with one handler API for all of them. */
export interface LiveSubscription<E> extends LiveChannel {
  /**
   * Adds a handler for one event; returns the function that removes exactly that handler.
   * @example
   * const off = inbox.on("message_created", (e) => render(e.message));
   * off(); // that handler only; the others stay
   */
  on<K extends keyof E>(event: K, handler: (payload: E[K]) => void): () => void;
}

/** `live.inbox()`: every conversation's events, my inbox changes and my calls. */
export type InboxChannel = LiveSubscription<InboxEvents>;

/** `live.conversation()`: one conversation's events and its signals. */
export interface ConversationChannel extends LiveSubscription<ConversationLiveEvents> {
  /** Tells the others I am typing (throttled) or stopped. A hint: see `ConversationLiveEvents.typing`. */
  typing(isTyping?: boolean): Promise<void>;
  /**
   * User ids present on the conversation now. A hint: Realtime cannot bind a presence key to the JWT,
   * so a member could appear as someone else. The trustworthy "last seen" is `profiles.last_seen_at`,
   * which only its owner can move (`profiles.heartbeat()`).
   */
  online(): string[];
}

/** `live.call()`: participants joining and leaving, the end, and presence in the room. */
export interface CallChannel extends LiveSubscription<CallRoomEvents> {
  /** User ids present in the call room now. */
  online(): string[];
}

/** Handlers for `live.conversation`: its events and its signals (see `ConversationLiveEvents`). */
export type ConversationHandlers = Handlers<ConversationLiveEvents>;

// ---------------------------------------------------------------------------------------------
// Handlers

type AnyHandler = (payload: never) => void;

/** Handlers by event; a throwing handler fails on its own, without stopping the others. */
class Emitter<E> {
  private readonly handlers = new Map<keyof E, Set<AnyHandler>>();

  on = <K extends keyof E>(event: K, handler: (payload: E[K]) => void): (() => void) => {
    const set = this.handlers.get(event) ?? new Set<AnyHandler>();
    this.handlers.set(event, set);
    // The same function added twice is two handlers, each removed by its own `off`.
    const entry: AnyHandler = (p) => handler(p as E[K]);
    set.add(entry);
    return () => void set.delete(entry);
  };

  addAll(handlers: Handlers<E>): void {
    for (const [event, handler] of Object.entries(handlers) as Array<[keyof E, ((p: never) => void) | undefined]>) {
      if (typeof handler === "function") this.on(event, handler as (p: E[keyof E]) => void);
    }
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        (handler as (p: E[K]) => void)(payload);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Shared channels: one per topic per supabase-js client (realtime-js itself hands back the existing
// channel for a topic, so two subscriptions must share it rather than subscribe twice).

type BroadcastListener = (event: string, payload: unknown) => void;

interface Shared {
  channel: RealtimeChannel;
  refs: number;
  ready: Promise<void>;
  broadcasts: Set<BroadcastListener>;
  presence: Set<() => void>;
}

interface Lease {
  channel: RealtimeChannel;
  release(): Promise<void>;
}

interface LeaseOptions {
  /** Enables presence with this key (at the channel's first opening). */
  presenceKey?: string;
  /** Runs once when the channel is first joined (e.g. `track`). */
  onJoined?: (channel: RealtimeChannel) => Promise<unknown>;
  onBroadcast?: BroadcastListener;
  onPresence?: () => void;
}

const registries = new WeakMap<object, Map<string, Shared>>();

function registryOf(supabase: ParleyClient): Map<string, Shared> {
  let registry = registries.get(supabase);
  if (!registry) registries.set(supabase, (registry = new Map()));
  return registry;
}

/** How often, and how far apart (× the attempt), a large group's feed is opened again after its join timed out. */
const FEED_OPEN_RETRIES = 5;
const FEED_RETRY_MS = 1_000;

/** A join that did not hear back in time (realtime-js TIMED_OUT), as opposed to one the server refused. */
const joinTimedOut = (e: unknown): boolean =>
  e instanceof ParleyError && e.code === "channel_refused" && (e as Error).cause === "TIMED_OUT";

/** Subscribes and resolves once joined; a refused join (not a member, signed out) rejects with `channel_refused`. */
function join(channel: RealtimeChannel, onClosed: () => void): Promise<void> {
  if (channel.state === "joined") return Promise.resolve();
  return new Promise((resolve, reject) => {
    let settled = false;
    channel.subscribe((status, err) => {
      if (settled) {
        if (status === "CLOSED") onClosed();
        return;
      }
      if (status === "SUBSCRIBED") {
        settled = true;
        resolve();
      } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
        settled = true;
        reject(
          new ParleyError({
            code: "channel_refused",
            message: `Could not join ${channel.subTopic}: ${err?.message ?? status}`,
            status: undefined,
            cause: err ?? status,
          }),
        );
      }
    });
  });
}

/** Joins `topic` (private) or shares the client's channel already on it; `release()` leaves when no one uses it. */
async function acquire(supabase: ParleyClient, topic: string, options: LeaseOptions = {}): Promise<Lease> {
  const registry = registryOf(supabase);
  let shared = registry.get(topic);
  if (!shared) {
    const channel = supabase.channel(topic, {
      config: { private: true, ...(options.presenceKey ? { presence: { key: options.presenceKey } } : {}) },
    });
    const created: Shared = { channel, refs: 0, ready: Promise.resolve(), broadcasts: new Set(), presence: new Set() };
    channel.on("broadcast", { event: "*" }, (m: { event?: string; payload?: unknown }) => {
      for (const listener of [...created.broadcasts]) listener(typeof m.event === "string" ? m.event : "", m.payload);
    });
    // realtime-js enables presence only for a channel with a presence listener before subscribe (it
    // refuses one after: the app joined this topic itself on this client; `online()` still works).
    if (options.presenceKey && channel.state !== "joined" && channel.state !== "joining") {
      channel.on("presence", { event: "sync" }, () => [...created.presence].forEach((l) => l()));
    }
    const forget = () => {
      if (registry.get(topic) === created) registry.delete(topic);
    };
    created.ready = join(channel, forget)
      .then(() => options.onJoined?.(channel))
      .then(
        () => undefined,
        async (e: unknown) => {
          forget();
          await supabase.removeChannel(channel).catch(() => undefined);
          throw e;
        },
      );
    registry.set(topic, created);
    shared = created;
  }
  const s = shared;
  s.refs += 1;
  if (options.onBroadcast) s.broadcasts.add(options.onBroadcast);
  if (options.onPresence) s.presence.add(options.onPresence);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    if (options.onBroadcast) s.broadcasts.delete(options.onBroadcast);
    if (options.onPresence) s.presence.delete(options.onPresence);
    s.refs -= 1;
    if (s.refs === 0 && registry.get(topic) === s) {
      registry.delete(topic);
      await supabase.removeChannel(s.channel).catch(() => undefined);
    }
  };
  try {
    await s.ready;
  } catch (e) {
    await release();
    throw e;
  }
  return { channel: s.channel, release };
}

// ---------------------------------------------------------------------------------------------
// The hub: one per client and user. Owns the user:<me> channel and the large groups' feeds, and hands
// every conversation event to the inbox subscriptions and to that conversation's subscriptions.

type Sink = (event: string, payload: unknown) => void;
type Row = Record<string, unknown>;

const record = (v: unknown): Row | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Row) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** The events of a conversation that user:<me> carries for conversations within the fan-out bound. */
const CONVERSATION_EVENTS = new Set([
  "message_created",
  "message_edited",
  "message_deleted",
  "members_added",
  "members_removed",
  "member_role_changed",
  "member_read",
  "member_delivered",
  "conversation_updated",
  "reaction_added",
  "reaction_removed",
  "message_pinned",
  "message_unpinned",
  // Sent to my own user:<me> whatever the group's size (only my devices hear them).
  "message_hidden",
  "message_unhidden",
]);
/** user:<me>-only events an inbox hears as they are. */
const INBOX_ONLY_EVENTS = new Set([
  "conversation_added",
  "conversation_removed",
  "membership_updated",
  "conversation_fanout_changed",
  "call_incoming",
  "call_state",
  "call_ended",
  "invitation_received",
  "block_changed",
  "report_created",
]);
const CALL_ROOM_EVENTS = new Set([
  "participant_joined",
  "participant_left",
  "participant_declined",
  "participant_missed",
  "call_ended",
]);

const EVENTS_TOPIC = /^conversation:([0-9a-f-]{36}):events$/;

class Hub {
  private user: Promise<Lease> | undefined;
  private userRefs = 0;
  private readonly inboxSinks = new Set<Sink>();
  private readonly conversationSinks = new Map<string, Set<Sink>>();
  /** My groups above the fan-out bound, as last learned (list_realtime_topics, fan-out and membership events). */
  private large = new Set<string>();
  private readonly feeds = new Map<string, Feed>();
  /** Failed opens of a large group's feed whose join timed out, by conversation: the retries so far. */
  private readonly openAttempts = new Map<string, number>();
  /** The highest message seq delivered per conversation: a message reaches each subscription once. */
  readonly cursors = new Map<string, number>();
  /** Whether messages others send are acknowledged with `mark_delivered` as they arrive (delivery receipts). */
  deliveryReceipts = true;
  /** Delivery receipts not yet sent: the highest seq received per conversation, flushed together. */
  private readonly undelivered = new Map<string, number>();
  private deliveryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly supabase: ParleyClient,
    readonly db: ParleyRest,
    readonly me: string,
  ) {}

  /** Adds a subscription (`null`: the inbox; else one conversation) and resolves once its events flow. */
  async attach(conversationId: string | null, sink: Sink): Promise<() => Promise<void>> {
    const sinks = conversationId === null ? this.inboxSinks : this.conversationSinksOf(conversationId);
    sinks.add(sink);
    try {
      await this.retainUser();
    } catch (e) {
      sinks.delete(sink);
      this.pruneSinks(conversationId);
      throw e;
    }
    let detached = false;
    const detach = async () => {
      if (detached) return;
      detached = true;
      sinks.delete(sink);
      this.pruneSinks(conversationId);
      await Promise.all([this.reconcile(), this.releaseUser()]);
    };
    try {
      // After joining user:<me>, so that a later change of bound is heard there.
      const topics = await rpc(this.db, "list_realtime_topics", {});
      this.large = new Set(topics.map((t) => EVENTS_TOPIC.exec(t)?.[1]).filter((id): id is string => id !== undefined));
      await this.reconcile();
    } catch (e) {
      await detach();
      throw e;
    }
    return detach;
  }

  private conversationSinksOf(id: string): Set<Sink> {
    let set = this.conversationSinks.get(id);
    if (!set) this.conversationSinks.set(id, (set = new Set()));
    return set;
  }

  private pruneSinks(conversationId: string | null): void {
    if (conversationId !== null && this.conversationSinks.get(conversationId)?.size === 0)
      this.conversationSinks.delete(conversationId);
  }

  private async retainUser(): Promise<void> {
    this.userRefs += 1;
    this.user ??= acquire(this.supabase, `user:${this.me}`, {
      onBroadcast: (event, payload) => this.onUser(event, payload),
    });
    const pending = this.user;
    try {
      await pending;
    } catch (e) {
      this.userRefs -= 1;
      if (this.user === pending) this.user = undefined;
      throw e;
    }
  }

  private async releaseUser(): Promise<void> {
    this.userRefs -= 1;
    if (this.userRefs > 0 || !this.user) return;
    const lease = this.user;
    this.user = undefined;
    await (await lease).release();
  }

  /** Everything on user:<me>: conversation events of small conversations, my inbox, my calls. */
  private onUser(event: string, payload: unknown): void {
    const p = record(payload);
    if (!p) return;
    const conversationId = str(p.conversation_id);
    if (CONVERSATION_EVENTS.has(event)) {
      if (conversationId) this.deliver(conversationId, event, p);
      return;
    }
    if (!INBOX_ONLY_EVENTS.has(event)) return; // not a Parley event
    if (conversationId && event === "conversation_removed") {
      this.large.delete(conversationId);
      void this.reconcile();
      for (const sink of [...(this.conversationSinks.get(conversationId) ?? [])]) sink(event, p);
    } else if (conversationId && (event === "conversation_added" || event === "conversation_fanout_changed")) {
      if (p.inbox_fanout === false) this.large.add(conversationId);
      else this.large.delete(conversationId);
      void this.reconcile();
    }
    for (const sink of [...this.inboxSinks]) sink(event, p);
  }

  /** Hands a conversation event to the inbox and that conversation's subscriptions (a message once). */
  deliver(conversationId: string, event: string, payload: Row): void {
    const message = event === "message_created" ? record(payload.message) : undefined;
    // The cursor follows the conversation's timeline; a reply kept in its thread is delivered as it comes.
    if (message && message.shown_in_conversation !== false) {
      const seq = num(message.seq);
      if (seq !== undefined) {
        const cursor = this.cursors.get(conversationId);
        if (cursor !== undefined && seq <= cursor) return;
        this.cursors.set(conversationId, seq);
      }
    }
    if (message && message.sender_id !== this.me) this.received(conversationId, num(message.seq));
    for (const sink of [...this.inboxSinks]) sink(event, payload);
    for (const sink of [...(this.conversationSinks.get(conversationId) ?? [])]) sink(event, payload);
  }

  /**
   * A message from someone else reached this client: acknowledge it with `mark_delivered`. Arrivals
   * within DELIVERY_BATCH_MS go as one call per conversation (its highest seq); the call is idempotent
   * and never moves a cursor back, so a lost or repeated one costs nothing.
   */
  private received(conversationId: string, seq: number | undefined): void {
    if (!this.deliveryReceipts || seq === undefined) return;
    this.undelivered.set(conversationId, Math.max(seq, this.undelivered.get(conversationId) ?? 0));
    if (this.deliveryTimer !== undefined) return;
    this.deliveryTimer = setTimeout(() => {
      this.deliveryTimer = undefined;
      const batch = [...this.undelivered];
      this.undelivered.clear();
      for (const [id, upTo] of batch) {
        // Not a member any more, or offline: the next message (or mark_read) delivers it anyway.
        void Promise.resolve(this.db.rpc("mark_delivered", { conversation_id: id, seq: upTo })).catch(() => undefined);
      }
    }, DELIVERY_BATCH_MS);
  }

  /** Opens the feeds of the large groups someone follows (every one for an inbox) and closes the rest. */
  private reconcile(): Promise<void> {
    const wanted = new Set([...this.large].filter((id) => this.inboxSinks.size > 0 || this.conversationSinks.has(id)));
    const opening: Promise<void>[] = [];
    for (const [id, feed] of this.feeds) {
      if (!wanted.has(id)) {
        this.feeds.delete(id);
        opening.push(feed.close());
      }
    }
    for (const id of wanted) {
      if (this.feeds.has(id)) continue;
      const feed = new Feed(this, id);
      this.feeds.set(id, feed);
      opening.push(
        feed.open().then(
          () => void this.openAttempts.delete(id),
          (e: unknown) => {
            if (this.feeds.get(id) === feed) this.feeds.delete(id);
            // Refused (not, or no longer, a member): nothing to follow. A join that timed out (a busy
            // Realtime) is tried again a few times, later and later; given up on, the group's events
            // wait for the next reconcile (a fan-out or membership event, a new subscription).
            const attempts = (this.openAttempts.get(id) ?? 0) + 1;
            if (!joinTimedOut(e) || attempts > FEED_OPEN_RETRIES) return void this.openAttempts.delete(id);
            this.openAttempts.set(id, attempts);
            const retry = setTimeout(() => void this.reconcile(), FEED_RETRY_MS * attempts);
            // Node: a pending retry does not keep the process alive.
            (retry as { unref?: () => void }).unref?.();
          },
        ),
      );
    }
    return Promise.all(opening).then(() => undefined);
  }
}

const hubs = new WeakMap<object, Map<string, Hub>>();
function hubFor(supabase: ParleyClient, db: ParleyRest, me: string): Hub {
  let byUser = hubs.get(supabase);
  if (!byUser) hubs.set(supabase, (byUser = new Map()));
  let hub = byUser.get(me);
  if (!hub) byUser.set(me, (hub = new Hub(supabase, db, me)));
  return hub;
}

// ---------------------------------------------------------------------------------------------
// A large group's feed: notices on conversation:<id>:events, turned into the same events as a small
// conversation's by reading through RLS. Notices that arrive while a read runs are handled together
// by the next one, so a burst costs a few reads, not one per notice.

interface MemberRow {
  user_id: string;
  role: MemberRole;
  joined_at: string;
}

/**
 * Runs a read of a large group's feed, trying again twice (after 250 ms, then 500 ms) when it fails: a
 * notice is announced once, so a read lost to a passing error (a busy database, a reconnecting
 * gateway) would lose its event until the next catch-up. Resolves undefined when every try failed.
 */
async function persist<T>(read: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch {
      if (attempt === 2) return undefined;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

class Feed {
  private lease: Lease | undefined;
  private closed = false;
  private running = false;
  private members: Map<string, MemberRow> | undefined;
  // Pending work since the last read.
  private created: { after: number | undefined; upTo: number; ids: Map<string, string>; lastId: string } | undefined;
  private changed = new Map<string, string>();
  /** Thread replies announced, by message id (read by id: the timeline may not show them). */
  private threaded = new Map<string, string>();
  /** Messages whose reactions changed, with the last notice id and event. */
  private reacted = new Map<string, { id: string; event: string }>();
  private reads = new Map<string, Row>();
  private membership: string | undefined;
  private updated: string | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly conversationId: string,
  ) {}

  async open(): Promise<void> {
    // The member list to compare later membership notices with, read before joining (a change in
    // between shows at the next notice rather than never).
    const baseline = persist(() => this.loadMembers());
    const lease = await acquire(this.hub.supabase, `conversation:${this.conversationId}:events`, {
      onBroadcast: (e, p) => this.onNotice(e, p),
    });
    if (this.closed) return lease.release();
    this.lease = lease;
    this.members = await baseline;
    // Switched here from user:<me> (the group outgrew the bound): read what was written meanwhile.
    const cursor = this.hub.cursors.get(this.conversationId);
    if (cursor !== undefined) {
      this.created = { after: cursor, upTo: Number.MAX_SAFE_INTEGER, ids: new Map(), lastId: crypto.randomUUID() };
      this.membership = crypto.randomUUID();
      this.schedule();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.lease?.release();
  }

  private onNotice(event: string, payload: unknown): void {
    const n = record(payload);
    if (!n || this.closed) return;
    const id = str(n.id) ?? crypto.randomUUID();
    switch (event) {
      case "message_created": {
        const seq = num(n.seq);
        if (seq === undefined) return;
        const threadMessageId = str(n.thread_root_id) && str(n.message_id);
        if (threadMessageId) {
          // A thread reply: list_messages (the timeline) may not have it; read it by id.
          this.threaded.set(threadMessageId, id);
          break;
        }
        const c = (this.created ??= { after: undefined, upTo: seq, ids: new Map(), lastId: id });
        c.after = c.after === undefined ? seq - 1 : Math.min(c.after, seq - 1);
        c.upTo = Math.max(c.upTo, seq);
        c.lastId = id;
        const messageId = str(n.message_id);
        if (messageId) c.ids.set(messageId, id);
        break;
      }
      case "message_edited":
      case "message_deleted": {
        const messageId = str(n.message_id);
        if (messageId) this.changed.set(messageId, id);
        break;
      }
      case "reaction_added":
      case "reaction_removed": {
        // The notice says which message; its counts are read with the row (who reacted is not in a notice).
        const messageId = str(n.message_id);
        if (messageId) this.reacted.set(messageId, { id, event });
        break;
      }
      case "message_pinned":
      case "message_unpinned": {
        const messageId = str(n.message_id);
        const seq = num(n.seq);
        if (messageId && seq !== undefined)
          this.deliver(event, { id, conversation_id: this.conversationId, message_id: messageId, seq });
        return;
      }
      case "member_read": {
        const userId = str(n.user_id);
        const seq = num(n.last_read_seq);
        const delivered = num(n.last_delivered_seq) ?? seq;
        if (userId && seq !== undefined)
          this.reads.set(userId, {
            id,
            conversation_id: this.conversationId,
            user_id: userId,
            last_read_seq: seq,
            last_delivered_seq: delivered,
            message_id: null,
            read_at: null,
          });
        break;
      }
      case "members_added":
      case "members_removed":
      case "member_role_changed":
        this.membership = id;
        break;
      case "conversation_updated":
        this.updated = id;
        break;
      default:
        // conversation_deleted: user:<me> says conversation_removed to every member. Anything else is not Parley's.
        return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.drain();
  }

  /**
   * Reads what the pending notices announced until none is left. `running` is cleared in the same
   * synchronous step as the last check for pending work: the WebSocket hands over the frames of one
   * network read in one task, so a notice can arrive right after a drain with nothing to await ends,
   * before any promise callback would run, and must then start a drain of its own.
   */
  private async drain(): Promise<void> {
    try {
      while (
        !this.closed &&
        (this.created ||
          this.threaded.size ||
          this.changed.size ||
          this.reacted.size ||
          this.reads.size ||
          this.membership ||
          this.updated)
      ) {
        const created = this.created;
        const threaded = this.threaded;
        this.threaded = new Map();
        const changed = this.changed;
        const reacted = this.reacted;
        this.reacted = new Map();
        const reads = this.reads;
        const membership = this.membership;
        const updated = this.updated;
        this.created = undefined;
        this.changed = new Map();
        this.reads = new Map();
        this.membership = undefined;
        this.updated = undefined;
        if (created) await persist(() => this.readCreated(created));
        if (threaded.size) await persist(() => this.readThreaded(threaded));
        if (changed.size) await persist(() => this.readChanged(changed));
        if (reacted.size) await persist(() => this.readReactions(reacted));
        for (const r of reads.values()) this.deliver("member_read", r);
        if (membership) await persist(() => this.readMembers(membership));
        if (updated) await persist(() => this.readConversation(updated));
      }
    } finally {
      this.running = false;
    }
  }

  private deliver(event: string, payload: Row): void {
    if (!this.closed) this.hub.deliver(this.conversationId, event, payload);
  }

  /** New messages after the last one delivered, oldest first (list_messages after_seq). */
  private async readCreated(c: {
    after: number | undefined;
    upTo: number;
    ids: Map<string, string>;
    lastId: string;
  }): Promise<void> {
    let after = this.hub.cursors.get(this.conversationId) ?? c.after ?? 0;
    while (!this.closed && after < c.upTo) {
      const rows = await rpc(this.hub.db, "list_messages", {
        conversation_id: this.conversationId,
        after_seq: after,
        max_count: READ_PAGE,
      });
      for (const message of rows) {
        const event: MessageEvent = {
          id: c.ids.get(message.id) ?? c.lastId,
          conversation_id: this.conversationId,
          message,
          inbox: null,
        };
        this.deliver("message_created", event as unknown as Row);
      }
      const last = rows.at(-1);
      if (!last || rows.length < READ_PAGE) return;
      after = last.seq;
    }
  }

  /** Thread replies, read by id, oldest first, each delivered as message_created. */
  private async readThreaded(threaded: Map<string, string>): Promise<void> {
    const rows = unwrap(
      await this.hub.db
        .from("messages")
        .select("*")
        .eq("conversation_id", this.conversationId)
        .in("id", [...threaded.keys()])
        .order("seq"),
    ) as Message[];
    for (const message of rows) {
      const event: MessageEvent = {
        id: threaded.get(message.id)!,
        conversation_id: this.conversationId,
        message,
        inbox: null,
      };
      this.deliver("message_created", event as unknown as Row);
    }
  }

  /** Edited and deleted messages as they are now; a deleted one is its tombstone. */
  private async readChanged(changed: Map<string, string>): Promise<void> {
    const rows = unwrap(
      await this.hub.db
        .from("messages")
        .select("*")
        .eq("conversation_id", this.conversationId)
        .in("id", [...changed.keys()]),
    ) as Message[];
    for (const message of rows) {
      const event: MessageEvent = {
        id: changed.get(message.id)!,
        conversation_id: this.conversationId,
        message,
        inbox: null,
      };
      this.deliver(message.deleted_at ? "message_deleted" : "message_edited", event as unknown as Row);
    }
  }

  /** The reaction counts of messages someone reacted to, as they are now. */
  private async readReactions(reacted: Map<string, { id: string; event: string }>): Promise<void> {
    const rows = unwrap(
      await this.hub.db
        .from("messages")
        .select("id, seq, reactions")
        .eq("conversation_id", this.conversationId)
        .in("id", [...reacted.keys()]),
    ) as Array<Pick<Message, "id" | "seq" | "reactions">>;
    for (const row of rows) {
      const { id, event } = reacted.get(row.id)!;
      this.deliver(event, {
        id,
        conversation_id: this.conversationId,
        message_id: row.id,
        seq: row.seq,
        reactions: row.reactions,
      });
    }
  }

  private async loadMembers(): Promise<Map<string, MemberRow>> {
    const rows = unwrap(
      await this.hub.db
        .from("conversation_members")
        .select("user_id, role, joined_at")
        .eq("conversation_id", this.conversationId),
    ) as MemberRow[];
    return new Map(rows.map((r) => [r.user_id, r]));
  }

  /** Who joined, left or changed role since the last read of the member list. */
  private async readMembers(id: string): Promise<void> {
    const before = this.members;
    const now = await this.loadMembers();
    this.members = now;
    if (!before) return;
    const base = { id, conversation_id: this.conversationId };
    const added = [...now.values()].filter((m) => !before.has(m.user_id));
    const removed = [...before.keys()].filter((userId) => !now.has(userId));
    if (added.length) {
      const e: MembersAddedEvent = {
        ...base,
        members: added.map(({ user_id, role, joined_at }) => ({ user_id, role, joined_at })),
        member_count: now.size,
      };
      this.deliver("members_added", e as unknown as Row);
    }
    if (removed.length) {
      const e: MembersRemovedEvent = { ...base, user_ids: removed, member_count: now.size };
      this.deliver("members_removed", e as unknown as Row);
    }
    for (const m of now.values()) {
      const previous = before.get(m.user_id);
      if (previous && previous.role !== m.role) {
        const e: MemberRoleChangedEvent = { ...base, user_id: m.user_id, role: m.role, previous_role: previous.role };
        this.deliver("member_role_changed", e as unknown as Row);
      }
    }
  }

  private async readConversation(id: string): Promise<void> {
    const conversation = unwrap(
      await this.hub.db
        .from("conversations")
        .select("id, kind, title, description, avatar_url, updated_at")
        .eq("id", this.conversationId)
        .maybeSingle(),
    );
    if (conversation) this.deliver("conversation_updated", { id, conversation_id: this.conversationId, conversation });
  }
}

// ---------------------------------------------------------------------------------------------
// The API

const typingOf = (payload: unknown): TypingEvent | undefined => {
  const p = record(payload);
  return p && typeof p.user_id === "string" && typeof p.typing === "boolean"
    ? { user_id: p.user_id, typing: p.typing }
    : undefined;
};

export interface LiveOptions {
  /**
   * Acknowledge messages from others as they arrive (`mark_delivered`), so senders see them delivered
   * (default true). Applies to every Parley made on the same supabase-js client and user.
   */
  deliveryReceipts?: boolean;
}

export function liveApi(
  supabase: ParleyClient,
  db: ParleyRest,
  currentUserId: () => Promise<string>,
  options: LiveOptions = {},
) {
  const hub = async () => {
    const h = hubFor(supabase, db, await currentUserId());
    h.deliveryReceipts = options.deliveryReceipts ?? true;
    return h;
  };

  return {
    /** The channels a live inbox keeps open: `user:<me>` and `conversation:<id>:events` for each group above the fan-out bound. */
    async topics(): Promise<string[]> {
      return rpc(db, "list_realtime_topics", {});
    },

    /**
     * My inbox: every database event of every conversation I belong to (`message_created` with the
     * full row and my inbox summary, edits, deletes, members, roles, read and delivery receipts, renames), plus
     * `conversation_added` / `conversation_removed`, `membership_updated` (my other devices),
     * `conversation_fanout_changed` and my calls (`call_incoming` with `ring_expires_at`, `call_state`,
     * `call_ended`). Listens on `user:<me>` and on the events topic of each group above the fan-out
     * bound (those events carry `inbox: null`). Every event here comes from the database on a topic no
     * client can send on. After a reconnect, catch up with `messages.catchUp` / `conversations.inbox`.
     * Messages from others that arrive here are acknowledged with `mark_delivered` (delivery receipts;
     * `createParley(supabase, { deliveryReceipts: false })` turns that off).
     * @example
     * const inbox = await parley.live.inbox({ message_created: (e) => bump(e.conversation_id, e.inbox) });
     * const off = inbox.on("call_incoming", (e) => ring(e.call, e.ring_expires_at));
     * off();                // removes that handler only
     * await inbox.close();  // all of them
     */
    async inbox(handlers: Handlers<InboxEvents> = {}): Promise<InboxChannel> {
      const h = await hub();
      const emitter = new Emitter<InboxEvents>();
      emitter.addAll(handlers);
      const detach = await h.attach(null, (event, payload) =>
        emitter.emit(event as keyof InboxEvents, payload as never),
      );
      return {
        on: emitter.on,
        close: async () => {
          emitter.clear();
          await detach();
        },
      };
    },

    /**
     * An open conversation. Its DATA (messages, members, roles, read receipts, renames) comes from the
     * database only: the client's shared `user:<me>` channel filtered to this conversation, or for a
     * group above the fan-out bound its `conversation:<id>:events` notices followed by reads through
     * RLS. A viewer receives each message once, whether or not the inbox is open too. Its SIGNALS come
     * from `conversation:<id>`: `typing` and `presence`, and I am tracked as present while it is open.
     * Signals are HINTS: any member may broadcast there with any content, and presence keys are chosen
     * by clients; nothing received on that topic is ever delivered as a database event. For "online",
     * trust `profiles.last_seen_at` (moved only by its owner; see `profiles.heartbeat`).
     * When I leave or am removed, `conversation_removed` is delivered and the SDK leaves the topic.
     * @example
     * const chat = await parley.live.conversation(id, { message_created: (e) => add(e.message) });
     * const off = chat.on("typing", (t) => showTyping(t.user_id, t.typing));
     * await chat.typing();
     */
    async conversation(conversationId: string, handlers: ConversationHandlers = {}): Promise<ConversationChannel> {
      const h = await hub();
      const me = h.me;
      const emitter = new Emitter<ConversationLiveEvents>();
      emitter.addAll(handlers);
      let signals: Lease | undefined;
      let closed = false;
      const online = () => (signals ? Object.keys(signals.channel.presenceState()) : []);
      const leaveSignals = async () => {
        const lease = signals;
        signals = undefined;
        await lease?.release();
      };
      const sink: Sink = (event, payload) => {
        if (closed) return;
        emitter.emit(event as keyof ConversationLiveEvents, payload as never);
        // Realtime keeps a joined channel open until the next token refresh: leave it ourselves.
        if (event === "conversation_removed") void leaveSignals();
      };
      const [data, joined] = await Promise.allSettled([
        h.attach(conversationId, sink),
        acquire(supabase, `conversation:${conversationId}`, {
          presenceKey: me,
          onJoined: (channel) => channel.track({ user_id: me, online_at: new Date().toISOString() }),
          // Signals only: typing, well-formed. Anything else sent here is ignored.
          onBroadcast: (event, payload) => {
            const t = event === "typing" ? typingOf(payload) : undefined;
            if (t && !closed) emitter.emit("typing", t);
          },
          onPresence: () => {
            if (!closed) emitter.emit("presence", online());
          },
        }),
      ]);
      if (data.status === "rejected" || joined.status === "rejected") {
        if (data.status === "fulfilled") await data.value();
        if (joined.status === "fulfilled") await joined.value.release();
        throw data.status === "rejected" ? data.reason : (joined as PromiseRejectedResult).reason;
      }
      signals = joined.value;
      const detach = data.value;
      let lastTyping = 0;
      return {
        on: emitter.on,
        online,
        async typing(isTyping = true) {
          const now = Date.now();
          if (!signals || (isTyping && now - lastTyping < TYPING_THROTTLE_MS)) return;
          lastTyping = isTyping ? now : 0;
          await signals.channel.send({
            type: "broadcast",
            event: "typing",
            payload: { user_id: me, typing: isTyping },
          });
        },
        async close() {
          closed = true;
          emitter.clear();
          await Promise.all([detach(), leaveSignals()]);
        },
      };
    },

    /** A call room: participants joining and leaving, the end (receive-only), and presence while I am in it. */
    async call(callId: string, handlers: Handlers<CallRoomEvents> = {}): Promise<CallChannel> {
      const me = (await hub()).me;
      const emitter = new Emitter<CallRoomEvents>();
      emitter.addAll(handlers);
      let lease: Lease | undefined;
      const online = () => (lease ? Object.keys(lease.channel.presenceState()) : []);
      lease = await acquire(supabase, `call:${callId}`, {
        presenceKey: me,
        onJoined: (channel) => channel.track({ user_id: me, online_at: new Date().toISOString() }),
        onBroadcast: (event, payload) => {
          if (CALL_ROOM_EVENTS.has(event) && record(payload))
            emitter.emit(event as keyof CallRoomEvents, payload as never);
        },
        onPresence: () => emitter.emit("presence", online()),
      });
      const held = lease;
      return {
        on: emitter.on,
        online,
        async close() {
          emitter.clear();
          lease = undefined;
          await held.release();
        },
      };
    },
  };
}

export type LiveApi = ReturnType<typeof liveApi>;
